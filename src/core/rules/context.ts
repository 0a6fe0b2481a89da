/**
 * The household context that rules are written against, and how each field is stored.
 *
 *   h.<field>          household fields (money in yuan, flags as bool, codes as string)
 *   h.size, h.netIncome, h.perCapitaIncome, h.monitored, h.villageCode, h.townCode …
 *   members            list(member); member fields plus m.age, m.isHead
 *   policy.<param>     numeric and text parameters of the policy in force
 *   facts.<name>       list(fact): a department feed's current facts about the household's
 *                      members (see FactContext); fact fields plus f.effectiveFrom/To and
 *                      f.memberListed
 *   h.lastYear…        the household's income record of the year before `today`'s (see
 *                      LAST_YEAR_FACTS)
 *   today              the evaluation date as "YYYY-MM-DD"
 *
 * Every field maps to a column (or a derived expression) so that the SQL and the JS compilers
 * read the same data. Money is integer fen in storage and yuan (double) in rules.
 */
import { type FieldDef, HOUSEHOLD_FIELDS, MEMBER_FIELDS } from "../registry-fields.ts";
import { type RuleType, T } from "./types.ts";

/** How a context field is read from the tables. */
export type Storage =
  | {
      kind: "column";
      column: string;
      as: "text" | "int" | "double" | "flag" | "fen" | "json_list";
      /** A value of a fact's JSON object (`vals`) rather than a table column. */
      json?: true;
    }
  | { kind: "derived"; name: DerivedName };

export type DerivedName =
  | "h.size"
  | "h.netIncome"
  | "h.perCapitaIncome"
  | "h.monitored"
  | "h.townCode"
  | "m.age"
  | "m.isHead"
  | AssistanceFact
  | LastYearFact
  | "f.memberListed";

export interface ContextField {
  type: RuleType;
  storage: Storage;
  zh: string;
}

function fromFieldDef(def: FieldDef): ContextField {
  const column = def.column;
  switch (def.kind) {
    case "money":
      return {
        type: T.double,
        storage: { kind: "column", column, as: "fen" },
        zh: `${def.zh}（元）`,
      };
    case "flag":
      return { type: T.bool, storage: { kind: "column", column, as: "flag" }, zh: def.zh };
    case "int":
      return { type: T.int, storage: { kind: "column", column, as: "int" }, zh: def.zh };
    case "decimal":
      return { type: T.double, storage: { kind: "column", column, as: "double" }, zh: def.zh };
    case "enum_list":
      return {
        type: T.list(T.string),
        storage: { kind: "column", column, as: "json_list" },
        zh: def.zh,
      };
    default:
      return { type: T.string, storage: { kind: "column", column, as: "text" }, zh: def.zh };
  }
}

export const HOUSEHOLD_CONTEXT: Record<string, ContextField> = {
  ...Object.fromEntries(HOUSEHOLD_FIELDS.map((d) => [d.key, fromFieldDef(d)])),
  size: { type: T.int, storage: { kind: "derived", name: "h.size" }, zh: "家庭人口（在册）" },
  netIncome: {
    type: T.double,
    storage: { kind: "derived", name: "h.netIncome" },
    zh: "家庭纯收入（元，按政策计算）",
  },
  perCapitaIncome: {
    type: T.double,
    storage: { kind: "derived", name: "h.perCapitaIncome" },
    zh: "人均纯收入（元，按政策计算）",
  },
  reportedPerCapitaIncome: {
    type: T.double,
    storage: { kind: "column", column: "per_capita_income", as: "fen" },
    zh: "人均纯收入（元，填报值）",
  },
  monitored: {
    type: T.bool,
    storage: { kind: "derived", name: "h.monitored" },
    zh: "是否在监测中（已识别且风险未消除）",
  },
  townCode: { type: T.string, storage: { kind: "derived", name: "h.townCode" }, zh: "乡镇代码" },
};

