/** A signal's expanded row: the evidence, the rule, and the verification task's history. */
import { Descriptions, Spin, Timeline, Typography } from "antd";
import { useEffect, useState } from "react";
import { chinaDateTime } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { monitoringApi, type Signal, type TaskEvent, type Verification } from "./monitoring-api.ts";
import { EvidenceList } from "./signal-tags.tsx";

function eventText(
  e: TaskEvent,
  t: ReturnType<typeof useI18n>["t"],
  regionName: (code: string) => string,
): string {
  const data = (e.data ?? {}) as { region?: string; outcome?: string; reason?: string | null };
  const kind = t.monitoring.taskKinds[e.kind] ?? e.kind;
  if (e.kind === "assigned" && data.region) return `${kind} → ${regionName(data.region)}`;
  if (e.kind === "outcome" && data.outcome) {
    const outcome = t.monitoring.outcomes[data.outcome] ?? data.outcome;
    return `${kind}：${outcome}${data.reason ? `（${data.reason}）` : ""}`;
  }
  return kind;
}

function TaskHistory({ task }: { task: Verification }) {
  const { id: taskId, version } = task;
  const { t } = useI18n();
  const [items, setItems] = useState<TaskEvent[] | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new version has new history
  useEffect(() => {
    let live = true;
    monitoringApi
      .taskHistory(taskId)
      .then((r) => live && setItems(r.items))
      .catch(() => live && setItems([]));
    return () => {
      live = false;
    };
  }, [taskId, version]);

  if (items === null) return <Spin size="small" />;
  if (items.length === 0) {
    return (
      <Typography.Paragraph type="secondary" className="task-history">
        {t.monitoring.noHistory}
      </Typography.Paragraph>
    );
  }
  // The event keeps the code; the task knows the name of where it went last.
  const regionName = (code: string) =>
    code === task.assignedRegion && task.assignedRegionName ? task.assignedRegionName : code;
  return (
    <Timeline
      className="task-history"
      items={items.map((e, i) => ({
        key: `${e.at}-${i}`,
        content: (
          <span>
            <span className="task-history__time num">{chinaDateTime(e.at)}</span> {e.actor} ·{" "}
            {eventText(e, t, regionName)}
          </span>
        ),
      }))}
    />
  );
}

export function SignalDetail({ signal }: { signal: Signal }) {
  const { t } = useI18n();
  return (
    <div className="signal-detail">
      <div className="signal-detail__evidence">
        <Typography.Text strong>{t.monitoring.evidence}</Typography.Text>
        <EvidenceList evidence={signal.evidence} />
      </div>
      <Descriptions size="small" column={1} className="signal-detail__rule">
        <Descriptions.Item label={t.monitoring.ruleId}>
          <code>{signal.rule}</code>
        </Descriptions.Item>
        {signal.code && (
          <Descriptions.Item label={t.monitoring.ruleCode}>
            <code>{signal.code}</code>
          </Descriptions.Item>
        )}
        <Descriptions.Item label={t.monitoring.category}>
          {t.monitoring.categories[signal.category] ?? signal.category}
        </Descriptions.Item>
        {signal.resolution && (
          <Descriptions.Item label={t.monitoring.columns.resolution}>
            {t.monitoring.outcomes[signal.resolution] ?? signal.resolution}
          </Descriptions.Item>
        )}
      </Descriptions>
      {signal.verification && (
        <div className="signal-detail__history">
          <Typography.Text strong>{t.monitoring.verificationHistory}</Typography.Text>
          <TaskHistory task={signal.verification} />
        </div>
      )}
    </div>
  );
}
