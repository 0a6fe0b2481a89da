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
  /** Reads the region's members (`members` of them, as `count` said) into `into`. */
  scan(range: readonly [string, string] | null, into: MemberIndex, members: number): Promise<void>;
}

/** Files smaller than this look their members up per chunk, whatever the region's size. */
const INDEX_MIN_ROWS = 10_000;
/**
 * A file expected to have at least a twelfth as many rows as the region has members reads them
 * all into memory: reading a member with the others (`addPage`) costs about a twelfth of looking
 * one ID number up (measured with 3,250,000 members: 400,000 rows 5.3 s read, 6.8 s looked up;
 * 200,000 rows 4.4 s read, 3.8 s looked up; docs/benchmarks.md, session 10).
 */
const INDEX_SHARE = 12;

/**
 * A canonical ID number (17 digits and a check character, a digit or X) as two integers that
 * name it exactly: `high` the first nine digits, `low` the next eight times eleven plus the
 * check (X as 10). False for any other text; `MemberIndex` keeps such numbers in a Map.
 */
const idKey = { high: 0, low: 0 };
/** Of the characters of `s` from `start` to `end` (none but 18 can be canonical). */
function toIdKey(s: string, start = 0, end = s.length): boolean {
  if (end - start !== 18) return false;
  let high = 0;
  for (let i = start; i < start + 9; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    high = high * 10 + d;
  }
  let low = 0;
  for (let i = start + 9; i < start + 17; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    low = low * 10 + d;
  }
  const c = s.charCodeAt(start + 17);
  const check = c === 88 ? 10 : c - 48;
  if (check < 0 || check > 10) return false;
  idKey.high = high;
  idKey.low = low * 11 + check;
  return true;
}

const slotOf = (high: number, low: number, mask: number) =>
  (Math.imul(high ^ Math.imul(low, 0x9e3779b1), 0x85ebca6b) >>> 7) & mask;

/** What separates the values of one column in a page of members (`MemberIndex.addPage`). */
export const PAGE_SEPARATOR = "\x1f";

/** Where each value of a page's column ends (`splitPage`), and its numbers: arrays reused. */
let ends = new Int32Array(0);
let numbersRead = new Float64Array(0);

/**
 * Splits a column of `count` values joined by PAGE_SEPARATOR into `into` (the end of each);
 * false when it holds another number of values (a value containing the separator).
 */
function splitPage(text: string, count: number, into: Int32Array): boolean {
  let from = 0;
  for (let i = 0; i < count - 1; i++) {
    const end = text.indexOf(PAGE_SEPARATOR, from);
    if (end < 0) return false;
    into[i] = end;
    from = end + 1;
  }
  into[count - 1] = text.length;
  return text.indexOf(PAGE_SEPARATOR, from) < 0;
}

/** The numbers of a page (member id, household id, 1/0 active: three a member) read into `into`. */
function readNumbers(text: string, count: number, into: Float64Array): boolean {
  let n = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? 44 : text.charCodeAt(i);
    if (c === 44) {
      if (digits === 0 || n === into.length) return false;
      into[n++] = value;
      value = 0;
      digits = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return false;
    value = value * 10 + d;
    digits++;
  }
  return n === count * 3;
}

/**
 * Members of a region in memory, by ID number, as parallel arrays sized once from the region's
 * count (no object per member until one is asked for); members sharing an ID number (one
 * active, others removed) are chained. ID numbers are found through an open-addressing table of
 * integers (`toIdKey`), not a Map of a million strings: the lookups cost half as much and the
 * strings need not be kept (docs/benchmarks.md, session 7). Names are kept as the texts they
 * came in (a page's names joined, or one name) with where each starts: a slice is made only for
 * a member asked for, not a string for each of millions of members.
 */
