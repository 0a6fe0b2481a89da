/**
 * How a load finds the members an ID number names and the current facts of row keys: per chunk
 * from the database, or, for a large file, from the region's members read into memory once.
 * SQLite's lookups are here, apart from the write path (feeds.bulk.ts).
 */
import type BetterSqlite3 from "better-sqlite3";
import type { MatchLookups } from "./feeds.match.ts";
import type { CurrentFact, Holder } from "./feeds.repository.ts";

/** How each engine finds members; `holdersOf` (below) chooses between them. */
export interface MemberSource {
  /** Members (active or removed) of these ID numbers, anywhere. */
  lookup(idNumbers: readonly string[]): Promise<Holder[]>;
  /** Active members of these ID numbers, anywhere. */
  active(idNumbers: readonly string[]): Promise<Holder[]>;
  /** Members with an ID number in households of the village range (everywhere for null). */
  count(range: readonly [string, string] | null): Promise<number>;
  scan(range: readonly [string, string] | null, into: MemberIndex): Promise<void>;
}

/** Files smaller than this look their members up per chunk, whatever the region's size. */
const INDEX_MIN_ROWS = 10_000;
/**
 * A file expected to have at least a quarter as many rows as the region has members reads them
 * all into memory: one sequential scan costs about what four lookups of one ID number do.
 */
const INDEX_SHARE = 4;

/**
 * A canonical ID number (17 digits and a check character, a digit or X) as two integers that
 * name it exactly: `high` the first nine digits, `low` the next eight times eleven plus the
 * check (X as 10). False for any other text; `MemberIndex` keeps such numbers in a Map.
 */
const idKey = { high: 0, low: 0 };
function toIdKey(s: string): boolean {
  if (s.length !== 18) return false;
  let high = 0;
  for (let i = 0; i < 9; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    high = high * 10 + d;
  }
  let low = 0;
  for (let i = 9; i < 17; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    low = low * 10 + d;
  }
  const c = s.charCodeAt(17);
  const check = c === 88 ? 10 : c - 48;
  if (check < 0 || check > 10) return false;
  idKey.high = high;
  idKey.low = low * 11 + check;
  return true;
}

const slotOf = (high: number, low: number, mask: number) =>
  (Math.imul(high ^ Math.imul(low, 0x9e3779b1), 0x85ebca6b) >>> 7) & mask;

/**
 * Members of a region in memory, by ID number, as parallel arrays sized once from the region's
 * count (no object per member until one is asked for); members sharing an ID number (one
 * active, others removed) are chained. ID numbers are found through an open-addressing table of
 * integers (`toIdKey`), not a Map of a million strings: the lookups cost half as much and the
 * strings need not be kept (docs/benchmarks.md, session 7).
 */
export class MemberIndex {
  /** Per table slot: the place of the latest member of an ID number + 1, or 0. */
  private slots: Int32Array;
  private highs: Int32Array;
  private lows: Int32Array;
  /** ID numbers not in the canonical form, by text. */
  private readonly others = new Map<string, number>();
  private next: Int32Array;
  private ids: Float64Array;
  private households: Float64Array;
  private active: Uint8Array;
  private readonly names: string[] = [];
  private readonly villages: string[] = [];
  private readonly interned = new Map<string, string>();
  private length = 0;
  private keyed = 0;

  /** `capacity`: the members expected (the arrays grow if more come). */
  constructor(capacity: number) {
    const n = Math.max(16, capacity);
    this.next = new Int32Array(n);
    this.ids = new Float64Array(n);
    this.households = new Float64Array(n);
    this.active = new Uint8Array(n);
    this.highs = new Int32Array(n);
    this.lows = new Int32Array(n);
    this.slots = new Int32Array(2 ** Math.ceil(Math.log2(n * 2)));
  }

  /** `active`: 1 for an active member, 0 for a removed one. */
  add(
    idNumber: string,
    id: number,
    householdId: number,
    name: string,
    active: number,
    village: string,
  ): void {
    const at = this.length++;
    if (at === this.ids.length) {
      this.next = grown(this.next, new Int32Array(at * 2));
      this.ids = grown(this.ids, new Float64Array(at * 2));
      this.households = grown(this.households, new Float64Array(at * 2));
      this.active = grown(this.active, new Uint8Array(at * 2));
      this.highs = grown(this.highs, new Int32Array(at * 2));
      this.lows = grown(this.lows, new Int32Array(at * 2));
    }
    let v = this.interned.get(village);
    if (v === undefined) {
      v = village;
      this.interned.set(village, village);
    }
    this.ids[at] = id;
    this.households[at] = householdId;
    this.active[at] = active ? 1 : 0;
    this.names.push(name);
    this.villages.push(v);
    if (!toIdKey(idNumber)) {
      this.next[at] = this.others.get(idNumber) ?? -1;
      this.others.set(idNumber, at);
      return;
    }
    this.highs[at] = idKey.high;
    this.lows[at] = idKey.low;
    const slot = this.slotFor(idKey.high, idKey.low);
    const head = this.slots[slot]! - 1;
    this.next[at] = head;
    this.slots[slot] = at + 1;
    if (head < 0 && ++this.keyed * 2 > this.slots.length) this.rehash();
  }

