/** Coloured tags for household type, monitoring category and risk state. */
import { Tag } from "antd";
import { HOUSEHOLD_TYPES, MONITORING_CATEGORIES } from "../../../src/core/vocab.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { vocabLabel } from "../registry/fields.ts";

const TYPE_COLORS: Record<string, string> = {
  formerly_poor: "blue",
  ordinary: "default",
  newly_identified: "cyan",
  not_exited: "orange",
  exited: "blue",
  pre_exit: "geekblue",
  returned: "red",
  deregistered: "default",
};

const CATEGORY_COLORS: Record<string, string> = {
  unstable: "volcano",
  marginal: "gold",
  sudden_hardship: "magenta",
};

export function HouseholdTypeTag({ code }: { code: string | null }) {
  const { t, fieldLang } = useI18n();
  if (!code) return t.common.empty;
  return (
    <Tag color={TYPE_COLORS[code] ?? "default"}>{vocabLabel(HOUSEHOLD_TYPES, code, fieldLang)}</Tag>
  );
}

export function CategoryTag({
  code,
  showNone = false,
}: {
  code: string | null;
  showNone?: boolean;
}) {
  const { t, fieldLang } = useI18n();
  if (!code) return showNone ? <Tag>{t.detail.notMonitored}</Tag> : t.common.empty;
  return (
    <Tag color={CATEGORY_COLORS[code] ?? "default"}>
      {vocabLabel(MONITORING_CATEGORIES, code, fieldLang)}
    </Tag>
  );
}

export function RiskTag({ eliminated }: { eliminated: boolean | null }) {
  const { t } = useI18n();
  if (eliminated === null) return t.common.empty;
  return eliminated ? (
    <Tag color="green">{t.common.yes}</Tag>
  ) : (
    <Tag color="red">{t.common.no}</Tag>
  );
}
