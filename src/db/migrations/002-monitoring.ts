/**
 * 002 — monitoring: signals raised by rules, sweep history, verification tasks and their
 * history, and policy versions edited in the web (drafts and published overrides).
 */
import { type Kysely, sql } from "kysely";
import type { Engine } from "../connect.ts";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists
type AnyDb = Kysely<any>;

export function up002(engine: Engine) {
  const idType = engine === "postgres" ? "bigserial" : "integer";
  const refType = engine === "postgres" ? "bigint" : "integer";
  return async (db: AnyDb) => {
    await db.schema
      .createTable("signals")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("household_id", refType, (c) => c.notNull().references("households.id"))
      .addColumn("village_code", "text", (c) => c.notNull())
      .addColumn("rule_id", "text", (c) => c.notNull())
      .addColumn("code", "text")
      .addColumn("category", "text", (c) => c.notNull())
      .addColumn("severity", "text", (c) => c.notNull())
      .addColumn("verify", "smallint", (c) => c.notNull().defaultTo(0))
      .addColumn("policy_id", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("evidence", "text")
      .addColumn("opened_at", "text", (c) => c.notNull())
      .addColumn("deadline", "text")
      .addColumn("resolved_at", "text")
      .addColumn("resolution", "text")
      .execute();
    await db.schema
      .createIndex("signals_open_unique")
      .unique()
      .on("signals")
      .columns(["household_id", "rule_id"])
      .where(sql.ref("status"), "=", "open")
      .execute();
    await db.schema
      .createIndex("signals_village")
      .on("signals")
      .columns(["village_code", "status"])
      .execute();
    await db.schema
      .createIndex("signals_rule")
      .on("signals")
      .columns(["rule_id", "status"])
      .execute();
    await db.schema.createIndex("signals_household").on("signals").column("household_id").execute();

    await db.schema
      .createTable("sweeps")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("started_at", "text", (c) => c.notNull())
      .addColumn("finished_at", "text")
      .addColumn("region_code", "text")
      .addColumn("policy_ids", "text", (c) => c.notNull())
      .addColumn("households", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("opened", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("resolved", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("open_total", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("by_rule", "text")
      .addColumn("ms", "integer")
      .addColumn("actor_name", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("verifications")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("signal_id", refType, (c) => c.notNull().references("signals.id"))
      .addColumn("household_id", refType, (c) => c.notNull().references("households.id"))
      .addColumn("village_code", "text", (c) => c.notNull())
      .addColumn("rule_id", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("assigned_region", "text")
      .addColumn("deadline", "text", (c) => c.notNull())
      .addColumn("outcome", "text")
      .addColumn("outcome_reason", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addColumn("version", "integer", (c) => c.notNull().defaultTo(1))
      .execute();
    await db.schema
      .createIndex("verifications_signal")
      .unique()
      .on("verifications")
      .column("signal_id")
      .execute();
    await db.schema
      .createIndex("verifications_village")
      .on("verifications")
      .columns(["village_code", "status"])
      .execute();

    await db.schema
      .createTable("verification_events")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("verification_id", refType, (c) => c.notNull().references("verifications.id"))
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("actor_name", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("data", "text")
      .execute();
    await db.schema
      .createIndex("verification_events_task")
      .on("verification_events")
      .column("verification_id")
      .execute();

    await db.schema
      .createTable("policy_versions")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("policy_id", "text", (c) => c.notNull())
      .addColumn("region_code", "text")
      .addColumn("year", "integer", (c) => c.notNull())
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("content", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("published_at", "text")
      .addColumn("published_by", "text")
      .execute();
    await db.schema
      .createIndex("policy_versions_unique")
      .unique()
      .on("policy_versions")
      .columns(["policy_id", "version"])
      .execute();
  };
}
