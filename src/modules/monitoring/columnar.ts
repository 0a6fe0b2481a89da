/**
 * A columnar snapshot of the registry for one region: household columns as typed arrays,
 * active members in CSR layout, only the columns that compiled rules read. The preview
 * evaluates rules over it with the JS compiler (core/rules/js.ts). It is loaded in chunks with
 * keyset pagination and kept current by `update(ids)`, which reloads the households a change
 * touched.
 *
 * Storage, per column kind (see `Column` in js.ts):
 *   num   Float64Array, NaN for NULL (money stays integer fen); `size` is an Int32Array
 *   flag  Kleene values (0 false, 1 NULL, 2 true), two bits each, four to a byte
 *   text  dictionary codes, 0 for NULL, in a Uint8Array that widens to Uint16 and Int32 as the
 *         dictionary grows
 *   list  per household start/end into one Int32Array of codes (start −1 for NULL)
 * A household whose members change gets a fresh block at the end of the member arrays; the
 * old block is garbage until the next compaction.
 */
import {
  type Codes,
  type Column,
  type Columnar,
  type ColumnKind,
  type ColumnNeed,
  type FactColumns,
  FLAG_NULLS,
  flagAt,
  flagBytes,
  MEMBER_LISTED,
  NET_FEN,
  NET_FEN_SOURCES,
  netFen,
  PER_CAPITA,
  perCapita,
  setFlag,
} from "../../core/rules/js.ts";
import {
  type ColumnarRepository,
  type ColumnPlan,
  type Keyset,
  PACK,
  packedName,
  type Row,
} from "./columnar.repository.ts";

/** Households per chunk: bounded memory while loading (rows are objects only chunk by chunk). */
export const CHUNK = 5000;
/** Households reloaded per query by `update`. */
const UPDATE_CHUNK = 500;

// ─── growable columns ─────────────────────────────────────────────────────────────

function grow<T extends Float64Array | Int32Array | Int16Array | Uint8Array | Uint16Array>(
  a: T,
  capacity: number,
  fill?: number,
): T {
  if (a.length >= capacity) return a;
  const next = new (a.constructor as new (n: number) => T)(capacity);
  next.set(a);
  if (fill !== undefined) next.fill(fill, a.length);
  return next;
}

/** A dictionary: code 0 is NULL. */
class Dictionary {
  readonly values: (string | null)[] = [null];
  private readonly codes = new Map<string, number>();

  code(s: string): number {
    let c = this.codes.get(s);
    if (c === undefined) {
      c = this.values.length;
      this.values.push(s);
      this.codes.set(s, c);
    }
    return c;
  }
}

interface Store {
  /** The Column object the compiled rules see (its arrays are replaced when they grow). */
  readonly column: Column;
  capacity(n: number): void;
  set(row: number, value: unknown): void;
}

const I16_NULL = -0x8000;
const I32_NULL = -0x80000000;

/**
 * Numbers in the narrowest array that holds them: Int16, then Int32 (NULL a sentinel), then
 * Float64 (NULL is NaN) once a value is not such an integer. `size` has no NULL: Int32 plain.
 */
function numStore(capacity: number, onReshape: () => void, plainInt32 = false): Store {
  const column: {
    kind: "num";
    values: Int16Array | Int32Array | Float64Array;
    nullValue?: number;
  } = plainInt32
    ? { kind: "num", values: new Int32Array(capacity) }
    : { kind: "num", values: new Int16Array(capacity).fill(I16_NULL), nullValue: I16_NULL };
  const widen = (v: number) => {
    const old = column.values;
    const from = column.nullValue;
    const int32 = Number.isInteger(v) && v > I32_NULL && v <= 0x7fffffff && !Object.is(v, -0);
    const next =
      int32 && old instanceof Int16Array
        ? new Int32Array(old.length)
        : new Float64Array(old.length);
    const to = next instanceof Int32Array ? I32_NULL : Number.NaN;
    for (let k = 0; k < old.length; k++) next[k] = old[k] === from ? to : old[k]!;
    column.values = next;
    column.nullValue = next instanceof Int32Array ? I32_NULL : undefined;
    onReshape();
  };
  const fits = (v: number) => {
    const a = column.values;
    if (a instanceof Float64Array) return true;
    if (!Number.isInteger(v) || Object.is(v, -0)) return false;
    return a instanceof Int16Array ? v > I16_NULL && v <= 0x7fff : v > I32_NULL && v <= 0x7fffffff;
  };
  return {
    column,
    capacity(n) {
      column.values = grow(column.values, n, column.nullValue ?? Number.NaN);
    },
    set(row, value) {
      if (value === null || value === undefined) {
        if (plainInt32) throw new Error("a NULL in a column without NULLs");
        column.values[row] = column.nullValue ?? Number.NaN;
        return;
      }
      const v = Number(value);
      if (!fits(v)) {
        if (plainInt32) throw new Error(`${v} does not fit the column`);
        widen(v);
        if (!fits(v)) widen(v);
      }
      column.values[row] = v;
    },
  };
}

