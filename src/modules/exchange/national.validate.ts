/**
 * Row-by-row validation of a national-format file: every cell parsed by what its column means,
 * rows grouped into households by 户编号, household fields compared between a household's rows,
 * region names resolved, ID numbers checked across households, the household invariants of
 * core/household.ts and the per-capita income checked. Each problem has a stable code, the Excel
 * row, the column header as written in the file and a Chinese message that says what to fix.
 */
import {
  checkHousehold,
  type HouseholdState,
  normalizeMember,
  type Problem,
} from "../../core/household.ts";
import { maskIdNumber } from "../../core/id-number.ts";
import { COUNT_ALL_TRANSFERS, perCapitaIncome } from "../../core/income.ts";
import { formatYuan } from "../../core/money.ts";
import type { FieldDef } from "../../core/registry-fields.ts";
import { labelFor, RELATIONSHIPS } from "../../core/vocab.ts";
import type { CreateHouseholdInput } from "../registry/index.ts";
import { type BoundColumn, REQUIRED_COLUMNS } from "./national.columns.ts";
import { formatted } from "./national.format.ts";
import {
  type Cell,
  CellProblem,
  cellText,
  parseDate,
  parseFlag,
  parseHouseholdNumber,
  parseIdNumber,
  parseMoney,
  parseMonth,
  parseNumber,
  parseTerm,
  parseText,
  parseVocab,
  type SheetRow,
} from "./national.reader.ts";

export type Severity = "error" | "warning";

/** One problem of the file, where a person finds it in Excel. */
export interface RowProblem {
  /** Excel row number. */
  row: number;
  /** The column header as written in the file. */
  column: string;
  code: string;
  message: string;
  /** 户编号 of the row ("" when the row has none). */
  household: string;
  /** Errors reject the household; warnings (a member missing from the file) do not. */
  severity: Severity;
}

export type RegionLevel = "county" | "town" | "village";

export interface RegionText {
  county: string;
  town: string;
  village: string;
}

/** Where a household's region text leads: a village code, or a problem at one of the columns. */
export type RegionResolution =
  | { code: string }
  | { code?: undefined; problem: { code: string; message: string; level: RegionLevel } };

/** Resolves distinct region texts (one answer per input, same order). */
export type RegionResolver = (texts: readonly RegionText[]) => Promise<RegionResolution[]>;

type Values = Record<string, unknown>;

/** A household as the file describes it. */
export interface HouseholdDraft {
  number: string;
  /** Excel row of each member, in file order. */
  rows: number[];
  /** Household field values of the columns the file has (villageCode once resolved). */
  household: Values;
  members: Values[];
  /**
   * Row each household value (or region text, `region.village` …) was first read from, when
   * that is not the household's first row (rarely: a million-row file holds no map for most).
   */
  sourceRows?: Map<string, number>;
  region: RegionText;
  /** Texts of the extra columns, one array per member row. */
  extraCells: (string | null)[][];
  /** Number of error problems; a household with any is rejected. */
  errors: number;
  /** Texts of household cells already reported as unreadable, by key. */
  badTexts?: Map<string, string>;
  /** The cell each household column's value was read from (by reader), while the file is read. */
  cells?: Cell[];
  /** The risk columns 致贫/返贫风险1…5 (joined into `riskFactors` when the file is read). */
  risks?: (string | null)[];
}

type Parse = (cell: Cell) => unknown;

interface Reader {
  index: number;
  header: string;
  /** Household or member field key, `riskFactors#2` for the third risk column, `region.town`… */
  key: string;
  parse: Parse;
  /** The field, to show a value as the file writes it. */
  def?: FieldDef;
}

/**
 * Shares equal short texts between rows (汉族, 初中, 欣山镇 …): a million rows would otherwise
 * hold a million copies of each. Bounded, so columns of unique values (names) cost little.
 */
function interned(parse: Parse): Parse {
  const seen = new Map<string, string>();
  return (c) => {
    const v = parse(c);
    if (typeof v !== "string" || v.length > 32) return v;
    const hit = seen.get(v);
    if (hit !== undefined) return hit;
    if (seen.size < 5000) seen.set(v, v);
    return v;
  };
}

