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
 * Members of a region in memory, by ID number, as parallel arrays sized once from the region's
 * count (no object per member until one is asked for); members sharing an ID number (one
 * active, others removed) are chained.
 */
export class MemberIndex {
  private readonly first = new Map<string, number>();
  private next: Int32Array;
  private ids: Float64Array;
  private households: Float64Array;
  private active: Uint8Array;
  private readonly names: string[] = [];
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
  }

  get size(): number {
    return this.length;
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
    this.next[at] = this.first.get(idNumber) ?? -1;
    this.first.set(idNumber, at);
  }

  /**
   * Where the only member of an ID number is, when it is active — the member `matchRow` would
   * take; -1 when the ID number has no member here, or several, or a removed one.
   */
  soleActive(idNumber: string): number {
    const at = this.first.get(idNumber);
    if (at === undefined || this.next[at] !== -1 || this.active[at] === 0) return -1;
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
    for (let at = this.first.get(idNumber) ?? -1; at >= 0; at = this.next[at]!)
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
  let index: MemberIndex | null | undefined;
  const indexFor = async (rowsExpected: number) => {
    if (index === undefined && rowsExpected >= INDEX_MIN_ROWS) {
      const members = await source.count(range);
      if (rowsExpected * INDEX_SHARE >= members) {
        index = new MemberIndex(members);
        await source.scan(range, index);
      } else index = null;
    }
    return index ?? null;
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
export const countSql = (range: readonly [string, string] | null, p: (n: number) => string) =>
  `select count(*) as n from members m join households h on h.id = m.household_id where m.id_number is not null${range ? ` and h.village_code >= ${p(1)} and h.village_code < ${p(2)}` : ""}`;
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

/** SQLite's lookups for a load of `feedType` by a user of the village range `range`. */
export function sqliteLookups(
  statement: (text: string) => BetterSqlite3.Statement,
  feedType: string,
  range: readonly [string, string] | null,
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
      const rows = statement(scanSql(range, () => "?"))
        .raw()
        .iterate(...args) as IterableIterator<[string, number, number, string, number, string]>;
      for (const r of rows) into.add(r[0], r[1], r[2], r[3], r[4], r[5]);
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
