/**
 * CEL → JS over columnar data, with the meaning of ./sql.ts (the reference): unknown values are
 * NULL and follow SQL's three-valued logic. A rule becomes one generated function whose loop
 * runs over typed arrays with no allocation and no tree walking per household, so that a
 * what-if preview over a million households answers while the user waits.
 *
 * Representation inside the generated code, chosen so that V8 keeps every value unboxed:
 *   bool    0 false, 1 unknown, 2 true — Kleene AND is min, OR is max, NOT is 2 − x
 *   number  a double; NaN is NULL (NaN propagates through arithmetic as NULL does)
 *   string  a JS string or null; a column is dictionary-encoded (code 0 = NULL), and a test of
 *           a column against constants becomes a lookup table over its dictionary
 *
 * Each rule gets two bodies: `value()` computes the exact three-valued result (evidence), and
 * `run()`/`runBits()` only whether it is TRUE — a rule fires on TRUE alone, so there NULL AND …
 * and TRUE OR … stop early. Numeric policy parameters are variables set by `setParams`, so a
 * new monitoring line reuses the code V8 has already optimised.
 *
 * The code is built only from the type-checked AST: identifiers are our own, and values from
 * the rule are inlined as numbers or JSON-quoted strings.
 */
import type { Node } from "./ast.ts";
import { type Checked, isFactList } from "./check.ts";
import {
  ASSISTANCE_FACTS,
  type ContextField,
  incomeColumn,
  lastYearOf,
  type PolicyParams,
} from "./context.ts";
import type { RuleType } from "./types.ts";

// ─── the columnar data a compiled rule reads ─────────────────────────────────────

/** Codes of a dictionary-encoded column: 0 is NULL, code k is `dict[k]`. */
export type Codes = Uint8Array | Uint16Array | Int32Array;

export type Column =
  /**
   * int, double and money (fen) columns: NULL is `nullValue` (a sentinel in an integer array),
   * or NaN when there is none.
   */
  | { kind: "num"; values: Float64Array | Int32Array | Int16Array; nullValue?: number }
  /** 0/1 flags in Kleene form (0 false, 1 NULL, 2 true), four to a byte: see flagAt. */
  | { kind: "flag"; values: Uint8Array }
  /** Text, dictionary-encoded; `dict[0]` is null. */
  | { kind: "text"; codes: Codes; dict: readonly (string | null)[] }
  /**
   * JSON lists of codes: row r's items are `items[start[r]] … items[end[r] − 1]`, codes into
   * `dict` (0 for an item that is not a string); `start[r] < 0` is a NULL list.
   */
  | {
      kind: "list";
      start: Int32Array;
      end: Int32Array;
      items: Int32Array;
      dict: readonly (string | null)[];
    };

/** Households and their active members, column by column. */
export interface Columnar {
  /** Household rows (0 ≤ i < rows). */
  readonly rows: number;
  /**
   * Household columns by database column name, `size`, and the derived {@link NET_FEN},
   * {@link PER_CAPITA}, `?col` and `#col` (see presenceColumn, lengthColumn).
   */
  readonly h: Readonly<Record<string, Column>>;
  /** Member columns (active members only) by database column name. */
  readonly m: Readonly<Record<string, Column>>;
  /** The active members of household row i are member rows memberStart[i] ≤ j < memberEnd[i]. */
  readonly memberStart: Int32Array;
  readonly memberEnd: Int32Array;
  /** Current facts by list name (`facts.<name>`), those the rules need. */
  readonly facts?: Readonly<Record<string, FactColumns>>;
}

/**
 * One fact list: household row i's facts are fact rows start[i] ≤ k < end[i]. Columns by the
 * fact's value key, `effective_from`, `effective_to`, {@link MEMBER_LISTED}, and the derived
 * `?key` / `#key` of text values.
 */
export interface FactColumns {
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly cols: Readonly<Record<string, Column>>;
}

/** The fact column of f.memberListed: the member is still active in the registry. */
export const MEMBER_LISTED = "@listed";

export type ColumnKind = Column["kind"];

/** A column a compiled rule reads: of households, members, or a fact list (`f`). */
export interface ColumnNeed {
  table: "h" | "m" | "f";
  column: string;
  kind: ColumnKind;
  /** For `f`: the list name and its feed type. */
  fact?: { name: string; feedType: string };
}

/** Where a generated read goes: households, members, or the fact list of that name. */
type TableRef = "h" | "m" | `f:${string}`;

/**
 * The household's net income in fen, derived once when data is loaded: NULL when all five
 * components are NULL, else their sum with NULL as 0 (sql.ts `netIncomeFen`).
 */
export const NET_FEN = "@net_fen";
export const NET_FEN_SOURCES = [
  "wage_income",
  "business_income",
  "property_income",
  "transfer_income",
  "business_costs",
] as const;

/** The Kleene value of row r in a flag column's bytes (two bits a row). */
export const flagAt = (values: Uint8Array, r: number) => (values[r >> 2]! >> ((r & 3) << 1)) & 3;

export function setFlag(values: Uint8Array, r: number, v: number): void {
  const shift = (r & 3) << 1;
  values[r >> 2] = (values[r >> 2]! & ~(3 << shift)) | (v << shift);
}

/** Bytes for n flags, and the byte of four NULLs (what a flag column starts as). */
export const flagBytes = (n: number) => (n + 3) >> 2;
export const FLAG_NULLS = 0x55;

/**
 * The household's per-capita net income in yuan, derived once when data is loaded (sql.ts:
 * `(CAST(net AS double) / NULLIF(size, 0)) / 100`, the same two divisions).
 */
export const PER_CAPITA = "@per_capita";

export function perCapita(netFenValue: number, size: number): number {
  return size === 0 ? Number.NaN : netFenValue / size / 100;
}

/**
 * Derived columns for the two uses of a text column that need less than its text: whether it
 * is NULL (`?col`, a flag read as `col IS NOT NULL`) and its length in characters (`#col`, a
 * number read as `length(col)`). Most has() tests and ID-length checks read these, so that
 * the snapshot does not hold millions of distinct strings.
 */