/**
 * 帮扶 — assistance facts of a household, kept in the assistance tables rather than on the
 * household row: how many measures (not stopped) it has, how many of them development-type
 * (开发式), how many helpers are paired with it now. sql.ts reads them through these
 * subqueries over the households row `h`; the columnar snapshot loads the same subqueries as
 * the columns named here, which js.ts reads.
 */
export type AssistanceFact = "h.measureCount" | "h.developmentMeasureCount" | "h.helperCount";

export const ASSISTANCE_FACTS: Record<
  AssistanceFact,
  { column: string; sql: (h: string) => string }
> = {
  "h.measureCount": {
    column: "@measures",
    sql: (h) =>
      `(SELECT COUNT(*) FROM assistance_measures af WHERE af.household_id = ${h}.id AND af.status <> 'stopped')`,
  },
  "h.developmentMeasureCount": {
    column: "@development_measures",
    sql: (h) =>
      `(SELECT COUNT(*) FROM assistance_measures af WHERE af.household_id = ${h}.id AND af.status <> 'stopped' AND af.development = 1)`,
  },
  "h.helperCount": {
    column: "@helpers",
    sql: (h) =>
      `(SELECT COUNT(*) FROM pairings af WHERE af.household_id = ${h}.id AND af.ended_on IS NULL)`,
  },
};

/** The snapshot column of an assistance fact, and the subquery it is loaded with. */
export const ASSISTANCE_COLUMNS: ReadonlyMap<string, (h: string) => string> = new Map(
  Object.values(ASSISTANCE_FACTS).map((f) => [f.column, f.sql]),
);

Object.assign(HOUSEHOLD_CONTEXT, {
  measureCount: {
    type: T.int,
    storage: { kind: "derived", name: "h.measureCount" },
    zh: "帮扶措施数（未停止）",
  },
  developmentMeasureCount: {
    type: T.int,
    storage: { kind: "derived", name: "h.developmentMeasureCount" },
    zh: "开发式帮扶措施数（未停止）",
  },
  helperCount: {
    type: T.int,
    storage: { kind: "derived", name: "h.helperCount" },
    zh: "结对帮扶干部数（当前）",
  },
} satisfies Record<string, ContextField>);

/**
 * 上年收入 — the household's annual income record (table household_incomes, written when a year
 * is closed) for the year before the evaluation date's: its net income, size and per-capita
 * net income, computed as h.netIncome and h.perCapitaIncome are. NULL when the household has no
 * record for that year. sql.ts reads them through subqueries over the households row `h`; the
 * columnar snapshot loads a year's net income and size as the columns `@income<year>.net` and
 * `@income<year>.size` (incomeColumn), which js.ts reads.
 */
export type LastYearFact = "h.lastYearNetIncome" | "h.lastYearPerCapitaIncome" | "h.lastYearSize";

/** The year whose record "last year" reads on an evaluation date (YYYY-MM-DD). */
export const lastYearOf = (today: string): number => Number(today.slice(0, 4)) - 1;

export type IncomePart = "net" | "size";

/** The snapshot column of a part of a year's income record. */
export const incomeColumn = (year: number, part: IncomePart) => `@income${year}.${part}`;

const INCOME_COLUMN = /^@income(\d{4})\.(net|size)$/;

/** SQL of a part of the household's record for a year (a subquery over the households row). */
export function incomeRecordSql(h: string, year: number, expression: string): string {
  if (!Number.isInteger(year)) throw new Error(`not a year: ${year}`);
  return `(SELECT ${expression} FROM household_incomes hi WHERE hi.household_id = ${h}.id AND hi.year = ${year})`;
}

/**
 * The subquery a snapshot loads a derived household column with — an assistance fact or a
 * part of an income record — or undefined for a plain column.
 */
export function derivedColumnSql(name: string): ((h: string) => string) | undefined {
  const fact = ASSISTANCE_COLUMNS.get(name);
  if (fact) return fact;
  const m = INCOME_COLUMN.exec(name);
  if (!m) return undefined;
  const column = m[2] === "net" ? "hi.net_income" : "hi.size";
  return (h) => incomeRecordSql(h, Number(m[1]), column);
}