export class MemberIndex {
  /**
   * The open-addressing table, three integers a slot: the place of the latest member of an ID
   * number + 1 (0: empty), and the number's `high` and `low`. A probe reads one slot's three
   * together, not a member's arrays elsewhere in memory. Built when first asked (`build`).
   */
  private table = new Int32Array(0);
  /** Members in `table` so far (those after are added to it when it is next asked). */
  private built = 0;
  /** ID numbers in `table`. */
  private keyed = 0;
  /** Per member: its ID number's `high` and `low` (`toIdKey`); high -1 for one in `others`. */
  private highs: Int32Array;
  private lows: Int32Array;
  /** ID numbers not in the canonical form, by text. */
  private readonly others = new Map<string, number>();
  private next: Int32Array;
  private ids: Float64Array;
  private households: Float64Array;
  private active: Uint8Array;
  /** The texts names are in, and per member: which text, where its name starts in it. */
  private readonly nameTexts: string[] = [];
  private nameText: Int32Array;
  private nameStart: Int32Array;
  private readonly villages: string[] = [];
  private readonly interned = new Map<string, string>();
  private length = 0;

  /** `capacity`: the members expected (the arrays grow if more come). */
  constructor(capacity: number) {
    const n = Math.max(16, capacity);
    this.next = new Int32Array(n);
    this.ids = new Float64Array(n);
    this.households = new Float64Array(n);
    this.active = new Uint8Array(n);
    this.nameText = new Int32Array(n);
    this.nameStart = new Int32Array(n);
    this.highs = new Int32Array(n);
    this.lows = new Int32Array(n);
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
    this.nameTexts.push(name);
    this.put(idNumber, 0, idNumber.length, id, householdId, active, this.intern(village));
    this.nameText[this.length - 1] = this.nameTexts.length - 1;
    this.nameStart[this.length - 1] = 0;
  }

  /**
   * Adds a page of `count` members as one text per column (what `group_concat` gives): the
   * numbers (member id, household id, 1/0 active, comma-separated), and the ID numbers, names
   * and villages, each joined by PAGE_SEPARATOR. False, with nothing added, when a column does
   * not hold `count` values (a value containing the separator, a null): the caller reads that
   * page row by row instead.
   */
  addPage(
    count: number,
    numbers: string | null,
    idNumbers: string | null,
    names: string | null,
    villages: string | null,
  ) {
    if (count === 0) return true;
    // A column of nulls only (group_concat skips nulls) is no text at all.
    if (numbers === null || idNumbers === null || names === null || villages === null) return false;
    if (ends.length < count * 3) ends = new Int32Array(count * 3);
    if (numbersRead.length < count * 3) numbersRead = new Float64Array(count * 3);
    const values = numbersRead;
    const idEnds = ends.subarray(0, count);
    const nameEnds = ends.subarray(count, count * 2);
    const villageEnds = ends.subarray(count * 2, count * 3);
    if (
      !readNumbers(numbers, count, values) ||
      !splitPage(idNumbers, count, idEnds) ||
      !splitPage(names, count, nameEnds) ||
      !splitPage(villages, count, villageEnds)
    )
      return false;
    const text = this.nameTexts.push(names) - 1;
    let village = "";
    for (let i = 0; i < count; i++) {
      const idFrom = i === 0 ? 0 : idEnds[i - 1]! + 1;
      const villageFrom = i === 0 ? 0 : villageEnds[i - 1]! + 1;
      // Members come by id, a household's together: the village is most often the last one's.
      const villageLength = villageEnds[i]! - villageFrom;
      if (villageLength !== village.length || !villages.startsWith(village, villageFrom))
        village = this.intern(villages.slice(villageFrom, villageEnds[i]));
      this.put(
        idNumbers,
        idFrom,
        idEnds[i]!,
        values[i * 3]!,
        values[i * 3 + 1]!,
        values[i * 3 + 2]!,
        village,
      );
      this.nameText[this.length - 1] = text;
      this.nameStart[this.length - 1] = i === 0 ? 0 : nameEnds[i - 1]! + 1;
    }
    return true;
  }

  private intern(village: string): string {
    let v = this.interned.get(village);
    if (v === undefined) {
      v = village;
      this.interned.set(village, village);
    }
    return v;
  }

