/**
 * 年度收入结转: records the region's current incomes (or, for a past year, the incomes the
 * registry history shows at its end) as a year's income records, which next year's rules
 * compare with. County staff only (the same permission as a sweep).
 */
import { CalendarOutlined } from "@ant-design/icons";
import { App, Button, Descriptions, Form, InputNumber, Modal, Radio, Typography } from "antd";
import { useState } from "react";
import { useApiError } from "../components/use-api-error.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { useMonitoringText } from "./monitoring.i18n.ts";
import { type IncomeRunResult, monitoringApi } from "./monitoring-api.ts";

interface Props {
  region: string;
  regionName: string;
  onDone(result: IncomeRunResult): void;
}

export function IncomeCloseButton({ region, regionName, onDone }: Props) {
  const { t } = useI18n();
  const text = useMonitoringText().income;
  const { modal } = App.useApp();
  const showError = useApiError();
  const today = new Date();
  const thisYear = today.getFullYear();
  // The survey ends in November: before October the year to close is usually the last one.
  const defaultYear = today.getMonth() >= 9 ? thisYear : thisYear - 1;
  const [open, setOpen] = useState(false);
  const [year, setYear] = useState<number>(defaultYear);
  const [mode, setMode] = useState<"close" | "backfill">("close");
  const [running, setRunning] = useState(false);

  const run = async () => {
    setRunning(true);
    try {
      const body = { year, region };
      const r =
        mode === "close"
          ? await monitoringApi.closeIncomeYear(body)
          : await monitoringApi.backfillIncomeYear(body);
      setOpen(false);
      onDone(r);
      modal.success({
        title: `${text.done} · ${r.year} · ${regionName}`,
        width: 480,
        content: (
          <Descriptions column={1} size="small" bordered data-testid="income-close-result">
            <Descriptions.Item label={text.households}>
              {text.count(r.households)}
            </Descriptions.Item>
            <Descriptions.Item label={text.created}>{r.created}</Descriptions.Item>
            <Descriptions.Item label={text.updated}>{r.updated}</Descriptions.Item>
            <Descriptions.Item label={text.unchanged}>{r.unchanged}</Descriptions.Item>
            <Descriptions.Item label={text.skipped}>{r.skipped}</Descriptions.Item>
            <Descriptions.Item label={text.reevaluated}>{r.reevaluated}</Descriptions.Item>
          </Descriptions>
        ),
      });
    } catch (e) {
      showError(e);
    } finally {
      setRunning(false);
    }
  };

  return (
    <>
      <Button icon={<CalendarOutlined />} onClick={() => setOpen(true)} data-testid="income-close">
        {text.button}
      </Button>
      <Modal
        open={open}
        title={text.title(regionName)}
        okText={text.run}
        cancelText={t.common.cancel}
        confirmLoading={running}
        onOk={run}
        onCancel={() => setOpen(false)}
        destroyOnHidden
      >
        <Typography.Paragraph type="secondary">{text.intro}</Typography.Paragraph>
        <Form layout="vertical">
          <Form.Item label={text.year}>
            <InputNumber<number>
              min={2000}
              max={thisYear}
              precision={0}
              value={year}
              onChange={(v) => v !== null && setYear(v)}
              data-testid="income-close-year"
            />
          </Form.Item>
          <Form.Item label={text.mode}>
            <Radio.Group
              value={mode}
              onChange={(e) => setMode(e.target.value as "close" | "backfill")}
              options={[
                { value: "close", label: text.close },
                { value: "backfill", label: text.backfill },
              ]}
            />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