export const presenceColumn = (column: string) => `?${column}`;
export const lengthColumn = (column: string) => `#${column}`;

export function netFen(
  wage: number | null,
  business: number | null,
  property: number | null,
  transfer: number | null,
  costs: number | null,
): number {
  if (
    wage === null &&
    business === null &&
    property === null &&
    transfer === null &&
    costs === null
  )
    return Number.NaN;
  return (wage ?? 0) + (business ?? 0) + (property ?? 0) + (transfer ?? 0) - (costs ?? 0);
}

// ─── the runtime the generated code calls (never per household for column tests) ──

/** Code-point order, as SQLite's BINARY collation and PostgreSQL's "C" collation compare. */
function cmp(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const x = a.charCodeAt(k);
    const y = b.charCodeAt(k);
    if (x === y) continue;
    // A surrogate (a code point above U+FFFF) sorts above every BMP character.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Length in characters (code points), as SQL length() / char_length() count. */
function len(s: string): number {
  if (!SURROGATE.test(s)) return s.length;
  let n = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 0xd800 || c > 0xdbff || k + 1 >= s.length) n++;
    else {
      const d = s.charCodeAt(k + 1);
      n++;
      if (d >= 0xdc00 && d <= 0xdfff) k++;
    }
  }
  return n;
}

/** SQL substr(s, start, count) for start ≥ 1, in characters. */
function substr(s: string, start: number, count: number): string {
  if (!SURROGATE.test(s)) return s.slice(start - 1, start - 1 + count);
  const chars = Array.from(s);
  return chars.slice(start - 1, start - 1 + count).join("");
}

