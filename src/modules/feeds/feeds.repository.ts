/** Kysely queries of the feed store: loads, unmatched rows, facts, and the members they match. */
import type { Kysely } from "kysely";
import type { DB, FactTable, FeedLoadTable, FeedRowTable } from "../../db/schema.ts";
import { scopeRange } from "../auth/index.ts";

type New<T> = { [K in keyof T as K extends "id" ? never : K]: T[K] };

/** A registry member an ID number may name (active or removed), with its household's village. */
export interface Holder {
  id: number;
  household_id: number;
  id_number: string;
  name: string;
  status: string;
  village_code: string;
}

export interface CurrentFact {
  id: number;
  row_key: string;
  member_id: number;
  vals: string;
  effective_from: string;
  effective_to: string | null;
  village_code: string;
}

/** Rows per statement: PostgreSQL allows 65,535 parameters, SQLite 32,766. */
const CHUNK = 500;
/** Fact rows per INSERT when no ids come back: 18 parameters each, under SQLite's 32,766. */
const WIDE_CHUNK = 1500;

/** A load's counts before any row is read: its row is written first, its counts at its end. */
export const NO_COUNTS = {
  rows: 0,
  matched: 0,
  unmatched: 0,
  ambiguous: 0,
  created: 0,
  unchanged: 0,
  superseded: 0,
} as const;

