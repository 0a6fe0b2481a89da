/** 立即筛查: runs every rule in force over the region's households and shows what changed. */
import { ThunderboltOutlined } from "@ant-design/icons";
import { App, Button, Descriptions, Popconfirm } from "antd";
import { useState } from "react";
import { useApiError } from "../components/use-api-error.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { monitoringApi, type SweepResult } from "./monitoring-api.ts";

interface SweepButtonProps {
  region: string;
  regionName: string;
  onDone(result: SweepResult): void;
}

export function SweepButton({ region, regionName, onDone }: SweepButtonProps) {
  const { t } = useI18n();
  const { modal } = App.useApp();
  const showError = useApiError();
  const [running, setRunning] = useState(false);

  const run = async () => {
    setRunning(true);
    try {
      const r = await monitoringApi.sweep(region);
      onDone(r);
      modal.success({
        title: `${t.monitoring.sweepDone} · ${regionName}`,
        width: 460,
        content: (
          <Descriptions column={1} size="small" bordered data-testid="sweep-result">
            <Descriptions.Item label={t.monitoring.sweepHouseholds}>
              {t.monitoring.households(r.households)}
            </Descriptions.Item>
            <Descriptions.Item label={t.monitoring.sweepOpened}>
              {t.monitoring.items(r.signals.opened)}
            </Descriptions.Item>
            <Descriptions.Item label={t.monitoring.sweepResolved}>
              {t.monitoring.items(r.signals.resolved)}
            </Descriptions.Item>
            <Descriptions.Item label={t.monitoring.sweepOpen}>
              {t.monitoring.items(r.signals.open)}
            </Descriptions.Item>
            <Descriptions.Item label={t.monitoring.sweepMs}>
              {t.monitoring.ms(r.ms)}
            </Descriptions.Item>
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
    <Popconfirm
      title={t.monitoring.sweepConfirm(regionName)}
      okText={t.common.confirm}
      cancelText={t.common.cancel}
      onConfirm={run}
    >
      <Button icon={<ThunderboltOutlined />} loading={running} data-testid="sweep">
        {running ? t.monitoring.sweeping : t.monitoring.sweep}
      </Button>
    </Popconfirm>
  );
}