function flagStore(capacity: number): Store {
  const column = {
    kind: "flag" as const,
    values: new Uint8Array(flagBytes(capacity)).fill(FLAG_NULLS),
  };
  return {
    column,
    capacity(n) {
      column.values = grow(column.values, flagBytes(n), FLAG_NULLS);
    },
    set(row, value) {
      // sql.ts reads a flag as `col = 1`: NULL stays NULL, anything but 1 is false.
      const v = value === null || value === undefined ? 1 : Number(value) === 1 ? 2 : 0;
      setFlag(column.values, row, v);
    },
  };
}

function textStore(capacity: number): Store & { dict: Dictionary } {
  const dict = new Dictionary();
  const column: { kind: "text"; codes: Codes; dict: (string | null)[] } = {
    kind: "text",
    codes: new Uint8Array(capacity),
    dict: dict.values,
  };
  return {
    column,
    dict,
    capacity(n) {
      column.codes = grow(column.codes, n);
    },
    set(row, value) {
      const code = value === null || value === undefined ? 0 : dict.code(String(value));
      if (code > 0xff && column.codes instanceof Uint8Array)
        column.codes = Uint16Array.from(column.codes);
      if (code > 0xffff && column.codes instanceof Uint16Array)
        column.codes = Int32Array.from(column.codes);
      column.codes[row] = code;
    },
  };
}

function listStore(capacity: number): Store {
  const dict = new Dictionary();
  const column = {
    kind: "list" as const,
    start: new Int32Array(capacity).fill(-1),
    end: new Int32Array(capacity),
    items: new Int32Array(Math.max(16, capacity >> 2)),
    dict: dict.values,
  };
  let used = 0;
  return {
    column,
    capacity(n) {
      column.start = grow(column.start, n, -1);
      column.end = grow(column.end, n);
    },
    set(row, value) {
      const list = typeof value === "string" ? (JSON.parse(value) as unknown) : null;
      if (!Array.isArray(list)) {
        column.start[row] = -1;
        column.end[row] = -1;
        return;
      }
      if (used + list.length > column.items.length)
        column.items = grow(column.items, Math.max(used + list.length, column.items.length * 2));
      column.start[row] = used;
      // SQL compares items as text: an item that is not a string matches nothing.
      for (const item of list)
        column.items[used++] = typeof item === "string" ? dict.code(item) : 0;
      column.end[row] = used;
    },
  };
}

function storeFor(kind: ColumnKind, capacity: number, onReshape: () => void): Store {
  switch (kind) {
    case "num":
      return numStore(capacity, onReshape);
    case "flag":
      return flagStore(capacity);
    case "text":
      return textStore(capacity);
    case "list":
      return listStore(capacity);
  }
}

/**
 * How chunk rows land in stores: the plan of what to select, and a function writing one row.
 * Flags and presence tests come packed (see ColumnPlan); NET_FEN is computed from its five
 * sources; village_code is always selected by the repository.
 */
interface Reader {
  plan: ColumnPlan;
  read(row: Row, at: number): void;
}