  /** Adds a member whose ID number is `idText` from `idStart` to `idEnd`; its name is set by the caller. */
  private put(
    idText: string,
    idStart: number,
    idEnd: number,
    id: number,
    householdId: number,
    active: number,
    village: string,
  ): void {
    const at = this.length++;
    if (at === this.ids.length) {
      this.next = grown(this.next, new Int32Array(at * 2));
      this.ids = grown(this.ids, new Float64Array(at * 2));
      this.households = grown(this.households, new Float64Array(at * 2));
      this.active = grown(this.active, new Uint8Array(at * 2));
      this.nameText = grown(this.nameText, new Int32Array(at * 2));
      this.nameStart = grown(this.nameStart, new Int32Array(at * 2));
      this.highs = grown(this.highs, new Int32Array(at * 2));
      this.lows = grown(this.lows, new Int32Array(at * 2));
    }
    this.ids[at] = id;
    this.households[at] = householdId;
    this.active[at] = active ? 1 : 0;
    this.villages.push(village);
    if (!toIdKey(idText, idStart, idEnd)) {
      const idNumber =
        idStart === 0 && idEnd === idText.length ? idText : idText.slice(idStart, idEnd);
      this.next[at] = this.others.get(idNumber) ?? -1;
      this.others.set(idNumber, at);
      this.highs[at] = -1;
      return;
    }
    this.highs[at] = idKey.high;
    this.lows[at] = idKey.low;
  }

  /**
   * Puts the members added since the last call into the table. A table of a million entries
   * is far larger than the processor's caches, and each member put in the order it came
   * (by id: random in the table) costs a miss of memory, about 0.25 µs. So a large number of
   * members is first ordered by the part of the table their slot is in (a counting sort), and
   * the table then filled part after part.
   */
  private build() {
    if (this.built === this.length && this.table.length > 0) return;
    let keyed = this.keyed;
    for (let at = this.built; at < this.length; at++) if (this.highs[at]! >= 0) keyed++;
    let from = this.built;
    if (keyed * 6 >= this.table.length) {
      // Too full for the new ones: a new table, twice as large as they all need, for all.
      this.table = new Int32Array(2 ** Math.ceil(Math.log2(Math.max(8, keyed * 2))) * 3);
      this.keyed = 0;
      from = 0;
    }
    const mask = this.table.length / 3 - 1;
    const homes = new Int32Array(this.length - from);
    for (let at = from; at < this.length; at++)
      if (this.highs[at]! >= 0) homes[at - from] = slotOf(this.highs[at]!, this.lows[at]!, mask);
    const shift = Math.max(0, Math.log2(mask + 1) - 16);
    const starts = new Int32Array(((mask + 1) >> shift) + 1);
    for (let at = from; at < this.length; at++)
      if (this.highs[at]! >= 0) starts[(homes[at - from]! >> shift) + 1]!++;
    for (let b = 1; b < starts.length; b++) starts[b]! += starts[b - 1]!;
    // Each member's place, home slot and number, in order of the part of the table (and, within
    // a part, of place: a later member of an ID number becomes its head), read in that order.
    const order = new Int32Array(starts[starts.length - 1]! * 4);
    for (let at = from; at < this.length; at++) {
      const high = this.highs[at]!;
      if (high < 0) continue;
      const home = homes[at - from]!;
      const o = starts[home >> shift]!++ * 4;
      order[o] = at;
      order[o + 1] = home;
      order[o + 2] = high;
      order[o + 3] = this.lows[at]!;
    }
    for (let o = 0; o < order.length; o += 4)
      this.insert(order[o]!, order[o + 1]!, order[o + 2]!, order[o + 3]!, mask);
    this.built = this.length;
  }

  private insert(at: number, home: number, high: number, low: number, mask: number) {
    const table = this.table;
    for (let slot = home; ; slot = (slot + 1) & mask) {
      const i = slot * 3;
      if (table[i] === 0) {
        table[i] = at + 1;
        table[i + 1] = high;
        table[i + 2] = low;
        this.next[at] = -1;
        this.keyed++;
        return;
      }
      if (table[i + 1] === high && table[i + 2] === low) {
        this.next[at] = table[i]! - 1;
        table[i] = at + 1;
        return;
      }
    }
  }

  /** The latest member of an ID number, -1 for none. */
  private head(idNumber: string): number {
    if (!toIdKey(idNumber)) return this.others.get(idNumber) ?? -1;
    this.build();
    return this.table[this.slotFor(idKey.high, idKey.low)]! - 1;
  }