/** SQLite's CAST(text AS INTEGER): the longest integer prefix after spaces, else 0. */
function castInt(s: string): number {
  const m = /^[ \t\n\f\r\v]*([+-]?\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}

/** sql.ts `monthsSince(x)`: (year(today) − year(x)) × 12 + month(today) − month(x). */
function monthsSince(x: string | null, today: string): number {
  if (x === null) return Number.NaN;
  return (
    (castInt(substr(today, 1, 4)) - castInt(substr(x, 1, 4))) * 12 +
    castInt(substr(today, 6, 2)) -
    castInt(substr(x, 6, 2))
  );
}

/** sql.ts `m.age`: whole years between a birth date and today, by the same substrings. */
function age(birth: string | null, today: string): number {
  if (birth === null) return Number.NaN;
  const beforeBirthday = cmp(substr(today, 6, 5), substr(birth, 6, 5)) < 0 ? 1 : 0;
  return castInt(substr(today, 1, 4)) - castInt(substr(birth, 1, 4)) - beforeBirthday;
}

function startsWith(s: string, lit: string): boolean {
  return substr(s, 1, len(lit)) === lit;
}

function endsWith(s: string, lit: string): boolean {
  const n = len(lit);
  if (n === 0) return true;
  const chars = Array.from(s);
  return chars.slice(Math.max(0, chars.length - n)).join("") === lit;
}

/**
 * Tables over a dictionary, shared by every rule that asks for the same one (by key) and
 * extended as the dictionary grows (dictionaries only ever append).
 */
const tables = new WeakMap<
  readonly (string | null)[],
  Map<string, { table: unknown; size: number }>
>();

function table<T extends { length: number }>(
  dict: readonly (string | null)[],
  key: string,
  make: (size: number) => T,
  fill: (t: T, from: number) => void,
  grow: (old: T, size: number) => T,
): T {
  let byKey = tables.get(dict);
  if (!byKey) {
    byKey = new Map();
    tables.set(dict, byKey);
  }
  const hit = byKey.get(key) as { table: T; size: number } | undefined;
  if (hit && hit.size === dict.length) return hit.table;
  const t = hit ? grow(hit.table, dict.length) : make(dict.length);
  fill(t, hit ? hit.size : 0);
  byKey.set(key, { table: t, size: dict.length });
  return t;
}

/** A Kleene value for each dictionary code (code 0, NULL, gives unknown). */
function tri(
  dict: readonly (string | null)[],
  key: string,
  f: (s: string) => boolean | 0 | 1 | 2,
): Uint8Array {
  return table(
    dict,
    `tri:${key}`,
    (n) => new Uint8Array(n),
    (t, from) => {
      for (let c = from; c < dict.length; c++) {
        const s = dict[c];
        if (s === null || s === undefined) t[c] = 1;
        else {
          const r = f(s);
          t[c] = r === true ? 2 : r === false ? 0 : r;
        }
      }
    },
    (old, n) => {
      const t = new Uint8Array(n);
      t.set(old);
      return t;
    },
  );
}

/** A number for each dictionary code (NaN for NULL). */
function nums(
  dict: readonly (string | null)[],
  key: string,
  f: (s: string) => number,
): Float64Array {
  return table(
    dict,
    `num:${key}`,
    (n) => new Float64Array(n),
    (t, from) => {
      for (let c = from; c < dict.length; c++) {
        const s = dict[c];
        t[c] = s === null || s === undefined ? Number.NaN : f(s);
      }
    },
    (old, n) => {
      const t = new Float64Array(n);
      t.set(old);
      return t;
    },
  );
}

/** A string for each dictionary code (null for NULL): a derived dictionary over the same codes. */
function strs(
  dict: readonly (string | null)[],
  key: string,
  f: (s: string) => string,
): (string | null)[] {
  return table(
    dict,
    `str:${key}`,
    () => [] as (string | null)[],
    (t, from) => {
      for (let c = from; c < dict.length; c++) {
        const s = dict[c];
        t[c] = s === null || s === undefined ? null : f(s);
      }
    },
    (old) => old,
  );
}

function codeOf(dict: readonly (string | null)[], s: string): number {
  return Math.max(dict.indexOf(s), 0);
}

function column(
  table: Readonly<Record<string, Column>>,
  name: string,
  kind: ColumnKind,
  where: string,
): Column {
  const c = table[name];
  if (!c) throw new Error(`columnar data has no ${where} column ${name}`);
  if (c.kind !== kind) throw new Error(`${where} column ${name} is ${c.kind}, expected ${kind}`);
  return c;
}

/** The runtime helpers, passed to generated code as `X`. */
export const runtime = {
  cmp,
  len,
  substr,
  castInt,
  monthsSince,
  age,
  startsWith,
  endsWith,
  tri,
  nums,
  strs,
  codeOf,
  column,
  /** The columns of a fact list, checked when a rule is bound. */
  facts(data: Columnar, name: string): FactColumns {
    const f = data.facts?.[name];
    if (!f) throw new Error(`columnar data has no facts ${name}`);
    return f;
  },
  /** A numeric policy parameter, checked when a rule is bound. */
  param(params: PolicyParams, name: string): number {
    const v = params[name];
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new Error(`policy parameter ${name} is not a number`);
    return v;
  },
  /** Kleene value → boolean or null. */
  bool: (r: number) => (r === 2 ? true : r === 0 ? false : null),
  num: (v: number) => (Number.isNaN(v) ? null : v),
  listJson(
    start: Int32Array,
    end: Int32Array,
    items: Int32Array,
    dict: readonly (string | null)[],
    r: number,
  ) {
    const s = start[r]!;
    if (s < 0) return null;
    const out: (string | null)[] = [];
    for (let k = s; k < end[r]!; k++) out.push(dict[items[k]!] ?? null);
    return JSON.stringify(out);
  },
};

// ─── the compiler ─────────────────────────────────────────────────────────────────

export interface JsOptions {
  params: PolicyParams;
  /** The evaluation date, YYYY-MM-DD. */
  today: string;
}

/** A rule compiled to JS, not yet bound to data. */
export interface JsRule {
  /** The representation of its value: bool (Kleene), number, string or a list column. */
  readonly rep: Rep;
  /** The columns it reads. */
  readonly needs: readonly ColumnNeed[];
  /**
   * The generated code: identical code with the same values of `params` means the same
   * result (a cache key).
   */
  readonly source: string;
  /**
   * Numeric policy parameters the code reads when bound rather than inlined, so that a new
   * monitoring line reuses the code (and the machine code V8 made of it).
   */
  readonly params: readonly string[];
  /**
   * Binds the code to data (building lookup tables over the dictionaries) and to the values
   * of `params` (default: those it was compiled with; their types must be the same).
   */
  bind(data: Columnar, params?: PolicyParams): BoundJsRule;
}

export interface BoundJsRule {
  /**
   * Writes 2 into `out` for the rows from ≤ i < to where the condition is TRUE, and 0 or 1
   * (not told apart: FALSE and NULL alike do not fire) elsewhere.
   */
  run(out: Uint8Array, from?: number, to?: number): void;
  /** Sets the bits (row i is bit i & 31 of word i >>> 5) of the rows where it is TRUE. */
  runBits(bits: Uint32Array, from?: number, to?: number): void;
  /** Like run, for the first `count` rows listed in `rows`. */
  runRows(out: Uint8Array, rows: ArrayLike<number>, count?: number): void;
  /** The value of household row i: boolean, number, string or null (lists as JSON text). */
  value(i: number): boolean | number | string | null;
  /**
   * Rebinds the numeric parameters: the same functions (and V8's optimised code for them)
   * then run with the new values.
   */
  setParams(params: PolicyParams): void;
}

export type Rep = "b" | "n" | "s" | "l";

const K_FALSE = "0";
const K_UNKNOWN = "1";
const K_TRUE = "2";

interface Coded {
  codes: string;
  dict: string;
  idx: string;
}
interface ListRef {
  start: string;
  end: string;
  items: string;
  dict: string;
  idx: string;
}
interface Val {
  rep: Rep;
  /** A JS expression (a literal or a local) holding the value for the current row. */
  x: string;
  /** A string read from a dictionary-encoded column (tests against constants use tables). */
  coded?: Coded;
  /** A string known when compiling: a literal, a policy text or today. */
  constant?: string;
  list?: ListRef;
}

type Scope = ReadonlyMap<string, string>;
type Call = Extract<Node, { k: "call" }>;
type Macro = Extract<Node, { k: "macro" }>;

function repOf(t: RuleType): Rep | undefined {
  switch (t.kind) {
    case "bool":
      return "b";
    case "int":
    case "double":
      return "n";
    case "string":
      return "s";
    case "list":
      return "l";
    case "any":
      return undefined;
    case "object":
      throw new Error("an object has no value");
  }
}

const nullOf = (rep: Rep): Val => ({
  rep,
  x: rep === "b" ? K_UNKNOWN : rep === "n" ? "NaN" : "null",
});

function numberLiteral(v: number): string {
  if (!Number.isFinite(v)) throw new Error("non-finite number in rule");
  if (Object.is(v, -0)) return "(-0)";
  return v < 0 ? `(${v})` : String(v);
}

const str = (s: string) => JSON.stringify(s);

/** Compiles a type-checked expression to JS over columnar data. */
export function compileJs(checked: Checked, options: JsOptions): JsRule {
  const gen = new Generator(checked, options);
  const top = checked.root;
  const rep = repOf(checked.typeOf(top)) ?? "b";
  // run() only asks whether a condition is TRUE, which lets NULL AND … stop early; value()
  // gives the exact three-valued result.
  let condition = "throw new Error('not a condition');";
  let conditionBits = condition;
  if (rep === "b") {
    const c = gen.cond(top, new Map());
    condition = `${gen.body.join("\n")}\nout[i] = ${c.x};`;
    conditionBits = `${gen.body.join("\n")}\nif (${c.x} === 2) bits[i >>> 5] |= 1 << (i & 31);`;
    gen.body = [];
  }
  const v = gen.value(top, new Map(), rep);
  const body = gen.body.join("\n");
  const decode =
    v.rep === "b"
      ? `X.bool(${v.x})`
      : v.rep === "n"
        ? `X.num(${v.x})`
        : v.rep === "s"
          ? v.x
          : `X.listJson(${v.list!.start}, ${v.list!.end}, ${v.list!.items}, ${v.list!.dict}, i)`;
  const source = [
    '"use strict";',
    ...gen.prologue,
    "return {",
    "run(out, from = 0, to = D.rows) {",
    "for (let i = from; i < to; i++) {",
    condition,
    "}",
    "},",
    "runBits(bits, from = 0, to = D.rows) {",
    "for (let i = from; i < to; i++) {",
    conditionBits,
    "}",
    "},",
    "runRows(out, rows, count = rows.length) {",
    "for (let k_ = 0; k_ < count; k_++) {",
    "const i = rows[k_];",
    condition,
    "}",
    "},",
    "value(i) {",
    body,
    `return ${decode};`,
    "},",
    "setParams(P) {",
    ...[...gen.paramVars].map(([param, name]) => `${name} = X.param(P, ${str(param)});`),
    "},",
    "};",
  ].join("\n");
  const factory = new Function("D", "X", "P", source) as (
    data: Columnar,
    x: typeof runtime,
    params: PolicyParams,
  ) => BoundJsRule;
  return {
    rep: v.rep,
    needs: [...gen.needs.values()],
    source,
    params: [...gen.params],
    bind: (data, params = options.params) => factory(data, runtime, params),
  };
}

class Generator {
  readonly prologue: string[] = [];
  body: string[] = [];
  readonly needs = new Map<string, ColumnNeed>();
  readonly params = new Set<string>();
  /** The local holding each numeric parameter (reassigned by setParams). */
  readonly paramVars = new Map<string, string>();
  private names = 0;
  private readonly bound = new Map<string, string>();
  /** The table each loop variable (`j3`) walks. */
  private readonly varTables = new Map<string, TableRef>();

  constructor(
    private readonly checked: Checked,
    private readonly options: JsOptions,
  ) {}

  private fresh(prefix: string): string {
    return `${prefix}${this.names++}`;
  }

  private emit(line: string) {
    this.body.push(line);
  }

  /** A value computed once per binding (a column array, a lookup table), by key. */
  private once(key: string, init: string, prefix = "c"): string {
    const hit = this.bound.get(key);
    if (hit) return hit;
    const name = this.fresh(prefix);
    this.prologue.push(`${prefix === "p" ? "let" : "const"} ${name} = ${init};`);
    this.bound.set(key, name);
    return name;
  }

  private col(table: TableRef, column: string, kind: ColumnKind): string {
    if (table === "h" || table === "m") {
      this.needs.set(`${table}.${column}`, { table, column, kind });
      return this.once(
        `col:${table}.${column}`,
        `X.column(D.${table}, ${str(column)}, ${str(kind)}, ${str(table === "h" ? "household" : "member")})`,
      );
    }
    const name = table.slice(2);
    this.needs.set(`${table}.${column}`, {
      table: "f",
      column,
      kind,
      fact: { name, feedType: this.feedTypes.get(name)! },
    });
    return this.once(
      `col:${table}.${column}`,
      `X.column(${this.factsOf(name)}.cols, ${str(column)}, ${str(kind)}, ${str(`fact ${name}`)})`,
    );
  }

  /** Feed type of each fact list the rule reads. */
  private readonly feedTypes = new Map<string, string>();

  private factsOf(name: string): string {
    return this.once(`facts:${name}`, `X.facts(D, ${str(name)})`);
  }

  private num(table: TableRef, column: string, idx: string): string {
    const c = this.col(table, column, "num");
    const values = this.once(`num:${table}.${column}`, `${c}.values`);
    const nul = this.once(`nul:${table}.${column}`, `${c}.nullValue ?? NaN`);
    return `(${values}[${idx}] === ${nul} ? NaN : ${values}[${idx}])`;
  }

  private flag(table: TableRef, column: string, idx: string): string {
    const c = this.col(table, column, "flag");
    const values = this.once(`flag:${table}.${column}`, `${c}.values`);
    return `((${values}[${idx} >> 2] >> ((${idx} & 3) << 1)) & 3)`;
  }

  private text(table: TableRef, column: string, idx: string): Val {
    const c = this.col(table, column, "text");
    const codes = this.once(`codes:${table}.${column}`, `${c}.codes`);
    const dict = this.once(`dict:${table}.${column}`, `${c}.dict`);
    return { rep: "s", x: `${dict}[${codes}[${idx}]]`, coded: { codes, dict, idx } };
  }

  private listCol(table: TableRef, column: string, idx: string): Val {
    const c = this.col(table, column, "list");
    const ref: ListRef = {
      start: this.once(`ls:${table}.${column}`, `${c}.start`),
      end: this.once(`le:${table}.${column}`, `${c}.end`),
      items: this.once(`li:${table}.${column}`, `${c}.items`),
      dict: this.once(`ld:${table}.${column}`, `${c}.dict`),
      idx,
    };
    return { rep: "l", x: "null", list: ref };
  }

  /** Stores an expression in a fresh local and returns it. */
  private local(rep: Rep, expr: string): Val {
    const name = this.fresh("v");
    this.emit(`const ${name} = ${expr};`);
    return { rep, x: name };
  }

  private typeRep(node: Node): Rep | undefined {
    return repOf(this.checked.typeOf(node));
  }

  /**
   * Set by `cond` for the node about to be compiled: its consumer only asks whether it is
   * TRUE, so FALSE and NULL need not be told apart (AND and OR may stop early).
   */
  private truth = false;

  /** A condition whose consumer only tests for TRUE (=== 2). */
  cond(node: Node, scope: Scope): Val {
    this.truth = true;
    return this.value(node, scope, "b");
  }

  /** The value of a node, in the representation `want` when the node is NULL-typed (`any`). */
  value(node: Node, scope: Scope, want?: Rep): Val {
    const truth = this.truth;
    this.truth = false;
    const rep = this.typeRep(node);
    if (rep === undefined) {
      // Only NULL and compositions of NULL are untyped; they are NULL in every row.
      if (node.k === "list") throw new Error("list literal outside `in`");
      return nullOf(want ?? "b");
    }
    switch (node.k) {
      case "const":
        if (node.type === "bool") return { rep: "b", x: node.value ? K_TRUE : K_FALSE };
        if (node.type === "string") {
          const s = node.value as string;
          return { rep: "s", x: str(s), constant: s };
        }
        return { rep: "n", x: numberLiteral(node.value as number) };
      case "ident":
        if (node.name === "today")
          return { rep: "s", x: str(this.options.today), constant: this.options.today };
        throw new Error(`bare identifier ${node.name}`);
      case "select":
        return this.select(node, scope, node.test);
      case "list":
        throw new Error("list literal outside `in`");
      case "macro":
        return this.macro(node, scope, null);
      case "call":
        return this.call(node, scope, truth);
    }
  }

  private bool(node: Node, scope: Scope): Val {
    return this.value(node, scope, "b");
  }

  private select(node: Extract<Node, { k: "select" }>, scope: Scope, test: boolean): Val {
    const f = this.checked.fieldOf(node);
    if (!f) {
      // policy.<param>
      if (test) return { rep: "b", x: K_TRUE };
      const v = this.options.params[node.field];
      if (v === undefined) throw new Error(`unknown policy parameter ${node.field}`);
      if (typeof v === "boolean") return { rep: "b", x: v ? K_TRUE : K_FALSE };
      if (typeof v === "string") return { rep: "s", x: str(v), constant: v };
      this.params.add(node.field);
      const name = this.once(`param:${node.field}`, `X.param(P, ${str(node.field)})`, "p");
      this.paramVars.set(node.field, name);
      return { rep: "n", x: name };
    }
    const member = node.operand.k === "ident" ? scope.get(node.operand.name) : undefined;
    const table: TableRef = member ? (this.varTables.get(member) ?? "m") : "h";
    const idx = member ?? "i";
    if (test && f.storage.kind === "column" && f.storage.as === "text")
      return this.local("b", this.flag(table, presenceColumn(f.storage.column), idx));
    const v = this.field(f, table, idx);
    if (!test) return v;
    // has(): the stored value (or the derived expression) is not NULL.
    return this.local("b", this.notNull(v));
  }

  private notNull(v: Val): string {
    switch (v.rep) {
      case "b":
        return `${v.x} !== 1 ? 2 : 0`;
      case "n":
        return `${v.x} === ${v.x} ? 2 : 0`;
      case "s":
        return v.coded
          ? `${v.coded.codes}[${v.coded.idx}] !== 0 ? 2 : 0`
          : `${v.x} !== null ? 2 : 0`;
      case "l":
        return `${v.list!.start}[${v.list!.idx}] >= 0 ? 2 : 0`;
    }
  }

  private field(f: ContextField, table: TableRef, idx: string): Val {
    const s = f.storage;
    if (s.kind === "column") {
      switch (s.as) {
        case "text":
          return this.text(table, s.column, idx);
        case "int":
        case "double":
          return this.local("n", this.num(table, s.column, idx));
        case "fen":
          return this.local("n", `${this.num(table, s.column, idx)} / 100`);
        case "flag":
          return this.local("b", this.flag(table, s.column, idx));
        case "json_list":
          return this.listCol(table, s.column, idx);
      }
    }
    const today = str(this.options.today);
    switch (s.name) {
      case "h.size":
        return this.local("n", this.num("h", "size", "i"));
      case "h.netIncome":
        return this.local("n", `${this.num("h", NET_FEN, "i")} / 100`);
      case "h.perCapitaIncome":
        return this.local("n", this.num("h", PER_CAPITA, "i"));
      case "h.monitored": {
        const category = this.text("h", "monitoring_category", "i").coded!;
        return this.local(
          "b",
          `${category.codes}[i] !== 0 && ${this.flag("h", "risk_eliminated", "i")} !== 2 ? 2 : 0`,
        );
      }
      case "h.townCode": {
        const village = this.text("h", "village_code", "i").coded!;
        const dict = this.once(
          "town",
          `X.strs(${village.dict}, "town", (s) => X.substr(s, 1, 9))`,
          "t",
        );
        return {
          rep: "s",
          x: `${dict}[${village.codes}[i]]`,
          coded: { codes: village.codes, dict, idx: "i" },
        };
      }
      case "m.age": {
        const birth = this.text("m", "birth_date", idx).coded!;
        const ages = this.once(
          `age:${today}`,
          `X.nums(${birth.dict}, ${str(`age:${this.options.today}`)}, (s) => X.age(s, ${today}))`,
          "t",
        );
        return this.local("n", `${ages}[${birth.codes}[${idx}]]`);
      }
      case "h.measureCount":
      case "h.developmentMeasureCount":
      case "h.helperCount":
        return this.local("n", this.num("h", ASSISTANCE_FACTS[s.name].column, "i"));
      // sql.ts: the record of the year before today's; per capita (CAST(net AS double) /
      // NULLIF(size, 0)) / 100, the same two divisions as PER_CAPITA.
      case "h.lastYearNetIncome":
        return this.local(
          "n",
          `${this.num("h", incomeColumn(lastYearOf(this.options.today), "net"), "i")} / 100`,
        );
      case "h.lastYearSize":
        return this.local(
          "n",
          this.num("h", incomeColumn(lastYearOf(this.options.today), "size"), "i"),
        );
      case "h.lastYearPerCapitaIncome": {
        const year = lastYearOf(this.options.today);
        const net = this.local("n", this.num("h", incomeColumn(year, "net"), "i")).x;
        const size = this.local("n", this.num("h", incomeColumn(year, "size"), "i")).x;
        return this.local("n", `${size} === 0 ? NaN : ${net} / ${size} / 100`);
      }
      case "m.isHead": {
        const rel = this.text("m", "relationship", idx).coded!;
        const heads = this.once("isHead", `X.tri(${rel.dict}, "isHead", (s) => s === "户主")`, "t");
        return this.local("b", `${heads}[${rel.codes}[${idx}]]`);
      }
      case "f.memberListed":
        return this.local("b", this.flag(table, MEMBER_LISTED, idx));
    }
  }

  /**
   * A string test: by a lookup table over the dictionary when the string is a coded column and
   * the test's other inputs are constants (`fn` is JS source of a function of the string), else
   * row by row (`general` builds the expression from the string's local; the string is not null
   * there).
   */
  private strTest(
    s: Val,
    key: string,
    fn: string,
    general: (x: string) => string,
    rep: "b" | "n",
  ): Val {
    if (s.constant !== undefined || !s.coded) {
      const x = this.local("s", s.x).x;
      return this.local(rep, `${x} === null ? ${rep === "b" ? K_UNKNOWN : "NaN"} : ${general(x)}`);
    }
    const table = this.once(
      `${key}:${s.coded.dict}`,
      rep === "b"
        ? `X.tri(${s.coded.dict}, ${str(`${key}:${fn}`)}, ${fn})`
        : `X.nums(${s.coded.dict}, ${str(`${key}:${fn}`)}, ${fn})`,
      "t",
    );
    return this.local(rep, `${table}[${s.coded.codes}[${s.coded.idx}]]`);
  }

  private call(node: Call, scope: Scope, truth: boolean): Val {
    const { fn, args } = node;
    switch (fn) {
      case "_&&_":
      case "_||_": {
        const and = fn === "_&&_";
        if (truth) {
          // Only TRUE matters: AND goes on while TRUE, OR while not.
          const a = this.cond(args[0]!, scope);
          const r = this.fresh("r");
          this.emit(`let ${r} = ${a.x};`);
          this.emit(`if (${r} ${and ? "===" : "!=="} 2) {`);
          const b = this.cond(args[1]!, scope);
          this.emit(`${r} = ${b.x};`);
          this.emit("}");
          return { rep: "b", x: r };
        }
        const a = this.bool(args[0]!, scope);
        const r = this.fresh("r");
        this.emit(`let ${r} = ${a.x};`);
        this.emit(`if (${r} !== ${and ? K_FALSE : K_TRUE}) {`);
        const b = this.bool(args[1]!, scope);
        this.emit(`if (${b.x} ${and ? "<" : ">"} ${r}) ${r} = ${b.x};`);
        this.emit("}");
        return { rep: "b", x: r };
      }
      case "!_":
        return this.local("b", `2 - ${this.bool(args[0]!, scope).x}`);
      case "-_":
        return this.local("n", `-${this.value(args[0]!, scope, "n").x}`);
      case "_?_:_": {
        const rep = this.typeRep(node) ?? "b";
        // CASE WHEN c: only a TRUE c takes the first branch.
        const c = this.cond(args[0]!, scope);
        const branch = (n: Node) =>
          truth && rep === "b" ? this.cond(n, scope) : this.value(n, scope, rep);
        const r = this.fresh("r");
        this.emit(`let ${r} = ${nullOf(rep).x};`);
        this.emit(`if (${c.x} === 2) {`);
        const a = branch(args[1]!);
        if (a.rep === "l") throw new Error("a list is not a value");
        this.emit(`${r} = ${a.x};`);
        this.emit("} else {");
        const b = branch(args[2]!);
        this.emit(`${r} = ${b.x};`);
        this.emit("}");
        return { rep, x: r };
      }
      case "_==_":
      case "_!=_":
      case "_<_":
      case "_<=_":
      case "_>_":
      case "_>=_":
        return this.compare(node, scope);
      case "_+_":
      case "_-_":
      case "_*_": {
        const a = this.value(args[0]!, scope, "n");
        const b = this.value(args[1]!, scope, "n");
        return this.local("n", `${a.x} ${fn[1]} ${b.x}`);
      }
      case "_/_": {
        const a = this.value(args[0]!, scope, "n");
        const b = this.value(args[1]!, scope, "n");
        // NULLIF(b, 0); integer division truncates toward zero.
        const q =
          this.checked.typeOf(node).kind === "double"
            ? `${a.x} / ${b.x}`
            : `Math.trunc(${a.x} / ${b.x})`;
        return this.local("n", `${b.x} === 0 ? NaN : ${q}`);
      }
      case "_%_": {
        // JS % gives NaN for a zero divisor (NULLIF) and the dividend's sign, as SQL does.
        const a = this.value(args[0]!, scope, "n");
        const b = this.value(args[1]!, scope, "n");
        return this.local("n", `${a.x} % ${b.x}`);
      }
      case "@in":
        return this.in(node, scope);
      case "size":
        return this.size(node, scope);
      case "has": {
        const arg = args[0]!;
        if (arg.k !== "select") return this.bool(arg, scope);
        return this.select(arg, scope, true);
      }
      case "int":
        return this.local("n", `Math.trunc(${this.value(args[0]!, scope, "n").x})`);
      case "double":
        return this.value(args[0]!, scope, "n");
      case "startsWith":
      case "endsWith":
      case "contains": {
        const lit = (args[0] as { value: string }).value;
        const target = this.value(node.target!, scope, "s");
        const helper =
          fn === "contains"
            ? (x: string) => `${x}.includes(${str(lit)})`
            : (x: string) => `X.${fn}(${x}, ${str(lit)})`;
        return this.strTest(
          target,
          `${fn}:${str(lit)}`,
          `(s) => ${helper("s")}`,
          (x) => `${helper(x)} ? 2 : 0`,
          "b",
        );
      }
      case "monthsSince": {
        const today = str(this.options.today);
        const s = this.value(args[0]!, scope, "s");
        return this.strTest(
          s,
          `months:${today}`,
          `(s) => X.monthsSince(s, ${today})`,
          (x) => `X.monthsSince(${x}, ${today})`,
          "n",
        );
      }
      case "sum":
      case "min":
      case "max":
        return this.macro(args[0] as Macro, scope, fn);
      default:
        throw new Error(`no JS for ${fn}`);
    }
  }

  private compare(node: Call, scope: Scope): Val {
    const [l, r] = node.args as [Node, Node];
    const rep = this.typeRep(l) ?? this.typeRep(r);
    if (rep === undefined) return { rep: "b", x: K_UNKNOWN };
    const op = node.fn.slice(1, -1);
    const a = this.value(l, scope, rep);
    const b = this.value(r, scope, rep);
    const js = op === "==" ? "===" : op === "!=" ? "!==" : op;
    if (rep === "n")
      return this.local(
        "b",
        `${a.x} !== ${a.x} || ${b.x} !== ${b.x} ? 1 : ${a.x} ${js} ${b.x} ? 2 : 0`,
      );
    if (rep === "b") {
      if (op !== "==" && op !== "!=") throw new Error("booleans are not ordered");
      return this.local("b", `${a.x} === 1 || ${b.x} === 1 ? 1 : ${a.x} ${js} ${b.x} ? 2 : 0`);
    }
    if (rep !== "s") throw new Error("lists are not compared");
    if (a.x === "null" || b.x === "null") return { rep: "b", x: K_UNKNOWN };
    const test = (x: string, y: string) =>
      op === "==" || op === "!=" ? `${x} ${js} ${y}` : `X.cmp(${x}, ${y}) ${js} 0`;
    // A coded column against a constant: one table lookup per row.
    if (a.coded && b.constant !== undefined)
      return this.strTest(
        a,
        `cmp${op}:${str(b.constant)}`,
        `(s) => ${test("s", b.x)}`,
        () => "",
        "b",
      );
    if (b.coded && a.constant !== undefined)
      return this.strTest(
        b,
        `cmp${op}:${str(a.constant)}:r`,
        `(s) => ${test(a.x, "s")}`,
        () => "",
        "b",
      );
    const x = this.local("s", a.x).x;
    const y = this.local("s", b.x).x;
    return this.local("b", `${x} === null || ${y} === null ? 1 : ${test(x, y)} ? 2 : 0`);
  }

  private in(node: Call, scope: Scope): Val {
    const [l, rhs] = node.args as [Node, Node];
    if (rhs.k === "list") {
      // x IN (…): TRUE on a match; else NULL when x or an item is NULL; an empty list is FALSE.
      if (rhs.items.length === 0) return { rep: "b", x: K_FALSE };
      const rep = this.typeRep(l) ?? rhs.items.map((i) => this.typeRep(i)).find((r) => r);
      if (rep === undefined) return { rep: "b", x: K_UNKNOWN };
      if (rep === "l") throw new Error("lists are not compared");
      const x = this.value(l, scope, rep);
      const constants = rhs.items.map((i) =>
        i.k === "const" && (i.type === "string" || i.type === "null") ? i.value : undefined,
      );
      if (rep === "s" && x.coded && constants.every((c) => c !== undefined)) {
        const strings = constants.filter((c): c is string => c !== null);
        const hasNull = constants.includes(null);
        const set = `[${strings.map(str).join(", ")}]`;
        return this.strTest(
          x,
          `in:${set}:${hasNull}`,
          `(s) => ${set}.includes(s) ? 2 : ${hasNull ? 1 : 0}`,
          () => "",
          "b",
        );
      }
      const xl = this.local(rep, x.x).x;
      const isNull = (v: string) =>
        rep === "n" ? `${v} !== ${v}` : rep === "b" ? `${v} === 1` : `${v} === null`;
      const r = this.fresh("r");
      const u = this.fresh("u");
      this.emit(`let ${r} = 0;`);
      this.emit(`let ${u} = ${isNull(xl)} ? 1 : 0;`);
      for (const item of rhs.items) {
        this.emit(`if (${r} !== 2) {`);
        const v = this.value(item, scope, rep);
        // A NULL x equals nothing (NaN, null and unknown never equal a non-NULL item).
        this.emit(`if (${isNull(v.x)}) ${u} = 1; else if (${xl} === ${v.x}) ${r} = 2;`);
        this.emit("}");
      }
      return this.local("b", `${r} === 2 ? 2 : ${u}`);
    }
    // "x" in h.listField: EXISTS over the list's items, FALSE when x or the list is NULL.
    const list = this.value(rhs, scope, "l").list;
    if (!list) throw new Error("`in` needs a list field");
    if (this.typeRep(l) === undefined) return { rep: "b", x: K_FALSE };
    const x = this.value(l, scope, "s");
    const r = this.fresh("r");
    const q = this.fresh("q");
    const start = `${list.start}[${list.idx}]`;
    this.emit(`let ${r} = 0;`);
    if (x.constant !== undefined) {
      const code = this.once(
        `code:${list.dict}:${str(x.constant)}`,
        `X.codeOf(${list.dict}, ${x.x})`,
        "k",
      );
      this.emit(
        `if (${code} !== 0) for (let ${q} = ${start}, e${q} = ${list.end}[${list.idx}]; ${q} < e${q}; ${q}++) if (${list.items}[${q}] === ${code}) { ${r} = 2; break; }`,
      );
    } else {
      const xs = this.local("s", x.x).x;
      this.emit(
        `if (${xs} !== null) for (let ${q} = ${start}, e${q} = ${list.end}[${list.idx}]; ${q} < e${q}; ${q}++) if (${list.dict}[${list.items}[${q}]] === ${xs}) { ${r} = 2; break; }`,
      );
    }
    return { rep: "b", x: r };
  }

  private size(node: Call, scope: Scope): Val {
    const on = node.target ?? node.args[0]!;
    if (on.k === "ident" && on.name === "members")
      return this.local("n", this.num("h", "size", "i"));
    if (isFactList(on)) {
      const { start, end } = this.factRange(on);
      return this.local("n", `${end}[i] - ${start}[i]`);
    }
    if (on.k === "macro") return this.macro(on, scope, "size");
    if (on.k === "list") return { rep: "n", x: String(on.items.length) };
    if (this.checked.typeOf(on).kind === "string") {
      const f = on.k === "select" && !on.test ? this.checked.fieldOf(on) : undefined;
      if (on.k === "select" && f?.storage.kind === "column" && f.storage.as === "text") {
        const member = on.operand.k === "ident" ? scope.get(on.operand.name) : undefined;
        return this.local(
          "n",
          this.num(
            member ? (this.varTables.get(member) ?? "m") : "h",
            lengthColumn(f.storage.column),
            member ?? "i",
          ),
        );
      }
      const s = this.value(on, scope, "s");
      return this.strTest(s, "len", "(s) => X.len(s)", (x) => `X.len(${x})`, "n");
    }
    const list = this.value(on, scope, "l").list;
    if (!list) throw new Error("size() needs a list field");
    const start = `${list.start}[${list.idx}]`;
    return this.local("n", `${start} < 0 ? 0 : ${list.end}[${list.idx}] - ${start}`);
  }

  /** members.exists/all/exists_one/filter/map: a loop over the household's active members. */
  /** The CSR offsets of a fact list, noting its feed type for the needs. */
  private factRange(list: Node): { start: string; end: string; table: TableRef } {
    const feed = this.checked.factsOf(list);
    if (!feed || list.k !== "select") throw new Error("expected a fact list");
    this.feedTypes.set(list.field, feed.feedType);
    const table: TableRef = `f:${list.field}`;
    // A rule that reads no fact column still needs the list loaded.
    this.needs.set(`${table}.`, {
      table: "f",
      column: "",
      kind: "num",
      fact: { name: list.field, feedType: feed.feedType },
    });
    const facts = this.factsOf(list.field);
    return {
      start: this.once(`fs:${list.field}`, `${facts}.start`),
      end: this.once(`fe:${list.field}`, `${facts}.end`),
      table,
    };
  }

  private macro(node: Macro, scope: Scope, aggregate: "size" | "sum" | "min" | "max" | null): Val {
    let ms: string;
    let me: string;
    let table: TableRef = "m";
    if (isFactList(node.range)) {
      const range = this.factRange(node.range);
      ms = range.start;
      me = range.end;
      table = range.table;
    } else if (node.range.k === "ident" && node.range.name === "members") {
      ms = this.once("ms", "D.memberStart");
      me = this.once("me", "D.memberEnd");
    } else throw new Error("macros range over members or facts");
    const j = this.fresh("j");
    this.varTables.set(j, table);
    const inner = new Map(scope).set(node.v, j);
    const r = this.fresh("r");
    const head = (init: string) => {
      this.emit(`let ${init};`);
      this.emit(`for (let ${j} = ${ms}[i], e${j} = ${me}[i]; ${j} < e${j}; ${j}++) {`);
    };
    const where = () => {
      if (!node.where) return;
      const w = this.cond(node.where, inner);
      this.emit(`if (${w.x} !== 2) continue;`);
    };
    switch (node.macro) {
      case "exists": {
        head(`${r} = 0`);
        const b = this.cond(node.body, inner);
        this.emit(`if (${b.x} === 2) { ${r} = 2; break; }`);
        this.emit("}");
        return { rep: "b", x: r };
      }
      case "all": {
        head(`${r} = 2`);
        const b = this.cond(node.body, inner);
        this.emit(`if (${b.x} !== 2) { ${r} = 0; break; }`);
        this.emit("}");
        return { rep: "b", x: r };
      }
      case "exists_one": {
        const n = this.fresh("n");
        head(`${n} = 0`);
        const b = this.cond(node.body, inner);
        this.emit(`if (${b.x} === 2 && ++${n} > 1) break;`);
        this.emit("}");
        return this.local("b", `${n} === 1 ? 2 : 0`);
      }
      case "filter": {
        if (aggregate !== "size") throw new Error("filter() is only supported inside size()");
        head(`${r} = 0`);
        const b = this.cond(node.body, inner);
        this.emit(`if (${b.x} === 2) ${r}++;`);
        this.emit("}");
        return { rep: "n", x: r };
      }
      case "map": {
        if (aggregate === "size") {
          head(`${r} = 0`);
          where();
          this.emit(`${r}++;`);
          this.emit("}");
          return { rep: "n", x: r };
        }
        if (aggregate === "sum") {
          const double = this.checked.typeOf(node.body).kind === "double";
          const err = this.fresh("err");
          head(double ? `${r} = 0, ${err} = 0` : `${r} = 0`);
          where();
          const b = this.value(node.body, inner, "n");
          if (double) {
            // SQLite sums doubles with Kahan–Babuška–Neumaier compensation.
            const t = this.fresh("t");
            this.emit(
              `if (${b.x} === ${b.x}) { const ${t} = ${r} + ${b.x}; if (Math.abs(${r}) > Math.abs(${b.x})) ${err} += (${r} - ${t}) + ${b.x}; else ${err} += (${b.x} - ${t}) + ${r}; ${r} = ${t}; }`,
            );
          } else this.emit(`if (${b.x} === ${b.x}) ${r} += ${b.x};`);
          this.emit("}");
          if (double) this.emit(`if (Number.isFinite(${err})) ${r} += ${err};`);
          return { rep: "n", x: r };
        }
        if (aggregate === "min" || aggregate === "max") {
          head(`${r} = NaN`);
          where();
          const b = this.value(node.body, inner, "n");
          this.emit(
            `if (${b.x} === ${b.x} && (${r} !== ${r} || ${b.x} ${aggregate === "min" ? "<" : ">"} ${r})) ${r} = ${b.x};`,
          );
          this.emit("}");
          return { rep: "n", x: r };
        }
        throw new Error("map() is only supported inside size(), sum(), min() or max()");
      }
    }
  }
}
