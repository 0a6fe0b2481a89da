/**
 * 比对报告 — the comparison report of one feed load, within the reader's region: per town the
 * rows matched and the anomalies the rules raised on them, the matched rows, the rows that
 * matched nobody (or not surely), and the open signals of rules that read this feed — each
 * with its source row. Exported to Excel for the towns to verify.
 */
import type { Writable } from "node:stream";
import type { Kysely } from "kysely";
import { maskIdNumber } from "../../core/id-number.ts";
import { feedTypesRead } from "../../core/rules/sql.ts";
import type { DB } from "../../db/schema.ts";
import { type Actor, scopeRange } from "../auth/index.ts";
import { excel } from "../exchange/index.ts";
import type { CompiledPolicy, FeedColumn, FeedDef } from "../policy/index.ts";

export interface ComparisonReport {
  loadId: number;
  feedType: string;
  feedName: string;
  fileName: string;
  loadedAt: string;
  /** By town (9-digit code), in code order. */
  towns: { code: string; name: string; matched: number; anomalies: number }[];
  matched: {
    row: number;
    householdNumber: string;
    memberName: string;
    villageCode: string;
    villageName: string;
    effectiveFrom: string;
    current: boolean;
  }[];
  /** Rows that matched no member, or not surely (shown to users at or above the loader). */
  unmatched: {
    row: number;
    outcome: "unmatched" | "ambiguous";
    reason: string;
    idNumber: string;
    name: string | null;
  }[];
  anomalies: {
    householdNumber: string;
    villageCode: string;
    villageName: string;
    ruleId: string;
    ruleName: string;
    severity: string;
    sources: string | null;
  }[];
}

const REASONS: Record<string, string> = {
  member_not_found: "在册成员中无此证件号码",
  several_households: "证件号码曾属于多户，无法确定",
  name_mismatch: "姓名与在册登记不一致",
};

export async function comparisonReport(
  db: Kysely<DB>,
  actor: Actor,
  load: {
    id: number;
    feed_type: string;
    file_name: string;
    loaded_at: string;
    region_code: string | null;
  },
  policy: CompiledPolicy,
): Promise<ComparisonReport> {
  const range = actor.regionCode ? scopeRange(actor.regionCode) : null;
  let facts = db
    .selectFrom("facts as f")
    .innerJoin("members as m", "m.id", "f.member_id")
    .innerJoin("households as h", "h.id", "f.household_id")
    .leftJoin("regions as v", "v.code", "h.village_code")
    .select([
      "f.row_number",
      "f.household_id",
      "f.effective_from",
      "f.superseded_at",
      "m.name",
      "h.household_number",
      "h.village_code",
      "v.name as village_name",
    ])
    .where("f.load_id", "=", load.id)
    .orderBy("f.row_number");
  if (range)
    facts = facts.where("h.village_code", ">=", range[0]).where("h.village_code", "<", range[1]);
  const matched = await facts.execute();

  // Rules that read this feed: their open signals on the matched households are its anomalies.
  const rules = policy.compiled.filter((c) => feedTypesRead(c.when).includes(load.feed_type));
  const households = [...new Set(matched.map((m) => Number(m.household_id)))];
  const anomalies: ComparisonReport["anomalies"] = [];
  for (let i = 0; i < households.length && rules.length > 0; i += 500) {
    const rows = await db
      .selectFrom("signals as s")
      .innerJoin("households as h", "h.id", "s.household_id")
      .leftJoin("regions as v", "v.code", "h.village_code")
      .select([
        "h.household_number",
        "h.village_code",
        "v.name as village_name",
        "s.rule_id",
        "s.severity",
        "s.evidence",
      ])
      .where("s.status", "=", "open")
      .where("s.household_id", "in", households.slice(i, i + 500))
      .where(
        "s.rule_id",
        "in",
        rules.map((r) => r.rule.id),
      )
      .orderBy("h.household_number")
      .orderBy("s.rule_id")
      .execute();
    for (const r of rows) {
      const evidence = r.evidence ? (JSON.parse(r.evidence) as { sources?: string }) : {};
      anomalies.push({
        householdNumber: r.household_number,
        villageCode: r.village_code,
        villageName: r.village_name ?? r.village_code,
        ruleId: r.rule_id,
        ruleName: rules.find((c) => c.rule.id === r.rule_id)?.rule.name ?? r.rule_id,
        severity: r.severity,
        sources: evidence.sources ?? null,
      });
    }
  }

  // Unmatched rows name no household: only users at or above the loader's region see them.
  const seesAll =
    actor.regionCode === null || load.region_code?.startsWith(actor.regionCode) === true;
  const unmatchedRows = await db
    .selectFrom("feed_rows")
    .select(["row_number", "outcome", "reason", "id_number", "name", "village_code"])
    .where("load_id", "=", load.id)
    .orderBy("row_number")
    .execute();
  const unmatched = unmatchedRows
    .filter(
      (r) =>
        seesAll ||
        (r.village_code !== null &&
          range &&
          r.village_code >= range[0] &&
          r.village_code < range[1]),
    )
    .map((r) => ({
      row: r.row_number,
      outcome: r.outcome,
      reason: REASONS[r.reason] ?? r.reason,
      idNumber: maskIdNumber(r.id_number),
      name: r.name,
    }));

  const towns = new Map<
    string,
    { code: string; name: string; matched: number; anomalies: number }
  >();
  const town = (village: string) => {
    const code = village.slice(0, 9);
    let t = towns.get(code);
    if (!t) {
      t = { code, name: code, matched: 0, anomalies: 0 };
      towns.set(code, t);
    }
    return t;
  };
  for (const m of matched) town(m.village_code).matched++;
  for (const a of anomalies) town(a.villageCode).anomalies++;
  if (towns.size > 0) {
    const names = await db
      .selectFrom("regions")
      .select(["code", "name"])
      .where("code", "in", [...towns.keys()])
      .execute();
    for (const n of names) towns.get(n.code)!.name = n.name;
  }
  return {
    loadId: load.id,
    feedType: load.feed_type,
    feedName: policy.feeds[load.feed_type]?.name ?? load.feed_type,
    fileName: load.file_name,
    loadedAt: load.loaded_at,
    towns: [...towns.values()].sort((a, b) => a.code.localeCompare(b.code)),
    matched: matched.map((m) => ({
      row: m.row_number,
      householdNumber: m.household_number,
      memberName: m.name,
      villageCode: m.village_code,
      villageName: m.village_name ?? m.village_code,
      effectiveFrom: m.effective_from,
      current: m.superseded_at === null,
    })),
    unmatched,
    anomalies,
  };
}