  /**
   * Where in `table` the slot of the ID number (high, low) starts: its own, or the empty one
   * where it would go.
   */
  private slotFor(high: number, low: number): number {
    const table = this.table;
    const mask = table.length / 3 - 1;
    for (let slot = slotOf(high, low, mask); ; slot = (slot + 1) & mask) {
      const at = slot * 3;
      if (table[at] === 0 || (table[at + 1] === high && table[at + 2] === low)) return at;
    }
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
    const text = this.nameText[at]!;
    const names = this.nameTexts[text]!;
    // The name ends where the next member's of the same text begins, or with the text.
    const end =
      at + 1 < this.length && this.nameText[at + 1] === text
        ? this.nameStart[at + 1]! - 1
        : names.length;
    const start = this.nameStart[at]!;
    return start === 0 && end === names.length ? names : names.slice(start, end);
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
        name: this.nameAt(at),
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
    await source.scan(range, index, members);
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
/**
 * A region with at least an eighth of the database's members is read by going through all
 * members in id order and keeping its own (SQLite does that at about 0.12 µs a member), not
 * through its villages' households (each member found by its household: about 0.8 µs).
 */
const SEQUENTIAL_SHARE = 8;

/**
 * A page of members after a member id, in the region if a range is bound, as one row: how many,
 * the last id, and each column as one text (`MemberIndex.addPage`). SQLite joins the values
 * itself, so the scan does not make a row array and five values for each of millions of
 * members; every column is aggregated in one pass over the same rows, so their values line up.
 * The members are read in id order from the id after, each household found by its id: `cross
 * join` keeps SQLite to that order. (Left to choose, for a range it goes through the villages'
 * households and sorts the whole region for every page: 70 s instead of 0.5 s for 3,250,000.)
 */
export const pageSql = (ranged: boolean, size: number) =>
  `select count(*), max(id), group_concat(id || ',' || household_id || ',' || active, ','), group_concat(id_number, char(31)), group_concat(name, char(31)), group_concat(village_code, char(31)) from (select m.id, m.household_id, m.status = 'active' as active, m.id_number, m.name, h.village_code ${pageOf(ranged)} order by m.id limit ${size})`;
/** The same page's members as rows (`ScannedMember`), for a page whose texts do not split. */
export const pageRowsSql = (ranged: boolean, size: number) =>
  `select m.id_number, m.id, m.household_id, m.name, case when m.status = 'active' then 1 else 0 end, h.village_code ${pageOf(ranged)} order by m.id limit ${size}`;
const pageOf = (ranged: boolean) =>
  `from members m cross join households h on h.id = m.household_id where m.id_number is not null and m.id > ?${ranged ? " and h.village_code >= ? and h.village_code < ?" : ""}`;
type ScannedPage = [
  number,
  number | null,
  ...[string | null, string | null, string | null, string | null],
];

/** SQLite's lookups for a load of `feedType` by a user of the village range `range`. */
export function sqliteLookups(
  statement: (text: string) => BetterSqlite3.Statement,
  feedType: string,
  range: readonly [string, string] | null,
  { scanPage = SCAN_PAGE, sequentialShare = SEQUENTIAL_SHARE } = {},
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
    async scan(range, into, inRange) {
      const take = (rows: Iterable<ScannedMember>) => {
        for (const r of rows) into.add(r[0], r[1], r[2], r[3], r[4], r[5]);
      };
      const everyone = range
        ? Number(
            statement(countSql(null, () => "?"))
              .pluck()
              .get(),
          )
        : inRange;
      if (range && inRange * sequentialShare < everyone) {
        // A small part of the database: through its villages' households (households_village).
        // Paged by member id, each page would be sorted again.
        take(
          statement(scanSql(range, () => "?"))
            .raw()
            .iterate(...args) as Iterable<ScannedMember>,
        );
        return;
      }
      // Pages in member id order (the table's own order), each taken in one call. A page whose
      // texts do not split (a value holding the separator) is read again row by row.
      const page = statement(pageSql(range !== null, scanPage)).raw();
      const rows = statement(pageRowsSql(range !== null, scanPage)).raw();
      for (let after = 0; ; ) {
        const [count, last, numbers, idNumbers, names, villages] = page.get(
          after,
          ...args,
        ) as ScannedPage;
        if (!into.addPage(count, numbers, idNumbers, names, villages))
          take(rows.all(after, ...args) as ScannedMember[]);
        if (count < scanPage || last === null) return;
        after = last;
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
