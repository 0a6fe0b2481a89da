/**
 * A feed file's shape from its definition in the policy (`feeds:`): which header is which
 * column, how the header row is recognised, and how a row becomes a fact's values. Cells are
 * parsed by the column's kind with the national import's parsers, so the same cell gives the
 * same value and the same Chinese message in both.
 */
import { checkIdNumber } from "../../core/id-number.ts";
import {
  type Cell,
  CellProblem,
  type HeaderRule,
  normalizeHeader,
  parseDate,
  parseFlag,
  parseIdNumber,
  parseMoney,
  parseMonth,
  parseNumber,
  parseTerm,
  parseText,
} from "../exchange/index.ts";
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
  /** Values by column key, the ID number left out (it is the fact's own column). */
  values: Record<string, FactValue>;
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
    columns.push({ index, header: raw.trim(), column });
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

/** Parses one data row: its values, or every problem it has. */
export function parseFeedRow(
  def: FeedDef,
  columns: readonly BoundFeedColumn[],
  row: { number: number; cells: readonly Cell[] },
  today: string,
): { ok: FeedRow } | { problems: FeedProblem[] } {
  const problems: FeedProblem[] = [];
  const values: Record<string, FactValue> = {};
  for (const b of columns) {
    const label = `“${b.header}”`;
    const v = parseCell(b.column, row.cells[b.index] ?? null, label, today);
    if (v instanceof CellProblem) {
      problems.push({ row: row.number, column: b.header, code: v.code, message: v.message });
      continue;
    }
    if (v === null) {
      if (b.column.required)
        problems.push({
          row: row.number,
          column: b.header,
          code: "value_required",
          message: `${label}不能为空`,
        });
      continue;
    }
    values[b.column.key] = v;
  }
  if (problems.length > 0) return { problems };
  const from = dayOf(values[def.effective.from]!);
  const toValue = def.effective.to ? values[def.effective.to] : undefined;
  const to = toValue === undefined ? null : dayOf(toValue);
  if (to !== null && to < from) {
    const header = columns.find((c) => c.column.key === def.effective.to)!.header;
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
  const idNumber = values[def.idColumn] as string;
  delete values[def.idColumn];
  const name = def.nameColumn ? ((values[def.nameColumn] as string | undefined) ?? null) : null;
  const key = JSON.stringify(def.key.map((k) => (k === def.idColumn ? idNumber : values[k])));
  const period = def.period ? String(values[def.period]) : null;
  return { ok: { row: row.number, idNumber, name, key, period, from, to, values } };
}

/** Values as stored: the definition's column order, so equal rows give equal text. */
export function valuesJson(def: FeedDef, values: Record<string, FactValue>): string {
  const out: Record<string, FactValue> = {};
  for (const c of def.columns) if (values[c.key] !== undefined) out[c.key] = values[c.key]!;
  return JSON.stringify(out);
}
