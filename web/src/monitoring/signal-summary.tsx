/** The inbox's head: open and overdue counts, signals by region (click to drill down) and by rule. */
import { Card, Col, Row, Statistic, Typography } from "antd";
import { useI18n } from "../i18n/i18n.tsx";
import type { SignalSummary } from "./monitoring-api.ts";

interface SummaryProps {
  summary: SignalSummary | null;
  onRegion(code: string): void;
  onRule(rule: string): void;
  onOverdue(): void;
}

function Bars<T extends { key: string; label: string; value: number; extra?: number }>({
  items,
  onClick,
  testId,
  extraLabel,
  wide = false,
}: {
  items: T[];
  onClick(key: string): void;
  testId: string;
  extraLabel?: (n: number) => string;
  /** Longer labels (rule names), no extra column. */
  wide?: boolean;
}) {
  const max = Math.max(1, ...items.map((i) => i.value));
  return (
    <ul className={`bars${wide ? " bars--wide" : ""}`} data-testid={testId}>
      {items.map((i) => (
        <li key={i.key}>
          <button type="button" className="bars__row" onClick={() => onClick(i.key)}>
            <span className="bars__label" title={i.label}>
              {i.label}
            </span>
            <span className="bars__track">
              <span className="bars__fill" style={{ width: `${(i.value / max) * 100}%` }} />
            </span>
            <span className="bars__value num">{i.value}</span>
            {extraLabel && (
              <span className={`bars__extra num${i.extra ? " bars__extra--alert" : ""}`}>
                {i.extra ? extraLabel(i.extra) : ""}
              </span>
            )}
          </button>
        </li>
      ))}
    </ul>
  );
}

export function SignalSummaryCards({ summary, onRegion, onRule, onOverdue }: SummaryProps) {
  const { t } = useI18n();
  const high = summary?.byRule.filter((r) => r.severity === "high").reduce((a, r) => a + r.open, 0);
  const dq = summary?.byRule
    .filter((r) => r.category === "data_quality")
    .reduce((a, r) => a + r.open, 0);
  const topRules = [...(summary?.byRule ?? [])].sort((a, b) => b.open - a.open).slice(0, 8);

  return (
    <Row gutter={[16, 16]} className="signal-summary">
      <Col xs={24} lg={6}>
        <Card className="signal-summary__card" loading={!summary}>
          <div className="stats">
            <Statistic
              title={t.monitoring.open}
              value={summary?.open ?? 0}
              data-testid="stat-open"
            />
            <button type="button" className="stats__link" onClick={onOverdue}>
              <Statistic
                title={t.monitoring.overdue}
                value={summary?.overdue ?? 0}
                styles={{ content: { color: summary?.overdue ? "#cf1322" : undefined } }}
                data-testid="stat-overdue"
              />
            </button>
            <Statistic title={t.monitoring.highSeverity} value={high ?? 0} />
            <Statistic title={t.monitoring.dataQuality} value={dq ?? 0} />
          </div>
        </Card>
      </Col>
      <Col xs={24} lg={9}>
        <Card
          className="signal-summary__card"
          size="small"
          title={
            <span>
              {t.monitoring.byRegion}
              <Typography.Text type="secondary" className="card-hint">
                {t.monitoring.byRegionHint}
              </Typography.Text>
            </span>
          }
          loading={!summary}
        >
          <Bars
            testId="by-region"
            items={(summary?.byRegion ?? []).map((r) => ({
              key: r.code,
              label: r.name ?? r.code,
              value: r.open,
              extra: r.overdue,
            }))}
            onClick={onRegion}
            extraLabel={t.monitoring.overdueShort}
          />
        </Card>
      </Col>
      <Col xs={24} lg={9}>
        <Card
          className="signal-summary__card"
          size="small"
          title={t.monitoring.byRule}
          loading={!summary}
        >
          <Bars
            testId="by-rule"
            items={topRules.map((r) => ({ key: r.rule, label: r.name, value: r.open }))}
            onClick={onRule}
            wide
          />
        </Card>
      </Col>
    </Row>
  );
}