function parserFor(def: FieldDef, label: string): Parse {
  if (def.key === "idNumber") return (c) => parseIdNumber(c, label);
  if (def.key === "householdNumber") return (c) => parseHouseholdNumber(c, label);
  if (def.key === "relationship") return (c) => parseTerm(c, label, RELATIONSHIPS);
  switch (def.kind) {
    case "text":
      return interned((c) => parseText(c, label, def.maxLength));
    case "flag":
      return (c) => parseFlag(c, label);
    case "money":
      return (c) => parseMoney(c, label);
    case "int":
      return (c) => parseNumber(c, label, true);
    case "decimal":
      return (c) => parseNumber(c, label);
    case "date":
      return (c) => parseDate(c, label);
    case "month":
      return (c) => parseMonth(c, label);
    case "enum":
    case "enum_list":
      return (c) => parseVocab(c, label, def.vocab!);
  }
}

const regionText = (): Parse =>
  interned((c) => {
    const t = cellText(c);
    return t === "" ? null : t.replace(/[\s\u00a0]+/g, "");
  });

const INCOME_KEYS = [
  "perCapitaIncome",
  "wageIncome",
  "businessIncome",
  "propertyIncome",
  "transferIncome",
  "businessCosts",
] as const;

export interface CollectorOptions {
  /** Today (YYYY-MM-DD), for ID-number birth dates in the future and ages. */
  today: string;
  /**
   * Households are checked and let go batch by batch as the file is read (`complete`,
   * `finishBatch`, `release`): the file must hold each household's rows together, as the
   * national export does. `add` and `finishBatch` throw `NotGrouped` when it does not (a
   * household's rows resume after other households', or an ID number of a household already
   * let go turns up in another household): the caller starts over holding the whole file.
   */
  batches?: boolean;
}

/** The file is not grouped by household (see `CollectorOptions.batches`). */
export class NotGrouped extends Error {
  constructor(readonly household: string) {
    super(`户编号 ${household} 的行不相邻`);
  }
}

/**
 * Collects a file's rows into households. `add` every data row, then `finish` once: it resolves
 * regions and runs the checks that need a whole household or the whole file.
 */
export class NationalCollector {
  readonly problems: RowProblem[] = [];
  private readonly households = new Map<string, HouseholdDraft>();
  private readonly memberReaders: Reader[] = [];
  private readonly householdReaders: Reader[] = [];
  private readonly extraColumns: BoundColumn[] = [];
  /** Header in the file of each field key (`household.x`, `member.x`, `region.x`). */
  private readonly headerOf = new Map<string, string>();
  private readonly numberColumn: BoundColumn;
  private readonly flagged = new Set<string>();
  private readonly hasRiskColumns: boolean;
  private rowCount = 0;
  /** With `batches`: the household of the last row, households let go, their problems' towns. */
  private lastNumber: string | null = null;
  private readonly released = new Set<string>();
  private readonly withProblems = new Set<string>();
  private readonly towns = new Map<string, string>();
  /** First household and row of each ID number (across batches). */
  private readonly firstOfId = new Map<string, { number: string; row: number }>();
  /**
   * Every member (household) object starts as a copy of one with all the file's keys: objects
   * that grow key by key past a dozen properties fall into V8's dictionary mode, which costs
   * about six times the memory (1.6 KB instead of 260 bytes a member on a million rows).
   */
  private readonly memberTemplate: Values = {};
  private readonly householdTemplate: Values = {};