function readerFor(stores: ReadonlyMap<string, Store>): Reader {
  const plain: [string, Store][] = [];
  const kleene: Store[] = [];
  const names: string[] = [];
  const sources = new Set<string>();
  for (const [name, store] of stores) {
    if (store.column.kind === "flag") {
      kleene.push(store);
      names.push(name);
    } else {
      plain.push([name, store]);
      if (name === NET_FEN || name === PER_CAPITA) for (const c of NET_FEN_SOURCES) sources.add(c);
      if (name === PER_CAPITA) sources.add("size");
      else if (name !== "village_code" && name !== NET_FEN) sources.add(name);
    }
  }
  const packed: string[][] = [];
  for (let k = 0; k < names.length; k += PACK) packed.push(names.slice(k, k + PACK));
  return {
    plan: { plain: [...sources], packed },
    read(row, at) {
      for (const [name, store] of plain)
        store.set(
          at,
          name === NET_FEN
            ? netFenOf(row)
            : name === PER_CAPITA
              ? perCapita(netFenOf(row), Number(row.size))
              : row[name],
        );
      for (let g = 0; g < packed.length; g++) {
        let bits = Number(row[packedName(g)]);
        const n = packed[g]!.length;
        for (let k = 0; k < n; k++) {
          const v = bits % 4;
          bits = (bits - v) / 4;
          setFlag((kleene[g * PACK + k]!.column as { values: Uint8Array }).values, at, v);
        }
      }
    },
  };
}

function netFenOf(row: Row): number {
  const v = (c: string) => (row[c] === null || row[c] === undefined ? null : Number(row[c]));
  return netFen(
    v("wage_income"),
    v("business_income"),
    v("property_income"),
    v("transfer_income"),
    v("business_costs"),
  );
}

// ─── the snapshot ─────────────────────────────────────────────────────────────────

export interface SnapshotStats {
  households: number;
  members: number;
  /** Bytes held in typed arrays and dictionaries (estimated for the dictionaries). */
  bytes: number;
}

/** The value of a fact column for one fact row (see FactColumns in js.ts). */
function factValue(
  column: string,
  row: { effective_from: string; effective_to: string | null; member_status: string },
  vals: Record<string, unknown>,
): unknown {
  const value = (key: string): unknown =>
    key === "effective_from"
      ? row.effective_from
      : key === "effective_to"
        ? row.effective_to
        : key === MEMBER_LISTED
          ? row.member_status === "active"
            ? 1
            : 0
          : (vals[key] ?? null);
  // The derived columns of text values, as sql.ts reads them: IS NOT NULL, length().
  if (column.startsWith("?")) return value(column.slice(1)) === null ? 0 : 1;
  if (column.startsWith("#")) {
    const v = value(column.slice(1));
    return v === null ? null : [...String(v)].length;
  }
  return value(column);
}

export class ColumnarSnapshot implements Columnar {
  rows = 0;
  readonly h: Record<string, Column> = {};
  readonly m: Record<string, Column> = {};
  /** Fact lists the rules read, rebuilt whole when a column is added or households change. */
  readonly facts: Record<string, FactColumns> = {};
  private readonly factNeeds = new Map<
    string,
    { feedType: string; columns: Map<string, ColumnKind> }
  >();
  memberStart = new Int32Array(0);
  memberEnd = new Int32Array(0);
  /** Household id of each row. */
  ids = new Float64Array(0);
  /** 0 for rows whose household left the region (or was deleted). */
  alive = new Uint8Array(0);
  /**
   * Bumped whenever an array is replaced or a dictionary grows: compiled rules bound to the
   * snapshot must be bound again (their lookup tables cover the old dictionaries).
   */
  epoch = 0;
  /** Bumped on every change of the data. */
  version = 0;

  private readonly hStores = new Map<string, Store>();
  private readonly mStores = new Map<string, Store>();
  private hReader = readerFor(this.hStores);
  private mReader = readerFor(this.mStores);
  private capacity = 0;
  private memberCapacity = 0;
  private membersUsed = 0;
  private memberGarbage = 0;
  /** Rows sorted by id (the loaded rows), and rows appended since. */
  private byId = new Int32Array(0);
  private readonly appended = new Map<number, number>();
  /** Rows changed by each version since `logFloor` (bounded; older changes are forgotten). */
  private readonly log: { version: number; rows: number[] }[] = [];
  private logFloor = 0;
  private logged = 0;

  private constructor(
    private readonly repo: ColumnarRepository,
    readonly range: readonly [string, string],
  ) {}

  /** Loads the households of a range with the columns wanted (village_code and size always). */
  static async load(
    repo: ColumnarRepository,
    range: readonly [string, string],
    needs: readonly ColumnNeed[] = [],
  ): Promise<ColumnarSnapshot> {
    const s = new ColumnarSnapshot(repo, range);
    await s.reload(needs);
    return s;
  }

  /** Household columns loaded (by name). */
  has(need: ColumnNeed): boolean {
    if (need.table === "f")
      return this.factNeeds.get(need.fact!.name)?.columns.has(need.column) ?? false;
    return (need.table === "h" ? this.hStores : this.mStores).has(need.column);
  }

