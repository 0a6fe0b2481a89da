/**
 * CEL → SQL for SQLite and PostgreSQL. The result is a boolean (or value) expression over the
 * `households` row aliased `h`; member macros become correlated subqueries on `members`.
 * Unknown (NULL) data follows SQL's three-valued logic, which the JS compiler reproduces
 * (see docs/rules.md). Literals are inlined: every value is type-checked, strings are quoted.
 */
import type { Node } from "./ast.ts";
import { type Checked, isFactList } from "./check.ts";
import {
  ASSISTANCE_FACTS,
  type ContextField,
  type DerivedName,
  incomeRecordSql,
  lastYearOf,
  type PolicyParams,
} from "./context.ts";

export type SqlEngine = "sqlite" | "postgres";

export interface SqlOptions {
  engine: SqlEngine;
  params: PolicyParams;
  /** The evaluation date, YYYY-MM-DD. */
  today: string;
  /** Alias of the households table (default "h"). */
  h?: string;
  /**
   * When given, conditions on members alone become columns of one aggregate over the members
   * table (see MemberAggregates), joined as `a`, instead of a subquery per household.
   */
  aggregates?: MemberAggregates;
}

/**
 * Member aggregates shared by many rules, so that a sweep reads the members table once:
 * `SELECT household_id, MAX(CASE WHEN … THEN 1 ELSE 0 END) AS c0, … GROUP BY household_id`.
 * Households without active members have no row; references use COALESCE accordingly.
 */
export class MemberAggregates {
  readonly expressions: string[] = [];

  /** The column holding an aggregate expression (the same expression shares a column). */
  column(expression: string): string {
    let i = this.expressions.indexOf(expression);
    if (i < 0) {
      i = this.expressions.length;
      this.expressions.push(expression);
    }
    return `c${i}`;
  }

  /** The grouped query, restricted by `filter` over alias mm (e.g. a household id range). */
  select(filter: string | null): string | null {
    if (this.expressions.length === 0) return null;
    const cols = this.expressions.map((e, i) => `${e} AS c${i}`).join(", ");
    return `SELECT ${MEMBER_ALIAS}.household_id AS household_id, ${cols} FROM members ${MEMBER_ALIAS} WHERE ${MEMBER_ALIAS}.status = 'active'${filter ? ` AND ${filter}` : ""} GROUP BY ${MEMBER_ALIAS}.household_id`;
  }
}

/** Alias under which the member aggregates are joined. */
export const AGGREGATE_ALIAS = "a";

const MEMBER_ALIAS = "mm";
/** Alias of the facts table inside a `facts.<name>` macro or size(). */
const FACT_ALIAS = "ff";
/** Alias of a fact's load, for its file name in the evidence. */
const LOAD_ALIAS = "fl";

export function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function number(value: number, engine: SqlEngine, isDouble: boolean): string {
  if (!Number.isFinite(value)) throw new Error("non-finite number in rule");
  const text = String(value);
  if (!isDouble) return text;
  return engine === "postgres"
    ? `CAST(${text} AS double precision)`
    : text.includes(".") || text.includes("e")
      ? text
      : `${text}.0`;
}

/** Whether an expression reads the household (`h`), i.e. cannot be evaluated on members alone. */
function mentionsHousehold(node: Node): boolean {
  switch (node.k) {
    case "ident":
      return node.name === "h" || node.name === "members" || node.name === "facts";
    case "const":
      return false;
    case "select":
      return mentionsHousehold(node.operand);
    case "list":
      return node.items.some(mentionsHousehold);
    case "macro":
      return true;
    case "call":
      return (
        (node.target !== null && mentionsHousehold(node.target)) ||
        node.args.some(mentionsHousehold)
      );
  }
}

