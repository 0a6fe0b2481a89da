/** Small views shared by the case pages: state, deadline, refusal reasons; the list's order. */
import "./cases.css";
import { Alert, Tag } from "antd";
import { useCasesText } from "./cases.i18n.ts";
import type { CaseListItem } from "./cases-api.ts";

/** Where a case stands: its current step while open, else how it ended. */
export function CaseStateTag({ item }: { item: CaseListItem }) {
  const c = useCasesText();
  if (item.status === "active")
    return <Tag color="processing">{c.steps[item.state] ?? item.stepName ?? item.state}</Tag>;
  if (item.status === "paused")
    return (
      <Tag color="warning" data-testid="case-paused">
        {c.steps[item.step ?? ""] ?? item.stepName} · {c.statuses.paused}
      </Tag>
    );
  return (
    <Tag color={item.status === "completed" ? "success" : "default"}>
      {c.statuses[item.status] ?? item.status}
    </Tag>
  );
}

/** The case's deadline; red with a tag once it has passed without a decision. */
export function CaseDeadline({ date, overdue }: { date: string | null; overdue: boolean }) {
  const c = useCasesText();
  if (!date) return <span>—</span>;
  if (!overdue) return <span className="num">{date}</span>;
  return (
    <span className="deadline--overdue case-deadline" data-testid="case-overdue">
      <span className="num">{date}</span>
      <Tag color="red">{c.overdue}</Tag>
    </span>
  );
}

/** The reasons a refusal gave, one a line. */
export function ReasonsAlert({ title, reasons }: { title: string; reasons: string[] }) {
  return (
    <Alert
      type="error"
      showIcon
      title={title}
      description={
        <ul className="case-reasons">
          {reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      }
      data-testid="case-refused"
    />
  );
}

/** Overdue cases first, then by deadline (soonest first), then the newest. */
export function byUrgency(a: CaseListItem, b: CaseListItem): number {
  if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
  const da = a.deadline ?? "9999";
  const db = b.deadline ?? "9999";
  if (da !== db) return da < db ? -1 : 1;
  return a.openedAt < b.openedAt ? 1 : -1;
}
