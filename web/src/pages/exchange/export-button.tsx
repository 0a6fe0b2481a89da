/**
 * 导出 — the region's households in the national system's format (xlsx or CSV), downloaded by
 * the browser. Shown to users who may read ID numbers in full (exports are audited).
 */
import { DownloadOutlined } from "@ant-design/icons";
import { Button, Dropdown } from "antd";
import { useUser } from "../../session/session.tsx";
import { useExchangeText } from "./exchange.i18n.ts";
import { exportUrl } from "./exchange-api.ts";

export function ExportButton({ region }: { region: string }) {
  const x = useExchangeText();
  const user = useUser();
  if (!user.can.includes("household.unmask")) return null;
  return (
    <Dropdown
      menu={{
        items: [
          { key: "xlsx", label: <a href={exportUrl(region, "xlsx")}>{x.exportXlsx}</a> },
          { key: "csv", label: <a href={exportUrl(region, "csv")}>{x.exportCsv}</a> },
        ],
      }}
    >
      <Button icon={<DownloadOutlined />} data-testid="export-national">
        {x.exportButton}
      </Button>
    </Dropdown>
  );
}