export function compileSql(checked: Checked, options: SqlOptions): string {
  const { engine, params, today } = options;
  const h = options.h ?? "h";
  const pg = engine === "postgres";
  const TRUE = pg ? "TRUE" : "1";
  const FALSE = pg ? "FALSE" : "0";
  const T = quote(today);
  const toDouble = (x: string) => (pg ? `CAST(${x} AS double precision)` : `(${x} * 1.0)`);
  const int = (x: string) => `CAST(${x} AS INTEGER)`;

  function derived(name: DerivedName, alias: string): string {
    switch (name) {
      case "h.size":
        return `${h}.size`;
      case "h.netIncome":
        return `(${netIncomeFen()} / ${pg ? "CAST(100 AS double precision)" : "100.0"})`;
      case "h.perCapitaIncome":
        return `((${toDouble(netIncomeFen())} / NULLIF(${h}.size, 0)) / 100)`;
      case "h.monitored":
        return `(${h}.monitoring_category IS NOT NULL AND COALESCE(${h}.risk_eliminated, 0) = 0)`;
      case "h.townCode":
        return `substr(${h}.village_code, 1, 9)`;
      case "m.age":
        return `(${int(`substr(${T}, 1, 4)`)} - ${int(`substr(${alias}.birth_date, 1, 4)`)} - CASE WHEN substr(${T}, 6, 5) < substr(${alias}.birth_date, 6, 5) THEN 1 ELSE 0 END)`;
      case "m.isHead":
        return `(${alias}.relationship = '户主')`;
      case "h.measureCount":
      case "h.developmentMeasureCount":
      case "h.helperCount":
        return ASSISTANCE_FACTS[name].sql(h);
      // The record of the year before today's, computed as h.netIncome / h.perCapitaIncome.
      case "h.lastYearNetIncome":
        return `(${incomeRecordSql(h, lastYearOf(today), "hi.net_income")} / ${pg ? "CAST(100 AS double precision)" : "100.0"})`;
      case "h.lastYearPerCapitaIncome":
        return incomeRecordSql(
          h,
          lastYearOf(today),
          `((${toDouble("hi.net_income")} / NULLIF(hi.size, 0)) / 100)`,
        );
      case "h.lastYearSize":
        return incomeRecordSql(h, lastYearOf(today), "hi.size");
      case "f.memberListed":
        return `EXISTS (SELECT 1 FROM members fm WHERE fm.id = ${alias}.member_id AND fm.status = 'active')`;
    }
  }

  function netIncomeFen(): string {
    const cols = [
      "wage_income",
      "business_income",
      "property_income",
      "transfer_income",
      "business_costs",
    ].map((c) => `${h}.${c}`);
    const sum = `(COALESCE(${cols[0]}, 0) + COALESCE(${cols[1]}, 0) + COALESCE(${cols[2]}, 0) + COALESCE(${cols[3]}, 0) - COALESCE(${cols[4]}, 0))`;
    return `(CASE WHEN COALESCE(${cols.join(", ")}) IS NULL THEN NULL ELSE ${sum} END)`;
  }

  /** A value of a fact's JSON object, as stored (text, or a number for numeric kinds). */
  function jsonValue(alias: string, key: string, as: string): string {
    if (!pg) return `json_extract(${alias}.vals, ${quote(`$.${key}`)})`;
    const text = `(CAST(${alias}.vals AS jsonb) ->> ${quote(key)})`;
    if (as === "text") return text;
    if (as === "int" || as === "flag") return `CAST(${text} AS bigint)`;
    return `CAST(${text} AS double precision)`;
  }

  /** The stored value of a column field (before flags and money are read). */
  function raw(f: ContextField & { storage: { kind: "column" } }, alias: string): string {
    return f.storage.json
      ? jsonValue(alias, f.storage.column, f.storage.as)
      : `${alias}.${f.storage.column}`;
  }

  function field(f: ContextField, alias: string): string {
    const s = f.storage;
    if (s.kind === "derived") return derived(s.name, alias);
    const col = raw(f as ContextField & { storage: { kind: "column" } }, alias);
    switch (s.as) {
      case "flag":
        return `(${col} = 1)`;
      case "fen":
        return pg ? `(CAST(${col} AS double precision) / 100)` : `(${col} / 100.0)`;
      default:
        return col;
    }
  }

  /** The current facts of a list for the household, with a condition over alias ff. */
  function factsFrom(list: Node, where: string | null): string {
    const feed = checked.factsOf(list);
    if (!feed) throw new Error("expected a fact list");
    return `FROM facts ${FACT_ALIAS} WHERE ${FACT_ALIAS}.household_id = ${h}.id AND ${FACT_ALIAS}.feed_type = ${quote(feed.feedType)} AND ${FACT_ALIAS}.superseded_at IS NULL${where ? ` AND ${where}` : ""}`;
  }

  function membersFrom(where: string | null): string {
    return `FROM members ${MEMBER_ALIAS} WHERE ${MEMBER_ALIAS}.household_id = ${h}.id AND ${MEMBER_ALIAS}.status = 'active'${where ? ` AND ${where}` : ""}`;
  }

  function jsonList(node: Node): string {
    const f = checked.fieldOf(node);
    if (f?.storage.kind !== "column") throw new Error("expected a list field");
    return `${node.k === "select" && node.operand.k === "ident" && node.operand.name !== "h" ? MEMBER_ALIAS : h}.${f.storage.column}`;
  }

  function c(node: Node, vars: Map<string, string>): string {
    switch (node.k) {
      case "const":
        if (node.value === null) return "NULL";
        if (node.type === "bool") return node.value ? TRUE : FALSE;
        if (node.type === "string") return quote(node.value as string);
        return number(node.value as number, engine, node.type === "double");
      case "ident":
        if (node.name === "today") return T;
        throw new Error(`bare identifier ${node.name} in SQL`);
      case "select": {
        if (node.operand.k === "ident" && node.operand.name === "policy") {
          if (node.test) return TRUE;
          const v = params[node.field]!;
          if (typeof v === "boolean") return v ? TRUE : FALSE;
          if (typeof v === "string") return quote(v);
          return number(v, engine, !Number.isInteger(v));
        }
        const f = checked.fieldOf(node)!;
        const alias =
          node.operand.k === "ident" && vars.has(node.operand.name)
            ? vars.get(node.operand.name)!
            : h;
        if (node.test)
          return `(${f.storage.kind === "column" ? raw(f as ContextField & { storage: { kind: "column" } }, alias) : field(f, alias)} IS NOT NULL)`;
        return field(f, alias);
      }
      case "list":
        throw new Error("list literal outside `in`");
      case "macro":
        return macro(node, vars, null);
      case "call":
        return call(node, vars);
    }
  }

  function macro(
    node: Extract<Node, { k: "macro" }>,
    vars: Map<string, string>,
    aggregate: string | null,
  ): string {
    if (isFactList(node.range)) return factMacro(node, vars, aggregate);
    const inner = new Map(vars).set(node.v, MEMBER_ALIAS);
    const body = c(node.body, inner);
    const where = node.where ? c(node.where, inner) : null;
    // A condition on members alone is evaluated once over the members table (one scan and a
    // lookup per household) rather than as a subquery per household.
    const free = !mentionsHousehold(node.body) && !(node.where && mentionsHousehold(node.where));
    const activeMembers = (cond: string) =>
      `SELECT ${MEMBER_ALIAS}.household_id FROM members ${MEMBER_ALIAS} WHERE ${MEMBER_ALIAS}.status = 'active' AND ${cond}`;
    const agg = options.aggregates;
    if (agg && free) {
      const col = (e: string) => `${AGGREGATE_ALIAS}.${agg.column(e)}`;
      const count = (cond: string) => `SUM(CASE WHEN ${cond} THEN 1 ELSE 0 END)`;
      switch (node.macro) {
        case "exists":
          return `(COALESCE(${col(`MAX(CASE WHEN ${body} THEN 1 ELSE 0 END)`)}, 0) = 1)`;
        case "all":
          return `(COALESCE(${col(`MAX(CASE WHEN (${body}) IS NOT TRUE THEN 1 ELSE 0 END)`)}, 0) = 0)`;
        case "exists_one":
          return `(COALESCE(${col(count(body))}, 0) = 1)`;
        case "filter":
          if (aggregate === "size") return `COALESCE(${col(count(body))}, 0)`;
          break;
        case "map":
          if (aggregate === "size") return `COALESCE(${col(where ? count(where) : "COUNT(*)")}, 0)`;
          if (aggregate === "sum")
            return `COALESCE(${col(`SUM(${where ? `CASE WHEN ${where} THEN ${body} END` : body})`)}, 0)`;
          if (aggregate === "min" || aggregate === "max") {
            return col(
              `${aggregate.toUpperCase()}(${where ? `CASE WHEN ${where} THEN ${body} END` : body})`,
            );
          }
          break;
      }
    }
    switch (node.macro) {
      case "exists":
        // Parenthesised: SQLite gives IN the precedence of =, left to right.
        return free
          ? `(${h}.id IN (${activeMembers(body)}))`
          : `EXISTS (SELECT 1 ${membersFrom(body)})`;
      case "all":
        return free
          ? `(${h}.id NOT IN (${activeMembers(`(${body}) IS NOT TRUE`)}))`
          : `NOT EXISTS (SELECT 1 ${membersFrom(`(${body}) IS NOT TRUE`)})`;
      case "exists_one":
        return `((SELECT COUNT(*) ${membersFrom(body)}) = 1)`;
      case "filter":
        if (aggregate === "size") return `(SELECT COUNT(*) ${membersFrom(body)})`;
        throw new Error("filter() is only supported inside size()");
      case "map": {
        // The aggregate must read the member row: over household columns alone, SQL would make
        // it an aggregate of the outer query.
        const value = `CASE WHEN ${MEMBER_ALIAS}.id IS NOT NULL THEN ${body} END`;
        if (aggregate === "size") return `(SELECT COUNT(*) ${membersFrom(where)})`;
        if (aggregate === "sum") return `(SELECT COALESCE(SUM(${value}), 0) ${membersFrom(where)})`;
        if (aggregate === "min" || aggregate === "max")
          return `(SELECT ${aggregate.toUpperCase()}(${value}) ${membersFrom(where)})`;
        throw new Error("map() is only supported inside size(), sum(), min() or max()");
      }
    }
  }

  /** facts.<name>.exists/all/exists_one/filter/map: subqueries over the current facts. */
  function factMacro(
    node: Extract<Node, { k: "macro" }>,
    vars: Map<string, string>,
    aggregate: string | null,
  ): string {
    const inner = new Map(vars).set(node.v, FACT_ALIAS);
    const body = c(node.body, inner);
    const where = node.where ? c(node.where, inner) : null;
    const from = (cond: string | null) => factsFrom(node.range, cond);
    switch (node.macro) {
      case "exists":
        return `EXISTS (SELECT 1 ${from(body)})`;
      case "all":
        return `NOT EXISTS (SELECT 1 ${from(`(${body}) IS NOT TRUE`)})`;
      case "exists_one":
        return `((SELECT COUNT(*) ${from(body)}) = 1)`;
      case "filter":
        if (aggregate === "size") return `(SELECT COUNT(*) ${from(body)})`;
        throw new Error("filter() is only supported inside size()");
      case "map": {
        const value = `CASE WHEN ${FACT_ALIAS}.id IS NOT NULL THEN ${body} END`;
        if (aggregate === "size") return `(SELECT COUNT(*) ${from(where)})`;
        if (aggregate === "sum") return `(SELECT COALESCE(SUM(${value}), 0) ${from(where)})`;
        if (aggregate === "min" || aggregate === "max")
          return `(SELECT ${aggregate.toUpperCase()}(${value}) ${from(where)})`;
        throw new Error("map() is only supported inside size(), sum(), min() or max()");
      }
    }
  }

  function call(node: Extract<Node, { k: "call" }>, vars: Map<string, string>): string {
    const a = (i: number) => c(node.args[i]!, vars);
    switch (node.fn) {
      case "_&&_":
        return `(${a(0)} AND ${a(1)})`;
      case "_||_":
        return `(${a(0)} OR ${a(1)})`;
      case "!_":
        return `(NOT ${a(0)})`;
      case "-_":
        return `(- ${a(0)})`;
      case "_?_:_":
        return `(CASE WHEN ${a(0)} THEN ${a(1)} ELSE ${a(2)} END)`;
      case "_==_":
        return `(${a(0)} = ${a(1)})`;
      case "_!=_":
        return `(${a(0)} <> ${a(1)})`;
      case "_<_":
      case "_<=_":
      case "_>_":
      case "_>=_":
        return `(${a(0)} ${node.fn.slice(1, -1)} ${a(1)})`;
      case "_+_":
      case "_-_":
      case "_*_":
        return `(${a(0)} ${node.fn[1]} ${a(1)})`;
      case "_/_": {
        const isDouble = checked.typeOf(node).kind === "double";
        return isDouble
          ? `(${toDouble(a(0))} / NULLIF(${a(1)}, 0))`
          : `(${a(0)} / NULLIF(${a(1)}, 0))`;
      }
      case "_%_":
        return `(${a(0)} % NULLIF(${a(1)}, 0))`;
      case "@in": {
        const rhs = node.args[1]!;
        if (rhs.k === "list") {
          if (rhs.items.length === 0) return FALSE;
          return `(${a(0)} IN (${rhs.items.map((i) => c(i, vars)).join(", ")}))`;
        }
        const col = jsonList(rhs);
        return pg
          ? `EXISTS (SELECT 1 FROM jsonb_array_elements_text(CAST(${col} AS jsonb)) AS je(value) WHERE je.value = ${a(0)})`
          : `EXISTS (SELECT 1 FROM json_each(${col}) WHERE json_each.value = ${a(0)})`;
      }
      case "size": {
        const on = node.target ?? node.args[0]!;
        if (on.k === "ident" && on.name === "members") return `${h}.size`;
        if (isFactList(on)) return `(SELECT COUNT(*) ${factsFrom(on, null)})`;
        if (on.k === "macro") return macro(on, vars, "size");
        if (on.k === "list") return String(on.items.length);
        if (checked.typeOf(on).kind === "string")
          return pg ? `char_length(${c(on, vars)})` : `length(${c(on, vars)})`;
        const col = jsonList(on);
        return pg
          ? `COALESCE(jsonb_array_length(CAST(${col} AS jsonb)), 0)`
          : `COALESCE(json_array_length(${col}), 0)`;
      }
      case "has": {
        const arg = node.args[0]!;
        return c({ ...arg, ...(arg.k === "select" ? { test: true } : {}) } as Node, vars);
      }
      case "int":
        return pg ? `CAST(trunc(${a(0)}) AS bigint)` : `CAST(${a(0)} AS INTEGER)`;
      case "double":
        return toDouble(a(0));
      case "startsWith": {
        const lit = (node.args[0] as { value: string }).value;
        return `(substr(${c(node.target!, vars)}, 1, ${[...lit].length}) = ${quote(lit)})`;
      }
      case "endsWith": {
        const lit = (node.args[0] as { value: string }).value;
        const n = [...lit].length;
        // SQLite's substr(x, -0) is all of x: every string ends with "".
        if (n === 0) return `(substr(${c(node.target!, vars)}, 1, 0) = '')`;
        return pg
          ? `(right(${c(node.target!, vars)}, ${n}) = ${quote(lit)})`
          : `(substr(${c(node.target!, vars)}, -${n}) = ${quote(lit)})`;
      }
      case "contains": {
        const lit = (node.args[0] as { value: string }).value;
        return pg
          ? `(strpos(${c(node.target!, vars)}, ${quote(lit)}) > 0)`
          : `(instr(${c(node.target!, vars)}, ${quote(lit)}) > 0)`;
      }
      case "monthsSince": {
        const x = a(0);
        return `((${int(`substr(${T}, 1, 4)`)} - ${int(`substr(${x}, 1, 4)`)}) * 12 + ${int(`substr(${T}, 6, 2)`)} - ${int(`substr(${x}, 6, 2)`)})`;
      }
      case "sum":
      case "min":
      case "max":
        return macro(node.args[0] as Extract<Node, { k: "macro" }>, vars, node.fn);
      default:
        throw new Error(`no SQL for ${node.fn}`);
    }
  }

  return c(checked.root, new Map());
}

