/**
 * Text of the import page and the export button, zh-CN first. Kept beside the pages so the
 * shared locale files stay small; `useExchangeText()` follows the chosen language.
 */
import { useI18n } from "../../i18n/i18n.tsx";

export const exchangeZh = {
  menu: "数据导入",
  title: "导入国家监测系统数据",
  intro:
    "上传从全国防止返贫监测信息系统导出的“监测对象信息”表（xlsx 或 csv）。系统先检查、不写入；确认后才导入。有问题的户整户退回，可下载标注了问题的文件发给乡镇修改后重新导入。",
  drop: "把文件拖到这里，或点击选择文件",
  dropHint: "支持 .xlsx 和 .csv，一次一个文件",
  atomic: "出错时",
  atomicHousehold: "只退回有问题的户，其余导入",
  atomicAll: "整个文件都不导入",
  check: "开始检查",
  another: "换一个文件",
  phases: {
    reading: "读取文件",
    checking: "检查户和成员",
    merging: "比对系统数据",
    done: "完成",
  } as Record<string, string>,
  rows: (n: number) => `已读 ${n.toLocaleString("zh-CN")} 行`,
  checked: "检查完成（未写入）",
  imported: "已导入",
  measuresTitle: "帮扶措施",
  measuresIntro:
    "文件中的帮扶列（产业帮扶、就业帮扶……基础设施建设）已作为附加信息保存。可把它们转为各户的帮扶措施（每户每类一项，已转过的不再重复）。",
  measuresButton: "转为帮扶措施",
  measuresDone: (measures: number, households: number) =>
    measures === 0 ? "没有需要新增的帮扶措施" : `已新增 ${measures} 项帮扶措施（${households} 户）`,
  notImported: "未导入：按“整个文件都不导入”，有问题时不写入任何数据",
  failed: "无法导入该文件",
  households: "户",
  members: "人",
  created: "新建",
  updated: "更新",
  unchanged: "未变",
  rejected: "退回",
  problems: (errors: number, warnings: number) =>
    `问题 ${errors} 个${warnings > 0 ? `，提示 ${warnings} 个` : ""}`,
  noProblems: "没有发现问题",
  download: "下载标注问题的文件",
  confirm: "确认导入",
  confirmTitle: "确认导入？",
  confirmContent: (rejected: number) =>
    rejected > 0
      ? `有 ${rejected} 户因问题将被退回，不会导入；其余各户按检查结果写入系统，并记入变更历史。`
      : "各户将按检查结果写入系统，并记入变更历史。",
  filters: { code: "问题类型", column: "列", town: "乡镇", severity: "级别" },
  severity: { error: "错误", warning: "提示" } as Record<string, string>,
  columns: {
    row: "行号",
    column: "列",
    household: "户编号",
    town: "乡镇",
    code: "问题代码",
    message: "问题说明",
  },
  exportButton: "导出",
  exportXlsx: "导出为 Excel（国家系统格式）",
  exportCsv: "导出为 CSV",
  history: {
    title: "导入记录",
    hint: "本辖区内已写入系统的导入，最新的在前（只检查未写入的不列出）",
    at: "时间",
    file: "文件",
    actor: "导入人",
    households: "户（新建 / 更新 / 未变 / 退回）",
    members: "人（新建 / 更新 / 未变 / 退回）",
    problems: "问题",
    empty: "还没有导入记录",
    more: "加载更早的记录",
  },
};

export type ExchangeText = typeof exchangeZh;

export const exchangeEn: ExchangeText = {
  menu: "Import",
  title: "Import from the national monitoring system",
  intro:
    "Upload a member export of the national monitoring system (xlsx or csv). It is checked first and nothing is written until you confirm. Households with problems are left out whole; download the file with the problems marked, send it to the town, and import the corrected file.",
  drop: "Drop the file here, or click to choose it",
  dropHint: ".xlsx or .csv, one file at a time",
  atomic: "When something is wrong",
  atomicHousehold: "Leave out only the households with problems",
  atomicAll: "Import nothing from the file",
  check: "Check",
  another: "Choose another file",
  phases: {
    reading: "Reading the file",
    checking: "Checking households and members",
    merging: "Comparing with the registry",
    done: "Done",
  },
  rows: (n: number) => `${n.toLocaleString("en-US")} rows read`,
  checked: "Checked (nothing written)",
  imported: "Imported",
  measuresTitle: "Assistance measures",
  measuresIntro:
    "The file's assistance columns (industry, employment … infrastructure) were kept as extra attributes. They can become each household's assistance measures (one per household and category; those already turned are not repeated).",
  measuresButton: "Turn into measures",
  measuresDone: (measures: number, households: number) =>
    measures === 0 ? "No new measures" : `${measures} measures added (${households} households)`,
  notImported: "Nothing imported: with “import nothing”, a problem stops the whole file",
  failed: "The file cannot be imported",
  households: "Households",
  members: "Members",
  created: "created",
  updated: "updated",
  unchanged: "unchanged",
  rejected: "rejected",
  problems: (errors: number, warnings: number) =>
    `${errors} problems${warnings > 0 ? `, ${warnings} notes` : ""}`,
  noProblems: "No problems found",
  download: "Download the file with problems marked",
  confirm: "Import",
  confirmTitle: "Import now?",
  confirmContent: (rejected: number) =>
    rejected > 0
      ? `${rejected} households with problems will be left out; the others are written as checked and recorded in their history.`
      : "The households are written as checked and recorded in their history.",
  filters: { code: "Problem", column: "Column", town: "Town", severity: "Severity" },
  severity: { error: "Error", warning: "Note" },
  columns: {
    row: "Row",
    column: "Column",
    household: "Household",
    town: "Town",
    code: "Code",
    message: "What to fix",
  },
  exportButton: "Export",
  exportXlsx: "Export as Excel (national format)",
  exportCsv: "Export as CSV",
  history: {
    title: "Past imports",
    hint: "Imports that wrote to the registry in your region, newest first (checks that wrote nothing are not listed)",
    at: "When",
    file: "File",
    actor: "By",
    households: "Households (created / updated / unchanged / rejected)",
    members: "Members (created / updated / unchanged / rejected)",
    problems: "Problems",
    empty: "No imports yet",
    more: "Load older imports",
  },
};

export function useExchangeText(): ExchangeText {
  const { lang } = useI18n();
  return lang === "en" ? exchangeEn : exchangeZh;
}
