/**
 * 008 — annual income records (年度收入): a household's per-capita net income and its parts as
 * they stood for one year, so that rules can compare this year's income with last year's
 * (`h.lastYearPerCapitaIncome`). Written by closing a year (年度收入结转: every household's
 * current income recorded as year Y) or, for years the registry history covers, by backfill
 * from the household as it was at the end of Y. `income_closings` logs every such run; its
 * newest id tells in-memory snapshots (monitoring/columnar.ts) that records changed.
 */
import type { Kysely } from "kysely";
import type { Engine } from "../connect.ts";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists
type AnyDb = Kysely<any>;

export function up008(engine: Engine) {
  const idType = engine === "postgres" ? "bigserial" : "integer";
  const refType = engine === "postgres" ? "bigint" : "integer";
  return async (db: AnyDb) => {
    await db.schema
      .createTable("income_closings")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("year", "integer", (c) => c.notNull())
      /** close_year | backfill */
      .addColumn("kind", "text", (c) => c.notNull())
      /** The region closed (its subtree); null for every household. */
      .addColumn("region_code", "text")
      .addColumn("actor_id", refType)
      .addColumn("actor_name", "text", (c) => c.notNull())
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("households", "integer", (c) => c.notNull())
      .addColumn("created", "integer", (c) => c.notNull())
      .addColumn("updated", "integer", (c) => c.notNull())
      .addColumn("unchanged", "integer", (c) => c.notNull())
      .addColumn("skipped", "integer", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("household_incomes")
      .addColumn("household_id", refType, (c) => c.notNull().references("households.id"))
      .addColumn("year", "integer", (c) => c.notNull())
      /** Village when recorded (scope of reads). */
      .addColumn("village_code", "text", (c) => c.notNull())
      // Fen; null: not surveyed. net_income is computed as h.netIncome is (sql.ts).
      .addColumn("wage_income", "bigint")
      .addColumn("business_income", "bigint")
      .addColumn("property_income", "bigint")
      .addColumn("transfer_income", "bigint")
      .addColumn("business_costs", "bigint")
      .addColumn("net_income", "bigint")
      /** Household size (active members) the per-capita figure divides by. */
      .addColumn("size", "integer", (c) => c.notNull())
      /** The per-capita income as reported (填报值), fen. */
      .addColumn("reported_per_capita", "bigint")
      /** close_year | backfill */
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("closing_id", refType, (c) => c.notNull().references("income_closings.id"))
      .addColumn("recorded_at", "text", (c) => c.notNull())
      .addColumn("recorded_by", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("household_incomes_pk", ["household_id", "year"])
      .execute();
    await db.schema
      .createIndex("household_incomes_year")
      .on("household_incomes")
      .columns(["year", "village_code"])
      .execute();
  };
}