  constructor(
    readonly columns: readonly BoundColumn[],
    private readonly options: CollectorOptions,
  ) {
    for (const c of columns) {
      const t = c.column?.target;
      if (!t || t.kind === "passthrough") {
        this.extraColumns.push(c);
        continue;
      }
      if (t.kind === "region") {
        const key = `region.${t.level}`;
        this.headerOf.set(key, c.header);
        this.householdReaders.push({ index: c.index, header: c.header, key, parse: regionText() });
        continue;
      }
      const label = `“${c.header}”`;
      const key =
        t.kind === "household" && t.slot !== undefined ? `riskFactors#${t.slot}` : t.field.key;
      if (!this.headerOf.has(`${t.kind}.${t.field.key}`))
        this.headerOf.set(`${t.kind}.${t.field.key}`, c.header);
      const reader = {
        index: c.index,
        header: c.header,
        key,
        parse: parserFor(t.field, label),
        def: t.field,
      };
      if (t.kind === "member") this.memberReaders.push(reader);
      else if (t.field.key !== "householdNumber") this.householdReaders.push(reader);
    }
    for (const r of this.memberReaders) this.memberTemplate[r.key] = null;
    this.householdTemplate.householdNumber = undefined;
    for (const r of this.householdReaders)
      if (!r.key.startsWith("region.") && riskSlot(r.key) < 0)
        this.householdTemplate[r.key] = undefined;
    this.householdTemplate.villageCode = undefined;
    if (
      columns.some(
        (c) => c.column?.target.kind === "household" && c.column.target.slot !== undefined,
      )
    )
      this.householdTemplate.riskFactors = undefined;
    if (this.extraColumns.length > 0) this.householdTemplate.extra = undefined;
    const missing = REQUIRED_COLUMNS.filter(
      (r) => !columns.some((c) => c.column && r.test(c.column.target)),
    );
    if (missing.length > 0) throw new MissingColumns(missing.map((r) => r.header));
    this.numberColumn = columns.find(
      (c) =>
        c.column?.target.kind === "household" && c.column.target.field.key === "householdNumber",
    )!;
    this.hasRiskColumns = columns.some(
      (c) => c.column?.target.kind === "household" && c.column.target.slot !== undefined,
    );
  }

  /** Data rows added so far. */
  get rows(): number {
    return this.rowCount;
  }

  /** Headers of the columns kept as extra attributes. */
  get extraHeaders(): string[] {
    return this.extraColumns.map((c) => c.header);
  }

  private problem(
    row: number,
    column: string,
    code: string,
    message: string,
    household: string,
    severity: Severity = "error",
  ) {
    const at = `${row}|${column}`;
    // One problem per cell: the first says what is wrong; later ones would repeat it.
    if (severity === "error" && this.flagged.has(at)) return;
    if (severity === "error") this.flagged.add(at);
    this.problems.push({ row, column, code, message, household, severity });
    this.withProblems.add(household);
    if (severity === "error") {
      const d = this.households.get(household);
      if (d) d.errors++;
    }
  }

