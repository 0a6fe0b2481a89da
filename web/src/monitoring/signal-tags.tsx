/** Tags and small views shared by the signals inbox, the task list and the household page. */
import { Tag, Tooltip, Typography } from "antd";
import { householdField } from "../../../src/core/registry-fields.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { Messages } from "../i18n/zh-CN.ts";
import { fieldLabel } from "../registry/fields.ts";
import type { Verification } from "./monitoring-api.ts";

const SEVERITY_COLORS: Record<string, string> = { high: "red", medium: "orange", low: "blue" };

const CATEGORY_COLORS: Record<string, string> = {
  income: "volcano",
  education: "geekblue",
  medical: "magenta",
  housing: "gold",
  water: "cyan",
  food_clothing: "lime",
  expense: "orange",
  labor: "purple",
  data_quality: "default",
  eligibility: "blue",
  assistance: "green",
};

export function SeverityTag({ severity }: { severity: string }) {
  const { t } = useI18n();
  return (
    <Tag color={SEVERITY_COLORS[severity] ?? "default"} className="severity-tag">
      {t.monitoring.severities[severity] ?? severity}
    </Tag>
  );
}

export function SignalCategoryTag({ category }: { category: string }) {
  const { t } = useI18n();
  return (
    <Tag color={CATEGORY_COLORS[category] ?? "default"} bordered={false}>
      {t.monitoring.categories[category] ?? category}
    </Tag>
  );
}

/** Where the verification stands: not needed, to assign, assigned, or its outcome. */
export function VerificationStatus({ v }: { v: Verification | null }) {
  const { t } = useI18n();
  if (!v) return <Typography.Text type="secondary">{t.monitoring.noVerification}</Typography.Text>;
  if (v.status === "done") {
    const label = t.monitoring.outcomes[v.outcome ?? ""] ?? v.outcome ?? "";
    const tag = (
      <Tag color={v.outcome === "dismissed" ? "default" : "green"} data-testid="task-outcome">
        {label}
      </Tag>
    );
    return v.outcomeReason ? <Tooltip title={v.outcomeReason}>{tag}</Tooltip> : tag;
  }
  if (!v.assignedRegion) return <Tag color="orange">{t.monitoring.unassigned}</Tag>;
  return (
    <Tag color="processing" data-testid="task-assigned">
      {t.monitoring.assignedTo(v.assignedRegionName ?? v.assignedRegion)}
    </Tag>
  );
}

/** The verification deadline, red with a tag once it has passed. */
export function Deadline({ date, overdue }: { date: string | null; overdue: boolean }) {
  const { t } = useI18n();
  if (!date) return t.common.empty;
  if (!overdue) return <span className="num">{date}</span>;
  return (
    <span className="deadline--overdue" data-testid="overdue">
      <span className="num">{date}</span>
      <Tag color="red">{t.monitoring.overdueTag}</Tag>
    </span>
  );
}

/** An evidence value as text: numbers with separators, flags as 是/否, lists joined. */
export function evidenceText(value: unknown, t: Messages, lang: "zh" | "en"): string {
  if (value === null || value === undefined || value === "") return t.common.empty;
  if (typeof value === "boolean") return value ? t.common.yes : t.common.no;
  if (typeof value === "number") {
    return value.toLocaleString(lang === "en" ? "en-US" : "zh-CN", { maximumFractionDigits: 2 });
  }
  if (Array.isArray(value)) {
    return value.map((v) => evidenceText(v, t, lang)).join(lang === "en" ? ", " : "、");
  }
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** The evidence's label: the rule catalogue's names, else the household field of that name. */
export function evidenceLabel(key: string, t: Messages, lang: "zh" | "en"): string {
  const own = t.monitoring.evidenceLabels[key] ?? t.policy.parameterLabels[key];
  if (own) return own;
  const def = householdField.get(key);
  return def ? fieldLabel(def, lang) : key;
}

export function EvidenceList({ evidence }: { evidence: Record<string, unknown> }) {
  const { t, fieldLang } = useI18n();
  const entries = Object.entries(evidence);
  if (entries.length === 0) return <div className="evidence">{t.common.empty}</div>;
  return (
    <dl className="evidence" data-testid="evidence">
      {entries.map(([k, v]) => (
        <div key={k} className="evidence__item">
          <dt>{evidenceLabel(k, t, fieldLang)}</dt>
          <dd className="num">{evidenceText(v, t, fieldLang)}</dd>
        </div>
      ))}
    </dl>
  );
}
