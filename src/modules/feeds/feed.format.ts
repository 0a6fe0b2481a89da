/**
 * A feed file's shape from its definition in the policy (`feeds:`): which header is which
 * column, how the header row is recognised, and how a row becomes a fact's values. Cells are
 * parsed by the column's kind with the national import's parsers, so the same cell gives the
 * same value and the same Chinese message in both.
 */
import { checkIdNumber } from "../../core/id-number.ts";
// The exchange module's reader and cell parsers, not its index: this file also runs in the
// worker thread of a large load (feeds.worker.ts), which should not load the module's HTTP
// routes and services (0.8 s of start-up) to read a file.
import { normalizeHeader } from "../exchange/national.columns.ts";
import {
  type Cell,
  CellProblem,
  type HeaderRule,
  parseDate,
  parseFlag,
  parseIdNumber,
  parseMoney,
  parseMonth,
  parseNumber,
  parseTerm,
  parseText,
} from "../exchange/national.reader.ts";
import type { FeedColumn, FeedDef } from "../policy/index.ts";

/** A value of a fact: text, number (money in fen), 0/1 for flags. */
export type FactValue = string | number;

/** A column of the definition found in the file. */
export interface BoundFeedColumn {
  /** 0-based cell index. */
  index: number;
  /** The header as written in the file. */
  header: string;
  column: FeedColumn;
  /** The header as messages quote it: “header”. */
  label: string;
  /** The column's place in the definition (`def.columns`). */
  at: number;
}

/** One problem of a row, where a person finds it in the file. */
export interface FeedProblem {
  row: number;
  column: string;
  code: string;
  message: string;
}

/** A valid row: what the fact will hold. */
export interface FeedRow {
  row: number;
  idNumber: string;
  name: string | null;
  /** JSON array of the key values. */
  key: string;
  period: string | null;
  from: string;
  to: string | null;
  /**
   * The values as stored (`facts.vals`, `feed_rows.vals`): a JSON object by column key in the
   * definition's column order, so equal rows give equal text; the ID number is left out (it is
   * the fact's own column).
   */
  vals: string;
}

const headerMap = (def: FeedDef) => {
  const map = new Map<string, FeedColumn>();
  for (const c of def.columns)
    for (const h of [c.header, ...c.aliases]) map.set(normalizeHeader(h), c);
  return map;
};

/** The header row is the first with the ID column and at least one other required column. */
export function feedHeaderRule(type: string, def: FeedDef): HeaderRule {
  const map = headerMap(def);
  const idColumn = def.columns.find((c) => c.key === def.idColumn)!;
  return {
    isHeader(texts) {
      const found = new Set(texts.map((t) => map.get(normalizeHeader(t))).filter((c) => !!c));
      return found.has(idColumn) && [...found].some((c) => c !== idColumn && c.required);
    },
    notFound: (limit) =>
      `在文件前 ${limit} 行中没有找到表头行（应含有“${idColumn.header}”列及${def.columns
        .filter((c) => c.required && c !== idColumn)
        .map((c) => `“${c.header}”`)
        .join("、")}等必填列）。请确认这是“${def.name}”（${type}）数据文件`,
  };
}

/**
 * Binds the header row to the definition's columns. Unknown columns are ignored (departments
 * add their own); a column named twice keeps its first occurrence. Missing required columns
 * are returned for the caller to refuse the file.
 */
export function bindFeedHeaders(
  def: FeedDef,
  headers: readonly string[],
): { columns: BoundFeedColumn[]; missing: FeedColumn[] } {
  const map = headerMap(def);
  const columns: BoundFeedColumn[] = [];
  const taken = new Set<FeedColumn>();
  headers.forEach((raw, index) => {
    const column = map.get(normalizeHeader(raw));
    if (!column || taken.has(column)) return;
    taken.add(column);
    const header = raw.trim();
    columns.push({ index, header, column, label: `“${header}”`, at: def.columns.indexOf(column) });
  });
  const missing = def.columns.filter((c) => c.required && !taken.has(c));
  return { columns, missing };
}