  add(row: SheetRow): void {
    this.rowCount++;
    const cells = row.cells;
    const label = `“${this.numberColumn.header}”`;
    const number = parseHouseholdNumber(cells[this.numberColumn.index] ?? null, label);
    if (number === null || number instanceof CellProblem) {
      this.problem(
        row.number,
        this.numberColumn.header,
        number === null ? "household_number_missing" : number.code,
        number === null ? `${label}为空：每一行都要填写所属户的户编号` : number.message,
        "",
      );
      return;
    }
    let d = this.households.get(number);
    if (this.options.batches && number !== this.lastNumber) {
      if (d || this.released.has(number)) throw new NotGrouped(number);
      this.lastNumber = number;
    }
    if (!d) {
      d = {
        number,
        rows: [],
        household: { ...this.householdTemplate, householdNumber: number },
        members: [],
        region: { county: "", town: "", village: "" },
        extraCells: [],
        errors: 0,
      };
      this.households.set(number, d);
    }
    d.rows.push(row.number);

    const member: Values = { ...this.memberTemplate };
    for (const r of this.memberReaders) {
      const v = r.parse(cells[r.index] ?? null);
      if (v instanceof CellProblem) {
        this.problem(row.number, r.header, v.code, v.message, number);
        member[r.key] = null;
      } else member[r.key] = v;
    }
    d.members.push(member);

    const readers = this.householdReaders;
    d.cells ??= new Array(readers.length);
    for (let j = 0; j < readers.length; j++) {
      const r = readers[j]!;
      const cell = cells[r.index] ?? null;
      // The cell the household's value was read from, again (the usual case: the household
      // columns repeated on every member's row): the same value, nothing to parse or compare.
      if (cell !== null && cell === d.cells[j]) continue;
      const v = r.parse(cell);
      if (v === null) continue;
      if (v instanceof CellProblem) {
        // The same bad value repeated on every row of the household is one fault.
        const text = cellText(cells[r.index] ?? null);
        d.badTexts ??= new Map();
        if (d.badTexts.get(r.key) === text) continue;
        if (!d.badTexts.has(r.key) && !this.seen(d, r.key)) this.markRow(d, r.key, row.number);
        d.badTexts.set(r.key, text);
        this.problem(row.number, r.header, v.code, v.message, number);
        continue;
      }
      if (!this.seen(d, r.key)) {
        this.markRow(d, r.key, row.number);
        this.setHousehold(d, r.key, v);
        d.cells[j] = cell;
      } else if (!d.badTexts?.has(r.key) && this.household(d, r.key) !== v) {
        const first = this.rowOf(d, r.key);
        const was = this.household(d, r.key);
        this.problem(
          row.number,
          r.header,
          "household_fields_disagree",
          `同一户（户编号 ${number}）各成员行的“${r.header}”不一致：第 ${first} 行为“${shown(r.def, was)}”，本行为“${cellText(cells[r.index] ?? null)}”。户信息应在该户每一行都相同，请统一`,
          number,
        );
      }
    }

    if (this.extraColumns.length > 0) {
      const texts = this.extraColumns.map((c) => {
        const t = cellText(cells[c.index] ?? null);
        return t === "" ? null : t;
      });
      d.extraCells.push(texts);
    }
  }

  /** Whether the household already has a value (or region text) for the key. */
  private seen(d: HouseholdDraft, key: string): boolean {
    if (key.startsWith("region.")) return d.region[key.slice(7) as RegionLevel] !== "";
    const slot = riskSlot(key);
    if (slot >= 0) return (d.risks?.[slot] ?? null) !== null;
    return d.household[key] !== undefined;
  }

  private markRow(d: HouseholdDraft, key: string, row: number) {
    if (row === d.rows[0]) return;
    d.sourceRows ??= new Map();
    d.sourceRows.set(key, row);
  }

  /** The row a household value came from. */
  private rowOf(d: HouseholdDraft, key: string): number {
    return d.sourceRows?.get(key) ?? d.rows[0]!;
  }

  private setHousehold(d: HouseholdDraft, key: string, v: unknown) {
    const slot = riskSlot(key);
    if (key.startsWith("region.")) d.region[key.slice(7) as RegionLevel] = v as string;
    else if (slot >= 0) {
      d.risks ??= [null, null, null, null, null];
      d.risks[slot] = v as string;
    } else d.household[key] = v;
  }

  private household(d: HouseholdDraft, key: string): unknown {
    if (key.startsWith("region.")) return d.region[key.slice(7) as RegionLevel];
    const slot = riskSlot(key);
    return slot >= 0 ? (d.risks?.[slot] ?? null) : d.household[key];
  }

  /**
   * Where a problem of a household is found: `field` as the registry names it (`wageIncome`,
   * `villageCode`, `members[2].idNumber`, `members`), relative to the draft.
   */
  locate(d: HouseholdDraft, field: string): { row: number; column: string } {
    const first = d.rows[0]!;
    const m = /^members\[(\d+)\](?:\.(\w+))?$/.exec(field);
    if (m) {
      const k = Number(m[1]);
      const row = d.rows[k] ?? first;
      const key = m[2] ?? "relationship";
      const column =
        this.headerOf.get(`member.${key}`) ??
        // Birth date and sex come from the ID number when the file has no column for them.
        (key === "birthDate" || key === "sex" || key === "idType"
          ? this.headerOf.get("member.idNumber")
          : undefined) ??
        key;
      return { row, column };
    }
    if (field === "members")
      return { row: first, column: this.headerOf.get("member.relationship")! };
    if (field === "villageCode") {
      return {
        row: this.rowOf(d, "region.village"),
        column: this.headerOf.get("region.village")!,
      };
    }
    if (field === "householdNumber") return { row: first, column: this.numberColumn.header };
    const key = field === "riskFactors" ? "riskFactors#0" : field;
    return {
      row: this.rowOf(d, key),
      column: this.headerOf.get(`household.${field}`) ?? field,
    };
  }

