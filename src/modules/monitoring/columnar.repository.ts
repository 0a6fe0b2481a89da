/**
 * Reads for the columnar snapshot (columnar.ts): households of a region range in keyset order
 * (village_code, id) — the order of the `households_village` index — chunk by chunk, with the
 * active members of each chunk, and only the columns the compiled rules read.
 */
import { type Kysely, sql } from "kysely";
import { HOUSEHOLD_FIELDS, MEMBER_FIELDS } from "../../core/registry-fields.ts";
import { derivedColumnSql } from "../../core/rules/context.ts";
import type { DB } from "../../db/schema.ts";

/** Columns a snapshot may read besides the field table's. */
const HOUSEHOLD_COLUMNS = new Set<string>([
  ...HOUSEHOLD_FIELDS.map((f) => f.column),
  "size",
  "head_name",
]);
const MEMBER_COLUMNS = new Set<string>(MEMBER_FIELDS.map((f) => f.column));

export type Row = Record<string, unknown>;
/** Where a chunk starts: after this (village_code, id). */
export type Keyset = readonly [string, number];

/**
 * What a chunk reads: plain columns (and the derived `#col`, its length in characters), and
 * Kleene values — flags (`col = 1`: 2 true, 0 false, 1 NULL) and the derived `?col` (2 when
 * col is not NULL, else 0) — packed PACK to a number as Σ value·4^k, which spares the driver
 * building one property per value (four times faster on members).
 */
export interface ColumnPlan {
  plain: readonly string[];
  packed: readonly (readonly string[])[];
}
export const PACK = 26;
export const packedName = (group: number) => `@bits${group}`;

/** The select list of a plan. Names are checked against the field table: only known columns reach the SQL. */
function selectList(alias: "h" | "m", plan: ColumnPlan, known: Set<string>) {
  const ref = (name: string) => {
    const column = name.startsWith("?") || name.startsWith("#") ? name.slice(1) : name;
    if (!known.has(column)) throw new Error(`unknown column ${name}`);
    return sql.ref(`${alias}.${column}`);
  };
  const plain = plan.plain.map((name) => {
    // Assistance facts and income records (core/rules/context.ts) are subqueries over the
    // household row.
    const fact = alias === "h" ? derivedColumnSql(name) : undefined;
    if (fact) return sql<number>`${sql.raw(fact(alias))}`.as(name);
    return name.startsWith("#") ? sql<number>`length(${ref(name)})`.as(name) : ref(name).as(name);
  });
  const packed = plan.packed.map((group, g) => {
    if (group.length > PACK) throw new Error(`at most ${PACK} values pack into a number`);
    const terms = group.map((name, k) => {
      const value = name.startsWith("?")
        ? sql`CASE WHEN ${ref(name)} IS NULL THEN 0 ELSE 2 END`
        : sql`CASE WHEN ${ref(name)} = 1 THEN 2 WHEN ${ref(name)} IS NULL THEN 1 ELSE 0 END`;
      // bigint: in PostgreSQL an int4 product would overflow from 4^15 on.
      return sql`CAST(${value} AS bigint) * ${sql.lit(4 ** k)}`;
    });
    return sql<number>`(${sql.join(terms, sql` + `)})`.as(packedName(g));
  });
  return [...plain, ...packed];
}