  /** Adds fact needs; returns the lists whose columns changed. */
  private addFactNeeds(needs: readonly ColumnNeed[]): Set<string> {
    const changed = new Set<string>();
    for (const n of needs) {
      if (n.table !== "f") continue;
      const { name, feedType } = n.fact!;
      let entry = this.factNeeds.get(name);
      if (!entry) {
        entry = { feedType, columns: new Map() };
        this.factNeeds.set(name, entry);
        changed.add(name);
      }
      if (!entry.columns.has(n.column)) {
        entry.columns.set(n.column, n.kind);
        changed.add(name);
      }
    }
    return changed;
  }

  /** Builds a fact list in CSR layout over the household rows. */
  private async loadFacts(name: string): Promise<void> {
    const { feedType, columns } = this.factNeeds.get(name)!;
    const rows = await this.repo.currentFacts(this.range, feedType);
    const start = new Int32Array(this.capacity);
    const end = new Int32Array(this.capacity);
    const rowOf = new Int32Array(rows.length);
    for (let k = 0; k < rows.length; k++) {
      const r = this.rowOf(Number(rows[k]!.household_id));
      rowOf[k] = r >= 0 && this.alive[r] ? r : -1;
      if (rowOf[k]! >= 0) end[r] = end[r]! + 1;
    }
    let total = 0;
    for (let r = 0; r < this.rows; r++) {
      const n = end[r]!;
      start[r] = total;
      end[r] = total;
      total += n;
    }
    const stores = new Map<string, Store>();
    for (const [column, kind] of columns) {
      if (column === "") continue;
      stores.set(
        column,
        storeFor(kind, total + 1, () => {}),
      );
    }
    for (let k = 0; k < rows.length; k++) {
      const r = rowOf[k]!;
      if (r < 0) continue;
      const at = end[r]!;
      end[r] = at + 1;
      const row = rows[k]!;
      const vals = JSON.parse(row.vals) as Record<string, unknown>;
      for (const [column, store] of stores) store.set(at, factValue(column, row, vals));
    }
    const cols: Record<string, Column> = {};
    for (const [column, store] of stores) cols[column] = store.column;
    this.facts[name] = { start, end, cols };
    this.epoch++;
  }

  /** Rebuilds every fact list (after households changed rows, or facts were loaded). */
  async reloadFacts(): Promise<void> {
    for (const name of this.factNeeds.keys()) await this.loadFacts(name);
  }

  /**
   * Values may have changed in any row (facts or income records read again): results kept by
   * version are recomputed whole, not from the rows changed since.
   */
  invalidate(): void {
    this.version++;
    this.log.length = 0;
    this.logged = 0;
    this.logFloor = this.version;
  }

  /**
   * Reads again, for every household, the loaded household columns whose names match (e.g.
   * the income records `@income…`, written without a household event). Returns the households
   * whose members changed meanwhile, as `ensure` does.
   */
  async refresh(match: (column: string) => boolean): Promise<number[]> {
    const needs = this.neededNow().filter((n) => n.table === "h" && match(n.column));
    if (needs.length === 0) return [];
    for (const n of needs) {
      this.hStores.delete(n.column);
      delete this.h[n.column];
    }
    this.readers();
    const stale = await this.ensure(needs);
    this.invalidate();
    return stale;
  }