  /** Records a problem the registry found (merge) against the household's rows. */
  addHouseholdProblem(d: HouseholdDraft, p: Problem, severity: Severity = "error") {
    const at = this.locate(d, p.field);
    this.problem(at.row, at.column, p.code, p.message, d.number, severity);
  }

  /** The 乡 a household's rows name (as written), for filtering a report by town. */
  townOf(household: string): string {
    return this.households.get(household)?.region.town ?? this.towns.get(household) ?? "";
  }

  /** Households in the order their first row appears. */
  drafts(): HouseholdDraft[] {
    return [...this.households.values()];
  }

  /** Households held (read and not let go). */
  get held(): number {
    return this.households.size;
  }

  /** With `batches`: the households held whose rows are complete (all but the last row's). */
  complete(): HouseholdDraft[] {
    const out: HouseholdDraft[] = [];
    for (const d of this.households.values()) if (d.number !== this.lastNumber) out.push(d);
    return out;
  }

  /** Lets checked and merged households go (only their towns stay, for the report's problems). */
  release(drafts: readonly HouseholdDraft[]) {
    for (const d of drafts) {
      if (this.withProblems.has(d.number)) this.towns.set(d.number, d.region.town);
      this.households.delete(d.number);
      this.released.add(d.number);
    }
  }

  /**
   * Resolves regions and runs the whole-household and whole-file checks. Returns the
   * households in file order; `errors > 0` marks the rejected ones.
   */
  async finish(resolve: RegionResolver): Promise<readonly HouseholdDraft[]> {
    return this.finishBatch(this.drafts(), resolve);
  }

  /** `finish` for some of the households (with `batches`: complete ones, in file order). */
  async finishBatch(
    drafts: readonly HouseholdDraft[],
    resolve: RegionResolver,
  ): Promise<readonly HouseholdDraft[]> {
    await this.resolveRegions(drafts, resolve);
    return this.checkBatch(drafts);
  }

  /**
   * The checks of `finishBatch` that need no database: everything but the regions, which
   * `resolveBatch` adds (before or after: the region problems are at the region columns, where
   * no other check reports, and `checkHousehold` reads the village only to say it is missing,
   * which is not reported for a household whose rows name a village).
   */
  checkBatch(drafts: readonly HouseholdDraft[]): readonly HouseholdDraft[] {
    const householdColumns = new Set(
      this.householdReaders.map((r) => r.key).filter((k) => !k.startsWith("region.")),
    );
    for (const d of drafts) {
      for (const key of householdColumns) {
        if (key.startsWith("riskFactors#")) continue;
        if (d.household[key] === undefined) d.household[key] = null;
      }
      if (this.hasRiskColumns) {
        const risks = (d.risks ?? []).filter((r): r is string => r !== null);
        d.household.riskFactors = risks.length > 0 ? risks : null;
        d.risks = undefined;
      }
      for (const member of d.members) {
        if (!member.idType && typeof member.idNumber === "string") {
          const n = member.idNumber.length;
          member.idType =
            n === 18 ? "resident_id" : n === 20 || n === 22 ? "disability_cert" : null;
        }
      }
      this.classifyExtra(d);
      d.cells = undefined;
    }
    this.checkIdsAcrossHouseholds(drafts);
    for (const d of drafts) {
      this.checkInvariants(d);
      this.checkIncome(d);
    }
    return drafts;
  }

  /** The villages of checked households (`checkBatch`), with their problems. */
  resolveBatch(drafts: readonly HouseholdDraft[], resolve: RegionResolver): Promise<void> {
    return this.resolveRegions(drafts, resolve);
  }