export function createColumnarRepository(db: Kysely<DB>) {
  const hcols = (plan: ColumnPlan) => selectList("h", plan, HOUSEHOLD_COLUMNS);
  const mcols = (plan: ColumnPlan) => selectList("m", plan, MEMBER_COLUMNS);

  return {
    /** The newest feed load (facts change only through loads), or null. */
    async latestFeedLoad(): Promise<number | null> {
      const r = await db
        .selectFrom("feed_loads")
        .select((eb) => eb.fn.max("id").as("id"))
        .executeTakeFirst();
      return r?.id === null || r?.id === undefined ? null : Number(r.id);
    },

    /** The newest run that wrote income records (they change only through runs), or null. */
    async latestIncomeClosing(): Promise<number | null> {
      const r = await db
        .selectFrom("income_closings")
        .select((eb) => eb.fn.max("id").as("id"))
        .executeTakeFirst();
      return r?.id === null || r?.id === undefined ? null : Number(r.id);
    },

    /** Current facts of a feed for the households of a range, by household. */
    currentFacts(range: readonly [string, string], feedType: string) {
      return db
        .selectFrom("facts as f")
        .innerJoin("households as h", "h.id", "f.household_id")
        .innerJoin("members as m", "m.id", "f.member_id")
        .select([
          "f.household_id",
          "f.effective_from",
          "f.effective_to",
          "f.vals",
          "m.status as member_status",
        ])
        .where("f.feed_type", "=", feedType)
        .where("f.superseded_at", "is", null)
        .where("h.village_code", ">=", range[0])
        .where("h.village_code", "<", range[1])
        .orderBy("f.household_id")
        .orderBy("f.id")
        .execute();
    },

    async countHouseholds(range: readonly [string, string]): Promise<number> {
      const r = await db
        .selectFrom("households")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("village_code", ">=", range[0])
        .where("village_code", "<", range[1])
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    async countMembers(range: readonly [string, string]): Promise<number> {
      const r = await db
        .selectFrom("members as m")
        .innerJoin("households as h", "h.id", "m.household_id")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("h.village_code", ">=", range[0])
        .where("h.village_code", "<", range[1])
        .where("m.status", "=", "active")
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    /** Up to `limit` households after `after`, in (village_code, id) order. */
    householdChunk(
      range: readonly [string, string],
      after: Keyset | null,
      columns: ColumnPlan,
      limit: number,
    ): Promise<Row[]> {
      let q = db
        .selectFrom("households as h")
        .select(["h.id", "h.village_code", ...hcols(columns)])
        .where("h.village_code", "<", range[1]);
      q = after
        ? q.where((eb) =>
            eb(eb.refTuple("h.village_code", "h.id"), ">", eb.tuple(after[0], after[1])),
          )
        : q.where("h.village_code", ">=", range[0]);
      return q.orderBy("h.village_code").orderBy("h.id").limit(limit).execute();
    },

    /**
     * Active members of the households in (after, upTo] of the keyset order, in that order
     * and by member id within a household.
     */
    memberChunk(
      range: readonly [string, string],
      after: Keyset | null,
      upTo: Keyset,
      columns: ColumnPlan,
    ): Promise<Row[]> {
      let q = db
        .selectFrom("members as m")
        .innerJoin("households as h", "h.id", "m.household_id")
        .select(["m.household_id", ...mcols(columns)])
        .where("m.status", "=", "active")
        .where((eb) => eb(eb.refTuple("h.village_code", "h.id"), "<=", eb.tuple(upTo[0], upTo[1])));
      q = after
        ? q.where((eb) =>
            eb(eb.refTuple("h.village_code", "h.id"), ">", eb.tuple(after[0], after[1])),
          )
        : q.where("h.village_code", ">=", range[0]);
      return q.orderBy("h.village_code").orderBy("h.id").orderBy("m.id").execute();
    },

    /** Households by id that lie in the range (the others moved away or never existed). */
    householdsByIds(
      range: readonly [string, string],
      ids: readonly number[],
      columns: ColumnPlan,
    ): Promise<Row[]> {
      if (ids.length === 0) return Promise.resolve([]);
      return db
        .selectFrom("households as h")
        .select(["h.id", "h.village_code", ...hcols(columns)])
        .where("h.id", "in", [...ids])
        .where("h.village_code", ">=", range[0])
        .where("h.village_code", "<", range[1])
        .orderBy("h.village_code")
        .orderBy("h.id")
        .execute();
    },

    /** Active members of households by id, by household then member id. */
    membersOf(ids: readonly number[], columns: ColumnPlan): Promise<Row[]> {
      if (ids.length === 0) return Promise.resolve([]);
      return db
        .selectFrom("members as m")
        .select(["m.household_id", ...mcols(columns)])
        .where("m.household_id", "in", [...ids])
        .where("m.status", "=", "active")
        .orderBy("m.household_id")
        .orderBy("m.id")
        .execute();
    },

    /** Counties (6-digit prefixes) that have households in a range. */
    async counties(range: readonly [string, string]): Promise<string[]> {
      const rows = await db
        .selectFrom("households")
        .select(sql<string>`substr(village_code, 1, 6)`.as("county"))
        .distinct()
        .where("village_code", ">=", range[0])
        .where("village_code", "<", range[1])
        .orderBy("county")
        .execute();
      return rows.map((r) => r.county);
    },

    /** What a preview lists about a household. */
    labels(ids: readonly number[]) {
      if (ids.length === 0) return Promise.resolve([]);
      return db
        .selectFrom("households")
        .select(["id", "household_number", "head_name", "village_code"])
        .where("id", "in", [...ids])
        .execute();
    },

    /** Names of the regions in a range (towns and villages, for counts by region). */
    /** The id of the latest household history event (0 when there is none). */
    async lastEvent(): Promise<number> {
      const r = await db
        .selectFrom("household_events")
        .select((eb) => eb.fn.max("id").as("last"))
        .executeTakeFirst();
      return Number(r?.last ?? 0);
    },

    /**
     * Households with a history event after event `mark`, and the latest event id: every
     * change to the registry, whichever process made it, is such an event.
     */
    async eventsSince(mark: number): Promise<{ ids: number[]; last: number }> {
      const rows = await db
        .selectFrom("household_events")
        .select(["id", "household_id"])
        .where("id", ">", mark)
        .execute();
      let last = mark;
      const ids = new Set<number>();
      for (const r of rows) {
        ids.add(Number(r.household_id));
        if (Number(r.id) > last) last = Number(r.id);
      }
      return { ids: [...ids], last };
    },

    regionNames(range: readonly [string, string]) {
      return db
        .selectFrom("regions")
        .select(["code", "name", "level"])
        .where("code", ">=", range[0])
        .where("code", "<", range[1])
        .execute();
    },
  };
}
export type ColumnarRepository = ReturnType<typeof createColumnarRepository>;