  /**
   * Loads the columns that are not loaded yet, in one pass over the region. Households whose
   * members no longer match their block (changed since, not yet updated) are returned: the
   * caller updates them.
   */
  async ensure(needs: readonly ColumnNeed[]): Promise<number[]> {
    for (const name of this.addFactNeeds(needs)) await this.loadFacts(name);
    const missing = needs.filter((n) => n.table !== "f" && !this.has(n));
    if (missing.length === 0) return [];
    const hMissing = new Map<string, ColumnKind>();
    const mMissing = new Map<string, ColumnKind>();
    for (const n of missing) (n.table === "h" ? hMissing : mMissing).set(n.column, n.kind);
    const hNew = new Map<string, Store>();
    const mNew = new Map<string, Store>();
    for (const [column, kind] of hMissing)
      hNew.set(column, storeFor(kind, this.capacity, this.reshaped));
    for (const [column, kind] of mMissing)
      mNew.set(column, storeFor(kind, this.memberCapacity, this.reshaped));
    const stale: number[] = [];
    const hReader = readerFor(hNew);
    const mReader = readerFor(mNew);
    let after: Keyset | null = null;
    for (;;) {
      const chunk = await this.repo.householdChunk(this.range, after, hReader.plan, CHUNK);
      if (chunk.length === 0) break;
      const last = chunk[chunk.length - 1]!;
      const upTo: Keyset = [String(last.village_code), Number(last.id)];
      for (const h of chunk) {
        const row = this.rowOf(Number(h.id));
        if (row >= 0) hReader.read(h, row);
      }
      if (mNew.size > 0) {
        const members = await this.repo.memberChunk(this.range, after, upTo, mReader.plan);
        for (let k = 0; k < members.length; ) {
          const id = Number(members[k]!.household_id);
          const from = k;
          while (k < members.length && Number(members[k]!.household_id) === id) k++;
          const row = this.rowOf(id);
          if (row < 0) continue;
          const start = this.memberStart[row]!;
          if (this.memberEnd[row]! - start !== k - from) {
            stale.push(id);
            continue;
          }
          for (let q = from; q < k; q++) mReader.read(members[q]!, start + q - from);
        }
      }
      after = upTo;
      if (chunk.length < CHUNK) break;
    }
    for (const [column, store] of hNew) {
      this.hStores.set(column, store);
      this.h[column] = store.column;
    }
    for (const [column, store] of mNew) {
      this.mStores.set(column, store);
      this.m[column] = store.column;
    }
    this.readers();
    // New columns only: the values rules saw are unchanged (the version stays).
    this.epoch++;
    return stale;
  }

  /** Everything loaded now, as needs. */
  neededNow(): ColumnNeed[] {
    const out: ColumnNeed[] = [];
    for (const [column, s] of this.hStores) out.push({ table: "h", column, kind: s.column.kind });
    for (const [column, s] of this.mStores) out.push({ table: "m", column, kind: s.column.kind });
    for (const [name, f] of this.factNeeds)
      for (const [column, kind] of f.columns)
        out.push({ table: "f", column, kind, fact: { name, feedType: f.feedType } });
    return out;
  }

  /** (Re)loads the region chunk by chunk with the given columns. */
  private async reload(needs: readonly ColumnNeed[]): Promise<void> {
    const hNeeds = new Map<string, ColumnKind>([
      ["village_code", "text"],
      ["size", "num"],
    ]);
    const mNeeds = new Map<string, ColumnKind>();
    for (const n of needs) {
      if (n.table === "f") continue;
      (n.table === "h" ? hNeeds : mNeeds).set(n.column, n.kind);
    }

    const households = await this.repo.countHouseholds(this.range);
    const members = await this.repo.countMembers(this.range);
    this.capacity = households + 16;
    this.memberCapacity = members + 64;
    this.rows = 0;
    this.membersUsed = 0;
    this.memberGarbage = 0;
    this.appended.clear();
    this.ids = new Float64Array(this.capacity);
    this.alive = new Uint8Array(this.capacity);
    this.memberStart = new Int32Array(this.capacity);
    this.memberEnd = new Int32Array(this.capacity);
    this.hStores.clear();
    this.mStores.clear();
    for (const key of Object.keys(this.h)) delete this.h[key];
    for (const key of Object.keys(this.m)) delete this.m[key];
    for (const [column, kind] of hNeeds) {
      const store =
        column === "size"
          ? numStore(this.capacity, this.reshaped, true)
          : storeFor(kind, this.capacity, this.reshaped);
      this.hStores.set(column, store);
      this.h[column] = store.column;
    }
    for (const [column, kind] of mNeeds) {
      const store = storeFor(kind, this.memberCapacity, this.reshaped);
      this.mStores.set(column, store);
      this.m[column] = store.column;
    }

    this.readers();
    let after: Keyset | null = null;
    for (;;) {
      const chunk = await this.repo.householdChunk(this.range, after, this.hReader.plan, CHUNK);
      if (chunk.length === 0) break;
      const last = chunk[chunk.length - 1]!;
      const upTo: Keyset = [String(last.village_code), Number(last.id)];
      // Members always: the CSR offsets serve every members.… macro, with columns or not.
      const memberRows = await this.repo.memberChunk(this.range, after, upTo, this.mReader.plan);
      this.append(chunk, memberRows);
      after = upTo;
      if (chunk.length < CHUNK) break;
    }
    this.indexIds();
    this.addFactNeeds(needs);
    await this.reloadFacts();
    this.epoch++;
    this.version++;
    this.log.length = 0;
    this.logged = 0;
    this.logFloor = this.version;
  }

