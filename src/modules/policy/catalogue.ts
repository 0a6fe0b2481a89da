/**
 * The rule catalogue and the rule context as Markdown, for docs/rules.md: generated from the
 * policy files and the field table so that the documentation cannot drift from what runs.
 * `catalogue.test.ts` fails when docs/rules.md is stale and rewrites it with
 * FANGPIN_UPDATE_DOCS=1.
 */

import { householdField, memberField } from "../../core/registry-fields.ts";
import { HOUSEHOLD_CONTEXT, MEMBER_CONTEXT } from "../../core/rules/context.ts";
import type { RuleType } from "../../core/rules/types.ts";
import type { Vocab } from "../../core/vocab.ts";
import { CATEGORIES, type Category, type EffectivePolicy, type Rule } from "./policy.schema.ts";

export const CATEGORY_LABELS: Record<Category, string> = {
  income: "收入",
  food_clothing: "不愁吃、不愁穿",
  education: "义务教育有保障",
  medical: "基本医疗有保障",
  housing: "住房安全有保障",
  water: "饮水安全有保障",
  expense: "支出",
  labor: "劳动力",
  eligibility: "资格（红线与风险消除）",
  assistance: "帮扶缺口",
  data_quality: "数据质量（逻辑校验）",
};

const SEVERITY_LABELS: Record<string, string> = { high: "高", medium: "中", low: "低" };

/** Order of the sections: risks first (两不愁三保障 in the usual order), data quality last. */
const ORDER: readonly Category[] = [
  "income",
  "food_clothing",
  "education",
  "medical",
  "housing",
  "water",
  "expense",
  "labor",
  "eligibility",
  "assistance",
  "data_quality",
];

/** Escapes text for a Markdown table cell. */
const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

/** The policy parameters a rule reads, in order of first use. */
export function parametersOf(rule: Pick<Rule, "when" | "evidence">): string[] {
  const sources = [rule.when, ...Object.values(rule.evidence)];
  const names: string[] = [];
  for (const s of sources)
    for (const m of s.matchAll(/\bpolicy\.([A-Za-z_][A-Za-z0-9_]*)/g))
      if (!names.includes(m[1]!)) names.push(m[1]!);
  return names;
}

function formatValue(v: number | string | boolean | undefined): string {
  if (v === undefined) return "（未定义）";
  if (typeof v === "string") return `"${v}"`;
  return String(v);
}

/**
 * The catalogue of a policy's enabled rules: counts by category, then one table per category
 * (id, what it checks, severity, whether a visit is asked for, parameters with their values) and
 * each rule's condition.
 */
export function catalogueMarkdown(
  policy: Pick<EffectivePolicy, "chain" | "rules" | "parameters">,
): string {
  const out: string[] = [];
  const byCategory = new Map<Category, Rule[]>();
  for (const r of policy.rules)
    byCategory.set(r.category, [...(byCategory.get(r.category) ?? []), r]);
  const order = [...ORDER, ...CATEGORIES.filter((c) => !ORDER.includes(c))];

  out.push(`政策：${policy.chain.join(" → ")}，共 ${policy.rules.length} 条规则。`, "");
  out.push("| 类别 | category | 规则数 | 需入户核实 |", "|---|---|---:|---:|");
  for (const c of order) {
    const rules = byCategory.get(c) ?? [];
    if (rules.length === 0) continue;
    out.push(
      `| ${CATEGORY_LABELS[c]} | \`${c}\` | ${rules.length} | ${rules.filter((r) => r.verify).length} |`,
    );
  }
  out.push("");

  for (const c of order) {
    const rules = byCategory.get(c) ?? [];
    if (rules.length === 0) continue;
    out.push(`### ${CATEGORY_LABELS[c]}（\`${c}\`，${rules.length} 条）`, "");
    out.push("| 编号 | 检查内容 | 严重程度 | 入户核实 | 参数 |", "|---|---|---|---|---|");
    for (const r of rules) {
      const params = parametersOf(r)
        .map((p) => `\`${p}\` = ${formatValue(policy.parameters[p])}`)
        .join("<br>");
      const name = r.code ? `${r.name}（问题编码 ${r.code}）` : r.name;
      out.push(
        `| \`${r.id}\` | ${cell(name)} | ${SEVERITY_LABELS[r.severity] ?? r.severity} | ${r.verify ? "是" : "否"} | ${params || "—"} |`,
      );
    }
    out.push("", "条件：", "");
    for (const r of rules) {
      out.push(`- \`${r.id}\`：\`${r.when}\``);
      if (r.source) out.push(`  — 依据：${r.source}`);
    }
    out.push("");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

function typeLabel(t: RuleType): string {
  switch (t.kind) {
    case "bool":
      return "是/否";
    case "int":
      return "整数";
    case "double":
      return "数字";
    case "string":
      return "文字";
    case "list":
      return `${typeLabel(t.of)}列表`;
    default:
      return t.kind;
  }
}

function codes(vocab: Vocab | undefined): string {
  if (!vocab) return "";
  return vocab.map((v) => `\`${v.code}\` ${v.zh}`).join("、");
}

/** The fields a rule can read (`h.…`, `m.…`) with their types, then the codes of coded fields. */
export function contextMarkdown(): string {
  const out: string[] = [];
  const table = (prefix: string, fields: typeof HOUSEHOLD_CONTEXT, defs: typeof householdField) => {
    out.push("| 字段 | 含义 | 类型 |", "|---|---|---|");
    const coded: string[] = [];
    for (const [key, f] of Object.entries(fields)) {
      const derived = f.storage.kind === "derived" ? "（推算）" : "";
      out.push(`| \`${prefix}.${key}\` | ${cell(f.zh)}${derived} | ${typeLabel(f.type)} |`);
      const vocab = defs.get(key)?.vocab;
      if (vocab) coded.push(`- \`${prefix}.${key}\`：${codes(vocab)}`);
    }
    if (coded.length > 0) out.push("", "取值代码：", "", ...coded);
    out.push("");
  };
  out.push("#### 户（`h`）", "");
  table("h", HOUSEHOLD_CONTEXT, householdField);
  out.push("#### 成员（`members` 中的每个 `m`）", "");
  table("m", MEMBER_CONTEXT, memberField);
  return `${out.join("\n").trimEnd()}\n`;
}
