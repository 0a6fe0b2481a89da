/** 变更记录 — a household's events, newest first: when, who, from where, why, and what changed. */
import { Button, Empty, Tag, Timeline, Typography } from "antd";
import { useState } from "react";
import { MEMBER_REMOVAL_REASONS } from "../../../src/core/vocab.ts";
import type { HistoryChange, HistoryEntry } from "../api/types.ts";
import { chinaDateTime } from "../format.ts";
import { type LabelLang, useI18n } from "../i18n/i18n.tsx";
import type { Messages } from "../i18n/zh-CN.ts";
import { changeField, fieldLabel, formatValue, vocabLabel } from "./fields.ts";

const SHOWN_CHANGES = 8;

const SOURCE_COLORS: Record<string, string> = {
  ui: "blue",
  import: "purple",
  feed: "cyan",
  case: "gold",
  demo: "default",
  cli: "default",
  system: "default",
};

const KIND_COLORS: Record<string, string> = {
  "household.created": "green",
  "member.removed": "red",
  "member.added": "blue",
};

/** A value in a change, for fields of the member record that are not in the field table. */
function formatChangeValue(
  change: HistoryChange,
  value: unknown,
  lang: LabelLang,
  t: Messages,
): string {
  const key = change.field.slice(change.field.lastIndexOf(".") + 1);
  if (key === "status" && (value === "active" || value === "removed")) return t.members[value];
  if (key === "removedReason" && typeof value === "string")
    return vocabLabel(MEMBER_REMOVAL_REASONS, value, lang);
  return formatValue(changeField(change.field, change.memberId), value, lang, t);
}

function ChangeLine({ change }: { change: HistoryChange }) {
  const { t, fieldLang } = useI18n();
  const def = changeField(change.field, change.memberId);
  const label = def ? fieldLabel(def, fieldLang) : change.label || change.field;
  const before = formatChangeValue(change, change.old, fieldLang, t);
  const after = formatChangeValue(change, change.new, fieldLang, t);
  return (
    <li className="history__change" data-testid="history-change">
      {change.memberName && (
        <span className="history__member">{t.history.member(change.memberName)} · </span>
      )}
      <span className="history__field">{label}</span>
      {t.common.colon}
      <span className="history__old">{before || t.common.empty}</span>
      <span className="history__arrow"> → </span>
      <span className="history__new">{after || t.common.empty}</span>
    </li>
  );
}

function EntryContent({ entry }: { entry: HistoryEntry }) {
  const { t, lang } = useI18n();
  const [all, setAll] = useState(false);
  const changes = all ? entry.changes : entry.changes.slice(0, SHOWN_CHANGES);
  return (
    <div className="history__entry" data-testid="history-entry">
      <div className="history__head">
        <Typography.Text strong>
          {lang === "zh-CN" ? entry.label : (t.history.kinds[entry.kind] ?? entry.label)}
        </Typography.Text>
        <Tag color={SOURCE_COLORS[entry.source] ?? "default"} className="history__source">
          {t.history.sources[entry.source] ?? entry.source}
        </Tag>
      </div>
      <div className="history__meta">
        <span className="history__time">{chinaDateTime(entry.at)}</span> · {entry.actor} ·{" "}
        {t.history.version(entry.version)}
        {entry.sourceRef && <> · {entry.sourceRef}</>}
      </div>
      {entry.reason && (
        <div className="history__reason">
          {t.history.reason}
          {t.common.colon}
          {entry.reason}
        </div>
      )}
      {changes.length > 0 && (
        <ul className="history__changes">
          {changes.map((c) => (
            <ChangeLine key={`${c.memberId ?? "h"}-${c.field}`} change={c} />
          ))}
        </ul>
      )}
      {entry.changes.length > SHOWN_CHANGES && (
        <Button type="link" size="small" className="history__more" onClick={() => setAll(!all)}>
          {all ? t.history.collapse : t.history.showAll(entry.changes.length)}
        </Button>
      )}
    </div>
  );
}

export function HistoryTimeline({ items }: { items: HistoryEntry[] }) {
  const { t } = useI18n();
  if (items.length === 0) return <Empty description={t.detail.noHistory} />;
  return (
    <Timeline
      className="history"
      items={items.map((e) => ({
        key: e.version,
        color: KIND_COLORS[e.kind] ?? "blue",
        content: <EntryContent entry={e} />,
      }))}
    />
  );
}
