/** 风险预警 — a household's open signals, near the top of its page. */
import { AlertOutlined, CheckCircleOutlined } from "@ant-design/icons";
import { Badge, Button, Card, Skeleton, Typography } from "antd";
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { chinaDate } from "../../../src/core/dates.ts";
import { dateOf } from "../format.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { useMonitoringText } from "./monitoring.i18n.ts";
import { type HouseholdSignal, type IncomeRecord, monitoringApi } from "./monitoring-api.ts";
import { SeverityTag, SignalCategoryTag } from "./signal-tags.tsx";

const SEVERITY_ORDER: Record<string, number> = { high: 0, medium: 1, low: 2 };

interface HouseholdRiskProps {
  householdNumber: string;
  villageCode: string;
  /** Changes after every write to the household: its signals are re-evaluated with it. */
  version: number;
}

export function HouseholdRisk({ householdNumber, villageCode, version }: HouseholdRiskProps) {
  const { t } = useI18n();
  const [items, setItems] = useState<HouseholdSignal[] | null>(null);
  const [showQuality, setShowQuality] = useState(false);
  const [incomes, setIncomes] = useState<IncomeRecord[]>([]);
  const incomeText = useMonitoringText().income;

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new version re-reads the records
  useEffect(() => {
    const ctrl = new AbortController();
    monitoringApi
      .householdIncomes(householdNumber, ctrl.signal)
      .then((r) => setIncomes(r.items))
      .catch(() => !ctrl.signal.aborted && setIncomes([]));
    return () => ctrl.abort();
  }, [householdNumber, version]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new version re-reads the signals
  useEffect(() => {
    const ctrl = new AbortController();
    monitoringApi
      .householdSignals(householdNumber, ctrl.signal)
      .then((r) =>
        setItems(
          [...r.items].sort(
            (a, b) => (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3),
          ),
        ),
      )
      .catch(() => !ctrl.signal.aborted && setItems([]));
    return () => ctrl.abort();
  }, [householdNumber, version]);

  const today = chinaDate(new Date());
  const high = items?.some((s) => s.severity === "high");
  // Risks first; data-quality problems fold into one line until asked for.
  const risks = items?.filter((s) => s.category !== "data_quality") ?? [];
  const quality = items?.filter((s) => s.category === "data_quality") ?? [];
  const shown = showQuality ? [...risks, ...quality] : risks;

  return (
    <Card
      className={`page__card risk-card${items?.length ? (high ? " risk-card--high" : " risk-card--open") : ""}`}
      size="small"
      data-testid="household-risk"
      title={
        <span className="risk-card__title">
          <AlertOutlined /> {t.monitoring.riskTitle}
          {items && items.length > 0 && (
            <Badge count={items.length} color={high ? "#cf1322" : "#d46b08"} />
          )}
        </span>
      }
      extra={
        items && items.length > 0 ? (
          <Link to={`/signals?region=${villageCode}`}>{t.monitoring.riskViewAll}</Link>
        ) : null
      }
    >
      {items === null ? (
        <Skeleton active paragraph={{ rows: 1 }} title={false} />
      ) : items.length === 0 ? (
        <Typography.Text type="secondary" data-testid="risk-none">
          <CheckCircleOutlined style={{ color: "#389e0d" }} /> {t.monitoring.riskNone}
        </Typography.Text>
      ) : (
        <ul className="risk-list">
          {shown.map((s) => {
            const overdue = s.deadline !== null && s.deadline < today;
            return (
              <li key={s.id} className="risk-list__item" data-testid="risk-item">
                <SeverityTag severity={s.severity} />
                <div className="risk-list__body">
                  <div>
                    <strong>{s.name}</strong> <SignalCategoryTag category={s.category} />
                  </div>
                  <div className="risk-list__message">{s.message}</div>
                </div>
                <div className="risk-list__dates num">
                  <div>{t.monitoring.riskOpenedAt(dateOf(s.openedAt))}</div>
                  {s.deadline && (
                    <div className={overdue ? "deadline--overdue" : undefined}>
                      {t.monitoring.riskDeadline(s.deadline)}
                    </div>
                  )}
                </div>
              </li>
            );
          })}
          {quality.length > 0 && (
            <li className="risk-list__more">
              <Button
                type="link"
                size="small"
                onClick={() => setShowQuality((v) => !v)}
                data-testid="risk-quality-toggle"
              >
                {showQuality
                  ? t.monitoring.riskHideQuality
                  : t.monitoring.riskShowQuality(quality.length)}
              </Button>
            </li>
          )}
        </ul>
      )}
      {incomes.length > 0 && (
        <div className="risk-card__incomes" data-testid="household-incomes">
          <Typography.Text type="secondary">
            {incomeText.history}：
            {incomes
              .slice(0, 3)
              .map((r) =>
                incomeText.record(
                  r.year,
                  r.perCapitaIncome === null
                    ? null
                    : (r.perCapitaIncome / 100).toLocaleString("zh-CN", {
                        maximumFractionDigits: 2,
                      }),
                  r.source === "backfill",
                ),
              )
              .join("；")}
          </Typography.Text>
        </div>
      )}
    </Card>
  );
}
