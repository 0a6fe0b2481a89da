/**
 * 003 — cases: identification, risk elimination and the other registry procedures as tracked
 * cases with a log of their steps; public notice batches and their entries (what was posted,
 * as posted); objections with receipt numbers; attachment metadata (files live in a file store).
 */
import type { Kysely } from "kysely";
import type { Engine } from "../connect.ts";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists
type AnyDb = Kysely<any>;

export function up003(engine: Engine) {
  const idType = engine === "postgres" ? "bigserial" : "integer";
  const refType = engine === "postgres" ? "bigint" : "integer";
  return async (db: AnyDb) => {
    await db.schema
      .createTable("cases")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("number", "text")
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("step", "integer", (c) => c.notNull())
      .addColumn("current_step", "text", (c) => c.notNull())
      .addColumn("household_id", refType, (c) => c.notNull().references("households.id"))
      .addColumn("village_code", "text", (c) => c.notNull())
      .addColumn("category", "text")
      .addColumn("risk_factors", "text")
      .addColumn("details", "text")
      .addColumn("lead_source", "text", (c) => c.notNull())
      .addColumn("lead_date", "text", (c) => c.notNull())
      .addColumn("deadline", "text")
      .addColumn("green_channel", "smallint", (c) => c.notNull().defaultTo(0))
      .addColumn("assistance_started_on", "text")
      .addColumn("verification_id", refType)
      .addColumn("policy_id", "text", (c) => c.notNull())
      .addColumn("workflow", "text", (c) => c.notNull())
      .addColumn("decided_on", "text")
      .addColumn("completed_at", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addColumn("version", "integer", (c) => c.notNull().defaultTo(1))
      .execute();
    await db.schema.createIndex("cases_number").unique().on("cases").column("number").execute();
    await db.schema
      .createIndex("cases_village")
      .on("cases")
      .columns(["village_code", "status"])
      .execute();
    await db.schema
      .createIndex("cases_current_step")
      .on("cases")
      .columns(["current_step", "village_code"])
      .execute();
    await db.schema.createIndex("cases_household").on("cases").column("household_id").execute();

    await db.schema
      .createTable("case_steps")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("case_id", refType, (c) => c.notNull().references("cases.id"))
      .addColumn("step", "integer", (c) => c.notNull())
      .addColumn("step_id", "text", (c) => c.notNull())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("actor_id", refType)
      .addColumn("actor_name", "text", (c) => c.notNull())
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("comment", "text")
      .addColumn("data", "text")
      .execute();
    await db.schema.createIndex("case_steps_case").on("case_steps").column("case_id").execute();

    await db.schema
      .createTable("notice_batches")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("village_code", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("case_type", "text", (c) => c.notNull())
      .addColumn("title", "text", (c) => c.notNull())
      .addColumn("starts_on", "text", (c) => c.notNull())
      .addColumn("ends_on", "text", (c) => c.notNull())
      .addColumn("deliberation_date", "text")
      .addColumn("issuer", "text", (c) => c.notNull())
      .addColumn("village_phone", "text")
      .addColumn("town_phone", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("notice_batches_village")
      .on("notice_batches")
      .columns(["village_code", "ends_on"])
      .execute();

    await db.schema
      .createTable("notice_entries")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("batch_id", refType, (c) => c.notNull().references("notice_batches.id"))
      .addColumn("case_id", refType, (c) => c.notNull().references("cases.id"))
      .addColumn("seq", "integer", (c) => c.notNull())
      .addColumn("group_name", "text")
      .addColumn("head_name", "text", (c) => c.notNull())
      .addColumn("size", "integer", (c) => c.notNull())
      .addColumn("change", "text", (c) => c.notNull())
      .addColumn("risks", "text")
      .execute();
    await db.schema
      .createIndex("notice_entries_batch")
      .on("notice_entries")
      .column("batch_id")
      .execute();
    await db.schema
      .createIndex("notice_entries_case")
      .on("notice_entries")
      .column("case_id")
      .execute();

    await db.schema
      .createTable("objections")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("receipt", "text", (c) => c.notNull())
      .addColumn("batch_id", refType, (c) => c.notNull().references("notice_batches.id"))
      .addColumn("entry_id", refType, (c) => c.references("notice_entries.id"))
      .addColumn("case_id", refType, (c) => c.references("cases.id"))
      .addColumn("village_code", "text", (c) => c.notNull())
      .addColumn("objector", "text")
      .addColumn("contact", "text")
      .addColumn("content", "text", (c) => c.notNull())
      .addColumn("received_at", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("outcome", "text")
      .addColumn("resolution", "text")
      .addColumn("resolved_at", "text")
      .addColumn("resolved_by", "text")
      .execute();
    await db.schema
      .createIndex("objections_receipt")
      .unique()
      .on("objections")
      .column("receipt")
      .execute();
    await db.schema.createIndex("objections_case").on("objections").column("case_id").execute();

    await db.schema
      .createTable("attachments")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("case_id", refType, (c) => c.notNull().references("cases.id"))
      .addColumn("step", "integer")
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("mime", "text", (c) => c.notNull())
      .addColumn("size", "integer", (c) => c.notNull())
      .addColumn("sha256", "text", (c) => c.notNull())
      .addColumn("storage_key", "text", (c) => c.notNull())
      .addColumn("uploaded_at", "text", (c) => c.notNull())
      .addColumn("uploaded_by", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("attachments_case").on("attachments").column("case_id").execute();
  };
}
