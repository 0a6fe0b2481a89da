/**
 * 001 — the foundation: regions, the household registry with its event history, users,
 * sessions and the audit log. Column lists are frozen here on purpose: later changes to the
 * field table come with migrations of their own.
 */
import { type Kysely, sql } from "kysely";
import type { Engine } from "../connect.ts";

type Kind = "text" | "flag" | "money" | "int" | "decimal" | "date" | "month" | "enum" | "enum_list";
type Columns = ReadonlyArray<readonly [string, Kind]>;

const HOUSEHOLD_COLUMNS: Columns = [
  ["household_number", "text"],
  ["village_code", "text"],
  ["group_name", "text"],
  ["household_type", "enum"],
  ["monitoring_category", "enum"],
  ["risk_factors", "enum_list"],
  ["identified_month", "month"],
  ["risk_eliminated", "flag"],
  ["eliminated_month", "month"],
  ["elimination_method", "enum"],
  ["safety_net", "flag"],
  ["per_capita_income", "money"],
  ["wage_income", "money"],
  ["business_income", "money"],
  ["property_income", "money"],
  ["transfer_income", "money"],
  ["business_costs", "money"],
  ["compliant_expense", "money"],
  ["dangerous_house", "flag"],
  ["housing_grade", "enum"],
  ["house_area", "decimal"],
  ["safe_water", "flag"],
  ["electricity", "flag"],
  ["hardened_road", "flag"],
  ["road_distance", "decimal"],
  ["sanitary_toilet", "flag"],
  ["arable_land", "decimal"],
  ["forest_land", "decimal"],
  ["grain_for_green_land", "decimal"],
  ["orchard_land", "decimal"],
  ["pasture_land", "decimal"],
  ["water_surface", "decimal"],
  ["phone", "text"],
  ["collector_name", "text"],
  ["collector_phone", "text"],
  ["remarks", "text"],
];

const MEMBER_COLUMNS: Columns = [
  ["name", "text"],
  ["id_type", "enum"],
  ["id_number", "text"],
  ["sex", "enum"],
  ["ethnicity", "text"],
  ["birth_date", "date"],
  ["relationship", "text"],
  ["phone", "text"],
  ["education", "text"],
  ["school_status", "text"],
  ["out_of_school", "flag"],
  ["not_enrolled_reason", "text"],
  ["dropout_reason", "text"],
  ["health", "enum"],
  ["labor_skill", "enum"],
  ["work_location", "text"],
  ["public_welfare_job", "text"],
  ["public_welfare_job_months", "int"],
  ["ins_resident_medical", "flag"],
  ["ins_employee_medical", "flag"],
  ["ins_serious_illness", "flag"],
  ["medical_assistance", "flag"],
  ["ins_resident_pension", "flag"],
  ["ins_employee_pension", "flag"],
  ["dibao", "enum"],
  ["tekun", "enum"],
];

const SQL_TYPE = {
  text: "text",
  enum: "text",
  enum_list: "text",
  date: "text",
  month: "text",
  flag: "smallint",
  money: "bigint",
  int: "integer",
  decimal: "double precision",
} as const;

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists
type AnyDb = Kysely<any>;

export function up001(engine: Engine) {
  const idType = engine === "postgres" ? "bigserial" : "integer";
  const refType = engine === "postgres" ? "bigint" : "integer";
  return async (db: AnyDb) => {
    await db.schema
      .createTable("regions")
      .addColumn("code", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("level", "smallint", (c) => c.notNull())
      .addColumn("parent_code", "text")
      .execute();
    await db.schema.createIndex("regions_parent").on("regions").column("parent_code").execute();
    await db.schema.createIndex("regions_name").on("regions").column("name").execute();

    let households = db.schema
      .createTable("households")
      .addColumn("id", idType, (c) => c.primaryKey());
    for (const [column, kind] of HOUSEHOLD_COLUMNS) {
      households = households.addColumn(column, SQL_TYPE[kind], (c) =>
        column === "household_number" || column === "village_code" ? c.notNull() : c,
      );
    }
    await households
      .addColumn("head_name", "text")
      .addColumn("size", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("extra", "text")
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("households_number")
      .unique()
      .on("households")
      .column("household_number")
      .execute();
    await db.schema
      .createIndex("households_village")
      .on("households")
      .columns(["village_code", "id"])
      .execute();
    await db.schema.createIndex("households_head").on("households").column("head_name").execute();

    let members = db.schema
      .createTable("members")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("household_id", refType, (c) => c.notNull().references("households.id"));
    for (const [column, kind] of MEMBER_COLUMNS) {
      members = members.addColumn(column, SQL_TYPE[kind], (c) =>
        column === "name" || column === "id_number" ? c.notNull() : c,
      );
    }
    await members
      .addColumn("position", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("status", "text", (c) => c.notNull().defaultTo("active"))
      .addColumn("removed_reason", "text")
      .addColumn("removed_on", "text")
      .addColumn("extra", "text")
      .execute();
    await db.schema.createIndex("members_household").on("members").column("household_id").execute();
    // Lookups by ID number concern living members: the partial unique index below serves them.
    await db.schema
      .createIndex("members_active_id_number")
      .unique()
      .on("members")
      .column("id_number")
      .where(sql.ref("status"), "=", "active")
      .execute();
    await db.schema.createIndex("members_name").on("members").column("name").execute();

    await db.schema
      .createTable("household_events")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("household_id", refType, (c) => c.notNull().references("households.id"))
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("actor_id", refType)
      .addColumn("actor_name", "text", (c) => c.notNull())
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("source_ref", "text")
      .addColumn("reason", "text")
      .addColumn("data", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("household_events_version")
      .unique()
      .on("household_events")
      .columns(["household_id", "version"])
      .execute();

    await db.schema
      .createTable("users")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("username", "text", (c) => c.notNull().unique())
      .addColumn("password_hash", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("region_code", "text")
      .addColumn("display_name", "text")
      .addColumn("disabled", "smallint", (c) => c.notNull().defaultTo(0))
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("sessions")
      .addColumn("token_hash", "text", (c) => c.primaryKey())
      .addColumn("user_id", refType, (c) => c.notNull().references("users.id"))
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("expires_at", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("audit_log")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("actor_id", refType)
      .addColumn("actor_name", "text", (c) => c.notNull())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("target_type", "text")
      .addColumn("target_id", "text")
      .addColumn("region_code", "text")
      .addColumn("detail", "text")
      .execute();
    await db.schema.createIndex("audit_log_at").on("audit_log").column("at").execute();
    await db.schema
      .createIndex("audit_log_target")
      .on("audit_log")
      .columns(["target_type", "target_id"])
      .execute();
  };
}