  /** A store replaced its array: bound rules must bind again. */
  private readonly reshaped = () => {
    this.epoch++;
  };

  private readers(): void {
    this.hReader = readerFor(this.hStores);
    this.mReader = readerFor(this.mStores);
  }

  /** Rows changed since a version, or null when that is too long ago to know. */
  changedRowsSince(version: number): number[] | null {
    if (version < this.logFloor) return null;
    const rows = new Set<number>();
    for (const entry of this.log)
      if (entry.version > version) for (const r of entry.rows) rows.add(r);
    return [...rows];
  }

  /** Appends household rows (in order) and their members (grouped by household, same order). */
  private append(households: Row[], members: Row[]): void {
    let k = 0;
    for (const h of households) {
      const row = this.newRow();
      this.setHousehold(row, h);
      const id = Number(h.id);
      const from = k;
      while (k < members.length && Number(members[k]!.household_id) === id) k++;
      this.setMembers(row, members, from, k);
    }
  }

  private newRow(): number {
    if (this.rows >= this.capacity) {
      this.capacity = Math.ceil(this.capacity * 1.25) + 16;
      this.ids = grow(this.ids, this.capacity);
      this.alive = grow(this.alive, this.capacity);
      this.memberStart = grow(this.memberStart, this.capacity);
      this.memberEnd = grow(this.memberEnd, this.capacity);
      for (const s of this.hStores.values()) s.capacity(this.capacity);
      this.epoch++;
    }
    return this.rows++;
  }

  private setHousehold(row: number, h: Row): void {
    this.ids[row] = Number(h.id);
    this.alive[row] = 1;
    this.hReader.read(h, row);
  }

  /** Gives household `row` the member rows members[from…to) as a fresh block. */
  private setMembers(row: number, members: Row[], from: number, to: number): void {
    const count = to - from;
    if (this.membersUsed + count > this.memberCapacity) {
      this.memberCapacity = Math.ceil((this.membersUsed + count) * 1.25) + 64;
      for (const s of this.mStores.values()) s.capacity(this.memberCapacity);
      this.epoch++;
    }
    const start = this.membersUsed;
    for (let k = from; k < to; k++) {
      this.mReader.read(members[k]!, this.membersUsed++);
    }
    this.memberStart[row] = start;
    this.memberEnd[row] = this.membersUsed;
  }

  /** Sorts the loaded rows by id for lookups (packed keys: id × 2²² + row, exact in a double). */
  private indexIds(): void {
    if (this.rows >= 1 << 22) throw new Error("a snapshot holds at most 4,194,304 households");
    const keys = new Float64Array(this.rows);
    for (let r = 0; r < this.rows; r++) keys[r] = this.ids[r]! * 4194304 + r;
    keys.sort();
    this.byId = new Int32Array(this.rows);
    for (let r = 0; r < this.rows; r++) this.byId[r] = keys[r]! % 4194304;
    this.appended.clear();
  }

