/**
 * Text of the inbox's sort order and of 年度收入结转 (closing a year's incomes), zh-CN first.
 * Kept beside the components so the shared locale files stay small; `useMonitoringText()`
 * follows the chosen language.
 */
import { useI18n } from "../i18n/i18n.tsx";

export const monitoringZh = {
  sort: "排序",
  sorts: {
    opened: "最新发现在前",
    severity: "严重程度高在前",
    deadline: "核实期限近在前",
  } as Record<string, string>,
  income: {
    button: "年度收入结转",
    title: (region: string) => `年度收入结转 · ${region}`,
    intro:
      "把辖区内各户当前登记的收入记为所选年度的收入。下一年的规则用它与当年收入比较（如“人均纯收入同比大幅下降”）。可以重复执行：只更新有变化的户。",
    year: "年度",
    mode: "方式",
    close: "按当前收入结转",
    backfill: "按户信息历史补录（取该年 12 月 31 日的户信息，不覆盖已结转的记录）",
    run: "执行",
    done: "结转完成",
    households: "涉及农户",
    created: "新增记录",
    updated: "更新记录",
    unchanged: "未变",
    skipped: "跳过（已注销、当年尚未建档或已结转）",
    reevaluated: "已重新评估预警的农户",
    count: (n: number) => `${n.toLocaleString("zh-CN")} 户`,
    history: "年度收入记录",
    record: (year: number, yuan: string | null, backfill: boolean) =>
      `${year} 年人均纯收入 ${yuan ?? "未采集"}${yuan ? " 元" : ""}${backfill ? "（按历史补录）" : ""}`,
  },
};
export type MonitoringText = typeof monitoringZh;

export const monitoringEn: MonitoringText = {
  sort: "Sort",
  sorts: {
    opened: "Newest first",
    severity: "Severity, high first",
    deadline: "Deadline, overdue first",
  },
  income: {
    button: "Close income year",
    title: (region: string) => `Close income year · ${region}`,
    intro:
      "Records every household's current income in the region as its income for the chosen year. Next year's rules compare with it (e.g. a sharp year-on-year drop). Safe to repeat: only changed households are updated.",
    year: "Year",
    mode: "Source",
    close: "Current income",
    backfill:
      "Registry history (the household as of 31 December of that year; closed records are kept)",
    run: "Run",
    done: "Income year closed",
    households: "Households",
    created: "Records created",
    updated: "Records updated",
    unchanged: "Unchanged",
    skipped: "Skipped (deregistered, not yet registered, or already closed)",
    reevaluated: "Households re-evaluated",
    count: (n: number) => `${n.toLocaleString("en")} households`,
    history: "Income by year",
    record: (year: number, yuan: string | null, backfill: boolean) =>
      `${year}: per capita ${yuan ? `¥${yuan}` : "not surveyed"}${backfill ? " (from history)" : ""}`,
  },
};

export function useMonitoringText(): MonitoringText {
  const { lang } = useI18n();
  return lang === "en" ? monitoringEn : monitoringZh;
}