  /**
   * Problems another collector found reading the same file (national.pipeline.ts: the reading
   * thread), in the order it found them, and the rows it has read.
   */
  absorb(problems: readonly RowProblem[], rows: number) {
    for (const p of problems) {
      this.problems.push(p);
      if (p.severity === "error") this.flagged.add(`${p.row}|${p.column}`);
      this.withProblems.add(p.household);
    }
    this.rowCount = rows;
  }

  /** Households another collector read and checked (`checkBatch`), held here until released. */
  adopt(drafts: readonly HouseholdDraft[]) {
    for (const d of drafts) this.households.set(d.number, d);
  }

  private async resolveRegions(drafts: readonly HouseholdDraft[], resolve: RegionResolver) {
    const keyOf = (r: RegionText) => `${r.county}\u0001${r.town}\u0001${r.village}`;
    const distinct = new Map<string, RegionText>();
    for (const d of drafts) if (d.region.village !== "") distinct.set(keyOf(d.region), d.region);
    const texts = [...distinct.values()];
    const answers = await resolve(texts);
    const byKey = new Map(texts.map((t, i) => [keyOf(t), answers[i]!]));
    for (const d of drafts) {
      if (d.region.village === "") {
        d.household.villageCode = null;
        continue;
      }
      const answer = byKey.get(keyOf(d.region))!;
      if (answer.code !== undefined) {
        d.household.villageCode = answer.code;
        continue;
      }
      d.household.villageCode = null;
      const { level, code, message } = answer.problem;
      const column = this.headerOf.get(`region.${level}`) ?? this.headerOf.get("region.village")!;
      const row = this.rowOf(d, `region.${level}`);
      this.problem(row, column, code, message, d.number);
    }
  }

  /** Extra columns: household attributes when every row of the household agrees, else the members'. */
  private classifyExtra(d: HouseholdDraft) {
    if (this.extraColumns.length === 0) return;
    const household: Record<string, string> = {};
    const members: Record<string, string>[] = d.members.map(() => ({}));
    this.extraColumns.forEach((c, j) => {
      const key = c.extraKey!;
      const first = d.extraCells[0]![j] ?? null;
      if (d.extraCells.every((cells) => (cells[j] ?? null) === first)) {
        if (first !== null) household[key] = first;
        return;
      }
      d.extraCells.forEach((cells, k) => {
        const v = cells[j] ?? null;
        if (v !== null) members[k]![key] = v;
      });
    });
    d.household.extra = sortedOrNull(household);
    d.members.forEach((m, k) => {
      m.extra = sortedOrNull(members[k]!);
    });
    d.extraCells = [];
  }

  private checkIdsAcrossHouseholds(drafts: readonly HouseholdDraft[]) {
    const first = this.firstOfId;
    const column = this.headerOf.get("member.idNumber")!;
    for (const d of drafts) {
      d.members.forEach((m, k) => {
        const id = m.idNumber;
        if (typeof id !== "string") return;
        const seen = first.get(id);
        if (!seen) {
          first.set(id, { number: d.number, row: d.rows[k]! });
          return;
        }
        if (seen.number === d.number) return;
        // The other household is merged already: it cannot be refused any more.
        if (this.released.has(seen.number)) throw new NotGrouped(seen.number);
        const message = (other: string, row: number) =>
          `证件号码 ${maskIdNumber(id)} 同时出现在户编号 ${other}（第 ${row} 行）。一个人只能属于一户，请核实后删去多余的一行`;
        this.problem(
          d.rows[k]!,
          column,
          "id_number_in_two_households",
          message(seen.number, seen.row),
          d.number,
        );
        this.problem(
          seen.row,
          column,
          "id_number_in_two_households",
          message(d.number, d.rows[k]!),
          seen.number,
        );
      });
    }
  }