  /** The row of a household id, or −1. */
  rowOf(id: number): number {
    const extra = this.appended.get(id);
    if (extra !== undefined) return extra;
    let lo = 0;
    let hi = this.byId.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.byId[mid]!;
      const v = this.ids[r]!;
      if (v === id) return r;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /**
   * Reloads the households with these ids: changed rows are overwritten, new ones appended,
   * those gone from the region marked dead. Returns the rows touched.
   */
  async update(householdIds: Iterable<number>): Promise<number[]> {
    const ids = [...new Set(householdIds)];
    const touched: number[] = [];
    const epoch = this.epoch;
    const dictSizes = this.dictionarySizes();
    for (let at = 0; at < ids.length; at += UPDATE_CHUNK) {
      const slice = ids.slice(at, at + UPDATE_CHUNK);
      const households = await this.repo.householdsByIds(this.range, slice, this.hReader.plan);
      const members = await this.repo.membersOf(
        households.map((h) => Number(h.id)),
        this.mReader.plan,
      );
      const byHousehold = new Map<number, [number, number]>();
      for (let k = 0; k < members.length; ) {
        const id = Number(members[k]!.household_id);
        const from = k;
        while (k < members.length && Number(members[k]!.household_id) === id) k++;
        byHousehold.set(id, [from, k]);
      }
      const found = new Set<number>();
      for (const h of households) {
        const id = Number(h.id);
        found.add(id);
        let row = this.rowOf(id);
        if (row < 0) {
          row = this.newRow();
          this.appended.set(id, row);
        } else this.memberGarbage += this.memberEnd[row]! - this.memberStart[row]!;
        this.setHousehold(row, h);
        const [from, to] = byHousehold.get(id) ?? [0, 0];
        this.setMembers(row, members, from, to);
        touched.push(row);
      }
      for (const id of slice) {
        const row = found.has(id) ? -1 : this.rowOf(id);
        if (row < 0 || this.alive[row] === 0) continue;
        this.alive[row] = 0;
        this.memberGarbage += this.memberEnd[row]! - this.memberStart[row]!;
        this.memberStart[row] = 0;
        this.memberEnd[row] = 0;
        touched.push(row);
      }
    }
    if (this.memberGarbage > this.membersUsed / 4 && this.memberGarbage > 10_000) this.compact();
    if (touched.length > 0 && this.factNeeds.size > 0) await this.reloadFacts();
    const sizes = this.dictionarySizes();
    if (this.epoch === epoch && sizes.some((n, k) => n !== dictSizes[k])) this.epoch++;
    if (touched.length > 0) {
      this.version++;
      this.log.push({ version: this.version, rows: touched });
      this.logged += touched.length;
      while (this.logged > 100_000 && this.log.length > 0) {
        const oldest = this.log.shift()!;
        this.logged -= oldest.rows.length;
        this.logFloor = oldest.version;
      }
    }
    return touched;
  }

  /** Rewrites the member arrays without the blocks that updates left behind (update does this when they grow). */
  compact(): void {
    const used = this.membersUsed - this.memberGarbage;
    const stores = [...this.mStores.values()];
    const fresh = stores.map((s) => {
      const c = s.column;
      if (c.kind === "num") {
        const values = c.values;
        return new (values.constructor as new (n: number) => typeof values)(used + 64);
      }
      if (c.kind === "flag") return new Uint8Array(flagBytes(used + 64)).fill(FLAG_NULLS);
      if (c.kind === "text")
        return new (c.codes.constructor as new (n: number) => Codes)(used + 64);
      throw new Error("member list columns are not supported");
    });
    let j = 0;
    for (let row = 0; row < this.rows; row++) {
      const s = this.memberStart[row]!;
      const e = this.memberEnd[row]!;
      this.memberStart[row] = j;
      for (let k = s; k < e; k++, j++)
        stores.forEach((store, n) => {
          const c = store.column;
          const target = fresh[n]!;
          if (c.kind === "flag") setFlag(target as Uint8Array, j, flagAt(c.values, k));
          else
            target[j] =
              c.kind === "text" ? c.codes[k]! : (c as { values: Float64Array }).values[k]!;
        });
      this.memberEnd[row] = j;
    }
    stores.forEach((store, n) => {
      const c = store.column as { kind: ColumnKind; values?: unknown; codes?: unknown };
      if (c.kind === "text") c.codes = fresh[n];
      else c.values = fresh[n];
    });
    this.membersUsed = j;
    this.memberCapacity = used + 64;
    this.memberGarbage = 0;
    this.epoch++;
  }

  private dictionarySizes(): number[] {
    const out: number[] = [];
    for (const s of [...this.hStores.values(), ...this.mStores.values()])
      if (s.column.kind === "text" || s.column.kind === "list") out.push(s.column.dict.length);
    return out;
  }

  stats(): SnapshotStats {
    let bytes =
      this.ids.byteLength +
      this.alive.byteLength +
      this.memberStart.byteLength +
      this.memberEnd.byteLength +
      this.byId.byteLength;
    for (const s of [...this.hStores.values(), ...this.mStores.values()]) {
      const c = s.column;
      if (c.kind === "num" || c.kind === "flag") bytes += c.values.byteLength;
      if (c.kind === "text") bytes += c.codes.byteLength;
      if (c.kind === "list") bytes += c.start.byteLength + c.end.byteLength + c.items.byteLength;
      if (c.kind === "text" || c.kind === "list")
        for (const v of c.dict) bytes += v === null ? 8 : 40 + 2 * v.length;
    }
    let alive = 0;
    for (let r = 0; r < this.rows; r++) alive += this.alive[r]!;
    return { households: alive, members: this.membersUsed - this.memberGarbage, bytes };
  }
}