  /** The latest member of an ID number, -1 for none. */
  private head(idNumber: string): number {
    if (!toIdKey(idNumber)) return this.others.get(idNumber) ?? -1;
    return this.slots[this.slotFor(idKey.high, idKey.low)]! - 1;
  }

  /** The slot of the ID number (high, low): its own, or the empty one where it would go. */
  private slotFor(high: number, low: number): number {
    const mask = this.slots.length - 1;
    for (let slot = slotOf(high, low, mask); ; slot = (slot + 1) & mask) {
      const at = this.slots[slot]! - 1;
      if (at < 0 || (this.highs[at] === high && this.lows[at] === low)) return slot;
    }
  }

  private rehash() {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (const head of this.slots) {
      if (head === 0) continue;
      let slot = slotOf(this.highs[head - 1]!, this.lows[head - 1]!, mask);
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = head;
    }
    this.slots = slots;
  }

  /**
   * Where the only member of an ID number is, when it is active — the member `matchRow` would
   * take; -1 when the ID number has no member here, or several, or a removed one.
   */
  soleActive(idNumber: string): number {
    const at = this.head(idNumber);
    if (at < 0 || this.next[at] !== -1 || this.active[at] === 0) return -1;
    return at;
  }

  /** The member id, household id, name and village at a position (no object made). */
  idAt(at: number): number {
    return this.ids[at]!;
  }
  householdAt(at: number): number {
    return this.households[at]!;
  }
  nameAt(at: number): string {
    return this.names[at]!;
  }
  villageAt(at: number): string {
    return this.villages[at]!;
  }

  /** The members of an ID number (empty when none). */
  holders(idNumber: string): Holder[] {
    const out: Holder[] = [];
    for (let at = this.head(idNumber); at >= 0; at = this.next[at]!)
      out.push({
        id: this.ids[at]!,
        household_id: this.households[at]!,
        id_number: idNumber,
        name: this.names[at]!,
        status: this.active[at] ? "active" : "removed",
        village_code: this.villages[at]!,
      });
    return out;
  }
}

function grown<T extends Int32Array | Float64Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/**
 * A load's member lookups: `holdersOf` (below), and `indexFor`, the region's members in memory
 * once a large file is seen (null for a small one), which `decide` matches most rows from.
 */
export function holdersFinder(
  source: MemberSource,
  range: readonly [string, string] | null,
): Pick<MatchLookups, "holdersOf" | "indexFor"> {
  let index: MemberIndex | null = null;
  /** The region's members, counted once. */
  let members: number | undefined;
  // Asked again at every chunk until the members are read: the estimate of the file's rows
  // grows as it is read (the first chunk's is low when the reader has read further ahead in
  // bytes than in rows), and a file first thought small may turn out large enough.
  const indexFor = async (rowsExpected: number) => {
    if (index || rowsExpected < INDEX_MIN_ROWS) return index;
    members ??= await source.count(range);
    if (rowsExpected * INDEX_SHARE < members) return null;
    index = new MemberIndex(members);
    await source.scan(range, index);
    return index;
  };
  const holdersOf = async (idNumbers: readonly string[], rowsExpected: number) => {
    const index = await indexFor(rowsExpected);
    if (!index) return byIdNumber(await source.lookup(idNumbers));
    const out = new Map<string, Holder[]>();
    const onlyRemoved: string[] = [];
    for (const id of idNumbers) {
      const found = index.holders(id);
      if (found.length === 0) continue;
      out.set(id, found);
      if (range && !found.some((h) => h.status === "active")) onlyRemoved.push(id);
    }
    if (onlyRemoved.length > 0)
      for (const h of await source.active(onlyRemoved)) out.get(h.id_number)!.push(h);
    return out;
  };
  return { holdersOf, indexFor };
}

/**
 * Holders of ID numbers, per chunk from the database or, once a large file is seen, from the
 * region's members in memory; an ID number whose members in the region are all removed is
 * still checked for an active member elsewhere (which keeps the row unmatched).
 */