/** Every fact list an expression reads (`facts.<name>`), by feed type. */
export function feedTypesRead(checked: Checked): string[] {
  const out = new Set<string>();
  const walk = (node: Node) => {
    const list = checked.factsOf(node);
    if (list) out.add(list.feedType);
    switch (node.k) {
      case "select":
        walk(node.operand);
        break;
      case "list":
        node.items.forEach(walk);
        break;
      case "macro":
        walk(node.range);
        walk(node.body);
        if (node.where) walk(node.where);
        break;
      case "call":
        if (node.target) walk(node.target);
        node.args.forEach(walk);
        break;
    }
  };
  walk(checked.root);
  return [...out].sort();
}

/**
 * The evidence of a rule that reads department data: where its facts came from, as text
 * ("medical.csv 第 3 行；…"), the household's current facts of those feeds in load order.
 */
export function factSourcesSql(feedTypes: readonly string[], engine: SqlEngine, h = "h"): string {
  const where = `${FACT_ALIAS}.household_id = ${h}.id AND ${FACT_ALIAS}.superseded_at IS NULL AND ${FACT_ALIAS}.feed_type IN (${feedTypes.map(quote).join(", ")})`;
  // The file name is the fact's load's (feed_loads).
  const from = `facts ${FACT_ALIAS} JOIN feed_loads ${LOAD_ALIAS} ON ${LOAD_ALIAS}.id = ${FACT_ALIAS}.load_id`;
  if (engine === "postgres")
    return `(SELECT string_agg(${LOAD_ALIAS}.file_name || ' 第 ' || CAST(${FACT_ALIAS}.row_number AS text) || ' 行', '；' ORDER BY ${FACT_ALIAS}.id) FROM ${from} WHERE ${where})`;
  return `(SELECT group_concat(src, '；') FROM (SELECT ${LOAD_ALIAS}.file_name || ' 第 ' || ${FACT_ALIAS}.row_number || ' 行' AS src FROM ${from} WHERE ${where} ORDER BY ${FACT_ALIAS}.id))`;
}