  /** The invariants of core/household.ts (head, ID numbers, ages for the relationship…). */
  private checkInvariants(d: HouseholdDraft) {
    // checkHousehold reads absent values as unknown, so the file's values need no padding with
    // every other field (which costs more than the check on a million rows), and of a member
    // it reads only these.
    const state = {
      household: d.household,
      members: d.members.map((m) =>
        normalizeMember<Values>({
          name: m.name,
          idType: m.idType,
          idNumber: m.idNumber,
          relationship: m.relationship,
          birthDate: m.birthDate,
          sex: m.sex,
          status: "active",
        }),
      ),
    } as unknown as HouseholdState;
    for (const p of checkHousehold(state, this.options.today)) {
      // A household without its village is reported by the region check already.
      if (p.code === "village_missing" && d.region.village !== "") continue;
      this.addHouseholdProblem(d, { ...p, message: locateMessage(d, p) });
    }
  }

  /** 人均纯收入 against its components: (工资 + 经营 + 财产 + 转移 − 经营支出) ÷ 人数, ±1 yuan. */
  private checkIncome(d: HouseholdDraft) {
    const h = d.household;
    if (typeof h.perCapitaIncome !== "number") return;
    for (const key of INCOME_KEYS) {
      if (d.badTexts?.has(key)) return;
      const header = this.headerOf.get(`household.${key}`);
      if (header !== undefined && this.flagged.has(`${this.rowOf(d, key)}|${header}`)) return;
    }
    const size = d.members.length;
    const expected = perCapitaIncome(
      {
        wageIncome: (h.wageIncome as number | null | undefined) ?? null,
        businessIncome: (h.businessIncome as number | null | undefined) ?? null,
        propertyIncome: (h.propertyIncome as number | null | undefined) ?? null,
        transferIncome: (h.transferIncome as number | null | undefined) ?? null,
        businessCosts: (h.businessCosts as number | null | undefined) ?? null,
      },
      size,
      COUNT_ALL_TRANSFERS,
    );
    if (expected === null || Math.abs(expected - h.perCapitaIncome) <= 100) return;
    const at = this.locate(d, "perCapitaIncome");
    this.problem(
      at.row,
      at.column,
      "per_capita_income_mismatch",
      `人均纯收入 ${formatYuan(h.perCapitaIncome)} 元与各项收入算出的 ${formatYuan(expected)} 元相差超过 1 元（（工资性 + 生产经营性 + 财产性 + 转移性收入 − 生产经营性支出）÷ ${size} 人）。请核对人均纯收入或各项收入`,
      d.number,
    );
  }

  /** The households as the registry's merge takes them. */
  static toInput(d: HouseholdDraft): CreateHouseholdInput {
    return {
      household: d.household as CreateHouseholdInput["household"],
      members: d.members as CreateHouseholdInput["members"],
    };
  }
}

/** A required column is missing: the file cannot be read as a national export. */
export class MissingColumns extends Error {
  constructor(readonly headers: string[]) {
    super(`文件缺少必需的列：${headers.join("、")}`);
  }
}

/** The risk column a key names (`riskFactors#2` → 2), or -1. */
function riskSlot(key: string): number {
  return key.startsWith("riskFactors#") ? Number(key.slice(12)) : -1;
}

function sortedOrNull(values: Record<string, string>): Record<string, string> | null {
  const keys = Object.keys(values).sort();
  if (keys.length === 0) return null;
  const out: Record<string, string> = {};
  for (const k of keys) out[k] = values[k]!;
  return out;
}

/** A parsed value as the file writes it (是/否, yuan, the Chinese term). */
function shown(def: FieldDef | undefined, v: unknown): string {
  if (v === null || v === undefined) return "";
  if (!def) return String(v);
  if (def.kind === "enum_list") return labelFor(def.vocab!, String(v));
  return String(formatted(def, v, "csv") ?? "");
}

/** checkHousehold counts members from 1 ("第 2 名成员"); in a file the row number says more. */
function locateMessage(d: HouseholdDraft, p: Problem): string {
  return p.message.replace(/第 (\d+) 名成员/g, (all, n: string) => {
    const row = d.rows[Number(n) - 1];
    return row === undefined ? all : `第 ${row} 行的成员`;
  });
}
