/**
 * The feed formats as Markdown, for docs/formats/feeds.md: generated from the policy's `feeds:`
 * so the documentation cannot drift from what the loader accepts (feeds.docs.test.ts).
 */
import type { FeedColumnKind, FeedDef } from "../policy/index.ts";

const KIND_LABELS: Record<FeedColumnKind, string> = {
  text: "文字",
  id_number: "证件号码（文本格式，18 位身份证或 20/22 位残疾人证）",
  money: "金额（元，最多两位小数）",
  number: "数字（非负）",
  int: "整数（非负）",
  date: "日期（20260315 或 2026-03-15）",
  month: "年月（202603 或 2026-03）",
  flag: "是 / 否",
  term: "取值之一",
};

const cell = (text: string) => text.replaceAll("|", "\\|");

export function feedsMarkdown(feeds: Record<string, FeedDef>): string {
  const out: string[] = [];
  for (const [type, f] of Object.entries(feeds)) {
    const header = (key: string) => f.columns.find((c) => c.key === key)!.header;
    out.push(`### ${f.name}（\`${type}\`）— ${f.department}`, "");
    out.push(
      `- 规则中读作 \`facts.${f.fact}\`；按“${header(f.idColumn)}”与在册成员匹配${f.nameColumn ? `，“${header(f.nameColumn)}”与登记姓名不一致的行列为待核实（ambiguous）` : ""}。`,
      `- 行键：${f.key.map((k) => `“${header(k)}”`).join(" + ")}（同一行键的新数据取代旧数据）。`,
      `- 生效日期：“${header(f.effective.from)}”${f.effective.to ? ` 至 “${header(f.effective.to)}”` : ""}。`,
    );
    if (f.period)
      out.push(
        `- 报送期间：“${header(f.period)}”——同一期间重新上传的文件取代该期间的全部记录（文件中不再出现的记录终止）。`,
      );
    out.push(`- 样例：[samples/${type}.csv](samples/${type}.csv)`, "");
    out.push("| 表头 | 也可写作 | 类型 | 必填 | 规则中的名称 |", "| --- | --- | --- | --- | --- |");
    for (const c of f.columns) {
      const kind =
        c.kind === "term"
          ? `${KIND_LABELS.term}：${(c.terms ?? []).join("、")}`
          : KIND_LABELS[c.kind];
      out.push(
        `| ${cell(c.header)} | ${cell(c.aliases.join("、"))} | ${cell(kind)} | ${c.required ? "是" : ""} | ${c.key === f.idColumn ? "" : `\`f.${c.key}\``} |`,
      );
    }
    out.push("");
  }
  return out.join("\n");
}
