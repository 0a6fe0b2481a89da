/** Annual income records (household_incomes) and the runs that write them (income_closings). */
import type { Insertable, Kysely } from "kysely";
import type { DB, HouseholdIncomeTable } from "../../db/schema.ts";

export type IncomeRecordRow = Insertable<HouseholdIncomeTable>;

/** Rows per insert: 16 columns, under SQLite's 32,766 bound parameters. */
const INSERT_CHUNK = 1000;

export function createIncomeRepository(db: Kysely<DB>) {
  return {
    /** Households of a range after id `after`, in id order, with their current income. */
    householdsAfter(range: readonly [string, string], after: number, limit: number) {
      return db
        .selectFrom("households")
        .select([
          "id",
          "village_code",
          "household_type",
          "size",
          "wage_income",
          "business_income",
          "property_income",
          "transfer_income",
          "business_costs",
          "per_capita_income",
        ])
        .where("village_code", ">=", range[0])
        .where("village_code", "<", range[1])
        .where("id", ">", after)
        .orderBy("id")
        .limit(limit)
        .execute();
    },

    /** The records of a year for some households. */
    recordsOf(year: number, ids: readonly number[]) {
      if (ids.length === 0) return Promise.resolve([]);
      return db
        .selectFrom("household_incomes")
        .selectAll()
        .where("year", "=", year)
        .where("household_id", "in", [...ids])
        .execute();
    },

    /** Events of some households before an instant, by household then version. */
    eventsBefore(ids: readonly number[], before: string) {
      if (ids.length === 0) return Promise.resolve([]);
      return db
        .selectFrom("household_events")
        .select(["household_id", "data"])
        .where("household_id", "in", [...ids])
        .where("at", "<", before)
        .orderBy("household_id")
        .orderBy("version")
        .execute();
    },

    async insertRecords(rows: readonly IncomeRecordRow[]) {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK)
        await db
          .insertInto("household_incomes")
          .values(rows.slice(i, i + INSERT_CHUNK))
          .execute();
    },

    async updateRecord(row: IncomeRecordRow) {
      const { household_id, year, ...rest } = row;
      await db
        .updateTable("household_incomes")
        .set(rest)
        .where("household_id", "=", household_id)
        .where("year", "=", year)
        .execute();
    },

    async insertClosing(row: Insertable<DB["income_closings"]>): Promise<number> {
      const r = await db
        .insertInto("income_closings")
        .values(row)
        .returning("id")
        .executeTakeFirstOrThrow();
      return Number(r.id);
    },

    async finishClosing(
      id: number,
      counts: {
        households: number;
        created: number;
        updated: number;
        unchanged: number;
        skipped: number;
      },
    ) {
      await db.updateTable("income_closings").set(counts).where("id", "=", id).execute();
    },

    /** Runs over regions within a range (all runs when null), newest first. */
    closings(range: readonly [string, string] | null, limit: number) {
      let q = db.selectFrom("income_closings").selectAll().orderBy("id", "desc").limit(limit);
      if (range) q = q.where("region_code", ">=", range[0]).where("region_code", "<", range[1]);
      return q.execute();
    },

    /** A household's records, newest year first. */
    recordsOfHousehold(householdId: number) {
      return db
        .selectFrom("household_incomes")
        .selectAll()
        .where("household_id", "=", householdId)
        .orderBy("year", "desc")
        .execute();
    },
  };
}
export type IncomeRepository = ReturnType<typeof createIncomeRepository>;