/** The report as a workbook: 汇总, 预警, 已匹配, 未匹配 sheets. */
export async function writeReportXlsx(report: ComparisonReport, out: Writable): Promise<void> {
  const { ExcelJS } = await excel();
  const wb = new ExcelJS.Workbook();
  const sheet = (name: string, headers: string[], rows: (string | number | null)[][]) => {
    const ws = wb.addWorksheet(name);
    ws.addRow([
      `${report.feedName}比对报告：${report.fileName}（${report.loadedAt.slice(0, 10)}）`,
    ]);
    const h = ws.addRow(headers);
    h.font = { bold: true };
    for (const r of rows) ws.addRow(r);
    ws.columns.forEach((c) => {
      c.width = 18;
    });
  };
  sheet(
    "汇总",
    ["乡镇代码", "乡镇", "匹配行数", "预警数"],
    report.towns.map((t) => [t.code, t.name, t.matched, t.anomalies]),
  );
  sheet(
    "预警",
    ["户编号", "村", "规则", "预警", "严重程度", "数据来源"],
    report.anomalies.map((a) => [
      a.householdNumber,
      a.villageName,
      a.ruleId,
      a.ruleName,
      a.severity,
      a.sources,
    ]),
  );
  sheet(
    "已匹配",
    ["行号", "户编号", "村", "成员", "生效日期", "是否现行"],
    report.matched.map((m) => [
      m.row,
      m.householdNumber,
      m.villageName,
      m.memberName,
      m.effectiveFrom,
      m.current ? "是" : "否（已被取代）",
    ]),
  );
  sheet(
    "未匹配",
    ["行号", "结果", "原因", "证件号码", "姓名"],
    report.unmatched.map((u) => [
      u.row,
      u.outcome === "ambiguous" ? "待核实" : "未匹配",
      u.reason,
      u.idNumber,
      u.name,
    ]),
  );
  await wb.xlsx.write(out);
  out.end();
}

/** What a cell of each column kind must hold, as the template's 填写说明 says it. */
const KIND_HINTS: Record<FeedColumn["kind"], string> = {
  text: "文字",
  id_number: "18 位公民身份号码（文本格式，勿存为数字）",
  money: "金额（元），如 1234.50",
  number: "数字",
  int: "整数",
  date: "日期，如 2026-10-09",
  month: "年月，如 202610",
  flag: "是 / 否",
  term: "下列之一",
};

/**
 * 模板 — an empty workbook for a department to fill: the feed's headers in the first row (the
 * required ones in red), ID-number columns formatted as text, and a 填写说明 sheet listing
 * each column with whether it is required, what it holds, the values allowed and the other
 * headers the loader also accepts.
 */
export async function writeTemplateXlsx(def: FeedDef, out: Writable): Promise<void> {
  const { ExcelJS } = await excel();
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(def.name.slice(0, 31));
  const header = ws.addRow(def.columns.map((c) => c.header));
  header.font = { bold: true };
  def.columns.forEach((c, i) => {
    const column = ws.getColumn(i + 1);
    column.width = Math.max(12, c.header.length * 2 + 4);
    if (c.kind === "id_number" || c.kind === "text") column.numFmt = "@";
    if (c.required) header.getCell(i + 1).font = { bold: true, color: { argb: "FFC00000" } };
  });
  ws.views = [{ state: "frozen", ySplit: 1 }];
  const notes = wb.addWorksheet("填写说明");
  notes.addRow([
    `${def.name}（${def.department ?? ""}）：第一行为表头，从第二行起每行一条；红色表头为必填。`,
  ]);
  const h = notes.addRow(["表头", "必填", "填写内容", "可选值", "也可写作"]);
  h.font = { bold: true };
  for (const c of def.columns)
    notes.addRow([
      c.header,
      c.required ? "是" : "",
      KIND_HINTS[c.kind],
      c.terms?.join("、") ?? "",
      c.aliases.join("、"),
    ]);
  notes.columns.forEach((c, i) => {
    c.width = [22, 6, 36, 40, 40][i] ?? 18;
  });
  await wb.xlsx.write(out);
  out.end();
}