function parseCell(
  column: FeedColumn,
  cell: Cell,
  label: string,
  today: string,
): FactValue | null | CellProblem {
  switch (column.kind) {
    case "text":
      return parseText(cell, label, 200);
    case "id_number": {
      const v = parseIdNumber(cell, label);
      if (v === null || v instanceof CellProblem) return v;
      const check = checkIdNumber(v, today);
      return check.valid
        ? check.normalized
        : new CellProblem(check.error, `${label}${check.message}`);
    }
    case "money":
      return parseMoney(cell, label);
    case "number":
      return parseNumber(cell, label);
    case "int":
      return parseNumber(cell, label, true);
    case "date":
      return parseDate(cell, label);
    case "month":
      return parseMonth(cell, label);
    case "flag": {
      const v = parseFlag(cell, label);
      return typeof v === "boolean" ? (v ? 1 : 0) : v;
    }
    case "term":
      return parseTerm(cell, label, column.terms ?? []);
  }
}

/** The first day a date or month value names. */
const dayOf = (v: FactValue): string => (String(v).length === 7 ? `${v}-01` : String(v));

/** Where a definition's special columns are in `def.columns`, and its JSON keys, once per definition. */
interface RowPlan {
  id: number;
  name: number;
  from: number;
  to: number;
  period: number;
  key: number[];
  /** Each column's key, in the definition's order. */
  keys: string[];
}

const plans = new WeakMap<FeedDef, RowPlan>();

function planOf(def: FeedDef): RowPlan {
  let plan = plans.get(def);
  if (!plan) {
    const at = (key: string | undefined) =>
      key === undefined ? -1 : def.columns.findIndex((c) => c.key === key);
    plan = {
      id: at(def.idColumn),
      name: at(def.nameColumn),
      from: at(def.effective.from),
      to: at(def.effective.to),
      period: at(def.period),
      key: def.key.map(at),
      keys: def.columns.map((c) => c.key),
    };
    plans.set(def, plan);
  }
  return plan;
}

/**
 * Parses one data row: what the fact will hold, or every problem the row has. The values are
 * kept by the definition's column order and written as JSON once, here.
 */
export function parseFeedRow(
  def: FeedDef,
  columns: readonly BoundFeedColumn[],
  row: { number: number; cells: readonly Cell[] },
  today: string,
): { ok: FeedRow } | { problems: FeedProblem[] } {
  const plan = planOf(def);
  let problems: FeedProblem[] | null = null;
  const slots: (FactValue | undefined)[] = new Array(def.columns.length);
  for (let i = 0; i < columns.length; i++) {
    const b = columns[i]!;
    const v = parseCell(b.column, row.cells[b.index] ?? null, b.label, today);
    if (v instanceof CellProblem) {
      problems = problems ?? [];
      problems.push({
        row: row.number,
        column: b.header,
        code: v.code,
        message: v.message,
      });
      continue;
    }
    if (v === null) {
      if (b.column.required) {
        problems = problems ?? [];
        problems.push({
          row: row.number,
          column: b.header,
          code: "value_required",
          message: `${b.label}不能为空`,
        });
      }
      continue;
    }
    slots[b.at] = v;
  }
  if (problems) return { problems };
  const from = dayOf(slots[plan.from]!);
  const toValue = plan.to < 0 ? undefined : slots[plan.to];
  const to = toValue === undefined ? null : dayOf(toValue);
  if (to !== null && to < from) {
    const header = columns.find((c) => c.at === plan.to)!.header;
    return {
      problems: [
        {
          row: row.number,
          column: header,
          code: "effective_range_invalid",
          message: `“${header}”${to} 早于开始日期 ${from}`,
        },
      ],
    };
  }
  const idNumber = slots[plan.id] as string;
  const name = plan.name < 0 ? null : ((slots[plan.name] as string | undefined) ?? null);
  // One JSON.stringify of the key values: the same text as joining each value's JSON, but a
  // flat string, which the duplicate-key map hashes without flattening it first.
  const keyValues: (FactValue | null)[] = new Array(plan.key.length);
  for (let k = 0; k < plan.key.length; k++) keyValues[k] = slots[plan.key[k]!] ?? null;
  const key = JSON.stringify(keyValues);
  const period = plan.period < 0 ? null : String(slots[plan.period]);
  // One JSON.stringify of an object whose keys are added in the definition's order: the same
  // text as joining each value's JSON (column keys begin with a letter, so no key is an integer
  // that an object would put first), written flat at once instead of as a chain of pieces
  // (0.9 against 1.0–1.35 s a million rows, docs/benchmarks.md, session 8).
  const values: Record<string, FactValue> = {};
  for (let c = 0; c < slots.length; c++) {
    const v = slots[c];
    if (v === undefined || c === plan.id) continue;
    values[plan.keys[c]!] = v;
  }
  const vals = JSON.stringify(values);
  return { ok: { row: row.number, idNumber, name, key, period, from, to, vals } };
}