Object.assign(HOUSEHOLD_CONTEXT, {
  lastYearNetIncome: {
    type: T.double,
    storage: { kind: "derived", name: "h.lastYearNetIncome" },
    zh: "上年家庭纯收入（元，年度收入记录）",
  },
  lastYearPerCapitaIncome: {
    type: T.double,
    storage: { kind: "derived", name: "h.lastYearPerCapitaIncome" },
    zh: "上年人均纯收入（元，年度收入记录）",
  },
  lastYearSize: {
    type: T.int,
    storage: { kind: "derived", name: "h.lastYearSize" },
    zh: "上年家庭人口（年度收入记录）",
  },
} satisfies Record<string, ContextField>);

export const MEMBER_CONTEXT: Record<string, ContextField> = {
  ...Object.fromEntries(MEMBER_FIELDS.map((d) => [d.key, fromFieldDef(d)])),
  age: { type: T.int, storage: { kind: "derived", name: "m.age" }, zh: "年龄（周岁）" },
  isHead: { type: T.bool, storage: { kind: "derived", name: "m.isHead" }, zh: "是否户主" },
};

/** The declared type of each policy parameter a rule may use. */
export type PolicyParams = Record<string, number | string | boolean>;

export function policyContext(params: PolicyParams): Record<string, RuleType> {
  return Object.fromEntries(
    Object.entries(params).map(([k, v]) => [
      k,
      typeof v === "number"
        ? Number.isInteger(v)
          ? T.int
          : T.double
        : typeof v === "boolean"
          ? T.bool
          : T.string,
    ]),
  );
}

// ─── facts of department feeds ───────────────────────────────────────────────────

/** What the rule context needs of a feed definition (modules/policy FeedDef fits it). */
export interface FeedShape {
  fact: string;
  idColumn: string;
  columns: readonly { key: string; kind: string; header: string }[];
}

/** One fact list of the context: the feed type it comes from and its fields. */
export interface FactList {
  feedType: string;
  fields: Record<string, ContextField>;
}

/** `facts.<name>` lists by name. */
export type FactContext = Record<string, FactList>;

/** Fields every fact has, whatever its feed. */
const FACT_BUILTINS: Record<string, ContextField> = {
  effectiveFrom: {
    type: T.string,
    storage: { kind: "column", column: "effective_from", as: "text" },
    zh: "生效日期（YYYY-MM-DD）",
  },
  effectiveTo: {
    type: T.string,
    storage: { kind: "column", column: "effective_to", as: "text" },
    zh: "截止日期（YYYY-MM-DD）",
  },
  memberListed: {
    type: T.bool,
    storage: { kind: "derived", name: "f.memberListed" },
    zh: "该成员是否仍在册",
  },
};

function factField(kind: string, key: string, zh: string): ContextField {
  switch (kind) {
    case "money":
      return {
        type: T.double,
        storage: { kind: "column", column: key, as: "fen", json: true },
        zh: `${zh}（元）`,
      };
    case "number":
      return {
        type: T.double,
        storage: { kind: "column", column: key, as: "double", json: true },
        zh,
      };
    case "int":
      return { type: T.int, storage: { kind: "column", column: key, as: "int", json: true }, zh };
    case "flag":
      return { type: T.bool, storage: { kind: "column", column: key, as: "flag", json: true }, zh };
    default:
      return {
        type: T.string,
        storage: { kind: "column", column: key, as: "text", json: true },
        zh,
      };
  }
}

/** The fact lists of the feeds in a policy: each column but the ID number becomes a field. */
export function factContext(feeds: Readonly<Record<string, FeedShape>>): FactContext {
  const out: FactContext = {};
  for (const [feedType, feed] of Object.entries(feeds)) {
    const fields: Record<string, ContextField> = {};
    for (const c of feed.columns)
      if (c.key !== feed.idColumn) fields[c.key] = factField(c.kind, c.key, c.header);
    out[feed.fact] = { feedType, fields: { ...fields, ...FACT_BUILTINS } };
  }
  return out;
}