export const HOLDER_COLUMNS = `m.id, m.household_id, m.id_number, m.name, m.status, h.village_code`;
/** The members of a village range (all for null), for `MemberIndex`, in its argument order. */
export const scanSql = (range: readonly [string, string] | null, p: (n: number) => string) =>
  `select m.id_number, m.id, m.household_id, m.name, case when m.status = 'active' then 1 else 0 end, h.village_code from members m join households h on h.id = m.household_id where m.id_number is not null${range ? ` and h.village_code >= ${p(1)} and h.village_code < ${p(2)}` : ""}`;
/**
 * How many members `scanSql` reads. Everyone's without the join: each member has a household
 * (a foreign key), and the count is then read from the ID number index alone (22 against 80 ms
 * a million members).
 */
export const countSql = (range: readonly [string, string] | null, p: (n: number) => string) =>
  range
    ? `select count(*) as n from members m join households h on h.id = m.household_id where m.id_number is not null and h.village_code >= ${p(1)} and h.village_code < ${p(2)}`
    : "select count(*) as n from members where id_number is not null";
export const CURRENT_COLUMNS = `id, row_key, member_id, vals, effective_from, effective_to, village_code`;
export function byIdNumber(holders: readonly Holder[]): Map<string, Holder[]> {
  const out = new Map<string, Holder[]>();
  for (const h of holders) {
    const list = out.get(h.id_number);
    if (list) list.push(h);
    else out.set(h.id_number, [h]);
  }
  return out;
}

/** Prepared statements of one connection, each prepared once. */
export function statements(raw: BetterSqlite3.Database) {
  const prepared = new Map<string, BetterSqlite3.Statement>();
  return (text: string) => {
    let s = prepared.get(text);
    if (!s) {
      s = raw.prepare(text);
      prepared.set(text, s);
    }
    return s;
  };
}

/** A row of `scanSql`: ID number, member id, household id, name, active (1/0), village. */
type ScannedMember = [string, number, number, string, number, string];

/**
 * Members read per call when every member is read: `iterate` costs a call per row (about a
 * third of the scan), one `all` of everyone a million arrays at once.
 */
const SCAN_PAGE = 10_000;

/** SQLite's lookups for a load of `feedType` by a user of the village range `range`. */
export function sqliteLookups(
  statement: (text: string) => BetterSqlite3.Statement,
  feedType: string,
  range: readonly [string, string] | null,
  scanPage = SCAN_PAGE,
): MatchLookups {
  const holders = statement(
    `select ${HOLDER_COLUMNS} from members m join households h on h.id = m.household_id where m.id_number = ?`,
  );
  // One statement per chunk: the keys as one JSON array parameter.
  const current = statement(
    `select ${CURRENT_COLUMNS} from facts where feed_type = ? and superseded_at is null and row_key in (select value from json_each(?))`,
  );
  const args = range ? [...range] : [];
  const members: MemberSource = {
    async lookup(idNumbers) {
      const out: Holder[] = [];
      for (const id of idNumbers) for (const h of holders.all(id) as Holder[]) out.push(h);
      return out;
    },
    async active(idNumbers) {
      const active = statement(
        `select ${HOLDER_COLUMNS} from members m join households h on h.id = m.household_id where m.id_number = ? and m.status = 'active'`,
      );
      const out: Holder[] = [];
      for (const id of idNumbers) for (const h of active.all(id) as Holder[]) out.push(h);
      return out;
    },
    async count(range) {
      return Number(
        statement(countSql(range, () => "?"))
          .pluck()
          .get(...args),
      );
    },
    async scan(range, into) {
      const take = (rows: Iterable<ScannedMember>) => {
        for (const r of rows) into.add(r[0], r[1], r[2], r[3], r[4], r[5]);
      };
      if (range) {
        // A region's members through its villages' households (households_village): paged by
        // member id, each page would be sorted again.
        take(
          statement(scanSql(range, () => "?"))
            .raw()
            .iterate(...args) as Iterable<ScannedMember>,
        );
        return;
      }
      // Everyone: pages in member id order (the table's own order), each taken in one call.
      const page = statement(
        `${scanSql(null, () => "?")} and m.id > ? order by m.id limit ${scanPage}`,
      ).raw();
      for (let after = 0; ; ) {
        const rows = page.all(after) as ScannedMember[];
        take(rows);
        if (rows.length < scanPage) return;
        after = rows[rows.length - 1]![1];
      }
    },
  };
  return {
    ...holdersFinder(members, range),
    async currentFacts(keys) {
      const out = new Map<string, CurrentFact>();
      if (keys.length === 0) return out;
      for (const fact of current.all(feedType, JSON.stringify(keys)) as CurrentFact[])
        out.set(fact.row_key, fact);
      return out;
    },
  };
}