export function createFeedsRepository(db: Kysely<DB>) {
  return {
    async holdersOf(idNumbers: readonly string[]): Promise<Holder[]> {
      if (idNumbers.length === 0) return [];
      return db
        .selectFrom("members as m")
        .innerJoin("households as h", "h.id", "m.household_id")
        .select(["m.id", "m.household_id", "m.id_number", "m.name", "m.status", "h.village_code"])
        .where("m.id_number", "in", [...idNumbers])
        .execute();
    },

    async currentFacts(feedType: string, keys: readonly string[]): Promise<CurrentFact[]> {
      if (keys.length === 0) return [];
      return db
        .selectFrom("facts")
        .select([
          "id",
          "row_key",
          "member_id",
          "vals",
          "effective_from",
          "effective_to",
          "village_code",
        ])
        .where("feed_type", "=", feedType)
        .where("row_key", "in", [...keys])
        .where("superseded_at", "is", null)
        .execute();
    },

    /** Current facts of the given periods inside the range [low, high) of village codes. */
    async currentOfPeriods(
      feedType: string,
      periods: readonly string[],
      range: [string, string] | null,
    ): Promise<{ id: number; load_id: number }[]> {
      if (periods.length === 0) return [];
      let q = db
        .selectFrom("facts")
        .select(["id", "load_id"])
        .where("feed_type", "=", feedType)
        .where("period", "in", [...periods])
        .where("superseded_at", "is", null);
      if (range) q = q.where("village_code", ">=", range[0]).where("village_code", "<", range[1]);
      return q.execute();
    },

    async insertLoad(
      load: Omit<New<FeedLoadTable>, "withdrawn_at" | "withdrawn_by" | "withdraw_reason">,
    ): Promise<number> {
      const row = await db
        .insertInto("feed_loads")
        .values(load)
        .returning("id")
        .executeTakeFirstOrThrow();
      return Number(row.id);
    },

    async updateLoadCounts(
      id: number,
      counts: Pick<FeedLoadTable, "created" | "unchanged" | "superseded">,
    ): Promise<void> {
      await db.updateTable("feed_loads").set(counts).where("id", "=", id).execute();
    },

    async insertRows(rows: New<FeedRowTable>[]): Promise<void> {
      for (let i = 0; i < rows.length; i += CHUNK)
        await db
          .insertInto("feed_rows")
          .values(rows.slice(i, i + CHUNK))
          .execute();
    },

    /** Inserts facts and returns their ids in order. */
    async insertFacts(facts: New<FactTable>[]): Promise<number[]> {
      const ids: number[] = [];
      for (let i = 0; i < facts.length; i += CHUNK) {
        const rows = await db
          .insertInto("facts")
          .values(facts.slice(i, i + CHUNK))
          .returning("id")
          .execute();
        for (const r of rows) ids.push(Number(r.id));
      }
      return ids;
    },

    /** Inserts facts without reading their ids back (the common case: nothing superseded). */
    async insertFactsQuietly(facts: New<FactTable>[]): Promise<void> {
      for (let i = 0; i < facts.length; i += WIDE_CHUNK)
        await db
          .insertInto("facts")
          .values(facts.slice(i, i + WIDE_CHUNK))
          .execute();
    },

    /** Ends facts: replaced by another fact (`by`) or by a load that no longer lists them. */
    async supersede(
      ends: readonly { id: number; by: number | null }[],
      load: number,
      at: string,
    ): Promise<void> {
      // Facts are ended first and replacements inserted after, so the unique current key holds.
      for (const e of ends)
        await db
          .updateTable("facts")
          .set({ superseded_at: at, superseded_by: e.by, superseded_load: load })
          .where("id", "=", e.id)
          .execute();
    },

    async setReplacement(pairs: readonly { old: number; by: number }[]): Promise<void> {
      for (const p of pairs)
        await db
          .updateTable("facts")
          .set({ superseded_by: p.by })
          .where("id", "=", p.old)
          .execute();
    },

    load(id: number) {
      return db.selectFrom("feed_loads").selectAll().where("id", "=", id).executeTakeFirst();
    },

    /**
     * The latest loads a user of `regionCode` sees (null: everywhere): those of its region and
     * below, and those of the regions above it (a county's load concerns its villages too);
     * only of `feedTypes` when given.
     */
    loads(filter: {
      regionCode: string | null;
      feedTypes: readonly string[] | null;
      limit: number;
    }) {
      let q = db.selectFrom("feed_loads").selectAll().orderBy("id", "desc").limit(filter.limit);
      const { regionCode, feedTypes } = filter;
      if (feedTypes) {
        if (feedTypes.length === 0) return Promise.resolve([]);
        q = q.where("feed_type", "in", [...feedTypes]);
      }
      if (regionCode !== null) {
        const [from, to] = scopeRange(regionCode);
        const above = Array.from({ length: regionCode.length }, (_, n) => regionCode.slice(0, n));
        q = q.where((eb) =>
          eb.or([
            eb.and([eb("region_code", ">=", from), eb("region_code", "<", to)]),
            eb("region_code", "in", above),
          ]),
        );
      }
      return q.execute();
    },

    rowsOf(loadId: number) {
      return db
        .selectFrom("feed_rows")
        .selectAll()
        .where("load_id", "=", loadId)
        .orderBy("row_number")
        .execute();
    },

    /** Facts a load created, inside a village range. */
    factsOfLoad(loadId: number, range: [string, string] | null) {
      let q = db
        .selectFrom("facts as f")
        .innerJoin("members as m", "m.id", "f.member_id")
        .innerJoin("households as h", "h.id", "f.household_id")
        .select([
          "f.id",
          "f.feed_type",
          "f.row_number",
          "f.id_number",
          "f.village_code",
          "f.household_id",
          "f.effective_from",
          "f.effective_to",
          "f.vals",
          "f.superseded_at",
          "m.name as member_name",
          "h.household_number",
        ])
        .where("f.load_id", "=", loadId)
        .orderBy("f.row_number");
      if (range)
        q = q.where("f.village_code", ">=", range[0]).where("f.village_code", "<", range[1]);
      return q.execute();
    },

    /** A household's facts, current first, newest first. */
    factsOfHousehold(householdId: number) {
      return db
        .selectFrom("facts as f")
        .innerJoin("members as m", "m.id", "f.member_id")
        .innerJoin("feed_loads as l", "l.id", "f.load_id")
        .select([
          "f.id",
          "f.feed_type",
          "f.member_id",
          "m.name as member_name",
          "f.effective_from",
          "f.effective_to",
          "f.period",
          "f.vals",
          "l.file_name",
          "l.file_hash",
          "f.row_number",
          "f.load_id",
          "l.loaded_at as created_at",
          "f.superseded_at",
          "f.superseded_by",
          "l.withdrawn_at",
        ])
        .where("f.household_id", "=", householdId)
        .orderBy("f.effective_from", "desc")
        .orderBy("f.id", "desc")
        .execute();
    },
  };
}
export type FeedsRepository = ReturnType<typeof createFeedsRepository>;
