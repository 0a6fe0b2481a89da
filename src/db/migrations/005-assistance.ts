/**
 * 005 — assistance (帮扶): cadres and their pairings with households (with history), one plan
 * per household and its measures, helpers' visits (photo bytes in the file store), resident
 * work-team members and their monthly attendance.
 */
import type { Kysely } from "kysely";
import type { Engine } from "../connect.ts";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists
type AnyDb = Kysely<any>;

export function up005(engine: Engine) {
  const idType = engine === "postgres" ? "bigserial" : "integer";
  const refType = engine === "postgres" ? "bigint" : "integer";
  return async (db: AnyDb) => {
    await db.schema
      .createTable("cadres")
      .addColumn("id", idType, (c) => c.primaryKey())
      // The region whose office keeps the record (a county or a town).
      .addColumn("region_code", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("unit", "text", (c) => c.notNull())
      .addColumn("post", "text")
      .addColumn("rank", "text", (c) => c.notNull())
      .addColumn("phone", "text")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("status_changed_on", "text")
      .addColumn("user_id", refType)
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("cadres_region")
      .on("cadres")
      .columns(["region_code", "status"])
      .execute();
    await db.schema.createIndex("cadres_user").on("cadres").column("user_id").execute();

    await db.schema
      .createTable("pairings")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("cadre_id", refType, (c) => c.notNull().references("cadres.id"))
      .addColumn("household_id", refType, (c) => c.notNull().references("households.id"))
      .addColumn("village_code", "text", (c) => c.notNull())
      .addColumn("started_on", "text", (c) => c.notNull())
      .addColumn("start_reason", "text")
      .addColumn("ended_on", "text")
      .addColumn("end_reason", "text")
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("pairings_cadre")
      .on("pairings")
      .columns(["cadre_id", "ended_on"])
      .execute();
    await db.schema
      .createIndex("pairings_household")
      .on("pairings")
      .columns(["household_id", "ended_on"])
      .execute();
    await db.schema
      .createIndex("pairings_village")
      .on("pairings")
      .columns(["village_code", "ended_on"])
      .execute();

    await db.schema
      .createTable("assistance_plans")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("household_id", refType, (c) => c.notNull().references("households.id"))
      .addColumn("village_code", "text", (c) => c.notNull())
      .addColumn("goal", "text")
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addColumn("updated_by", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("assistance_plans_household")
      .unique()
      .on("assistance_plans")
      .column("household_id")
      .execute();

    await db.schema
      .createTable("assistance_measures")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("household_id", refType, (c) => c.notNull().references("households.id"))
      .addColumn("village_code", "text", (c) => c.notNull())
      .addColumn("code", "text", (c) => c.notNull())
      .addColumn("category", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("development", "smallint", (c) => c.notNull().defaultTo(0))
      .addColumn("amount_fen", "bigint", (c) => c.notNull().defaultTo(0))
      .addColumn("date", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("note", "text")
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("assistance_measures_household")
      .on("assistance_measures")
      .columns(["household_id", "status"])
      .execute();
    await db.schema
      .createIndex("assistance_measures_village")
      .on("assistance_measures")
      .column("village_code")
      .execute();

    await db.schema
      .createTable("visits")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("household_id", refType, (c) => c.notNull().references("households.id"))
      .addColumn("village_code", "text", (c) => c.notNull())
      .addColumn("cadre_id", refType)
      .addColumn("visited_on", "text", (c) => c.notNull())
      .addColumn("notes", "text", (c) => c.notNull())
      // JSON list of measure ids discussed.
      .addColumn("measures", "text", (c) => c.notNull())
      .addColumn("photo_key", "text")
      .addColumn("photo_mime", "text")
      .addColumn("photo_sha256", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("visits_household")
      .on("visits")
      .columns(["household_id", "visited_on"])
      .execute();
    await db.schema
      .createIndex("visits_village")
      .on("visits")
      .columns(["village_code", "visited_on"])
      .execute();

    await db.schema
      .createTable("work_team_members")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("village_code", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("unit", "text", (c) => c.notNull())
      // 第一书记 / 队长 / 队员
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("phone", "text")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("work_team_members_village")
      .on("work_team_members")
      .columns(["village_code", "status"])
      .execute();

    await db.schema
      .createTable("work_team_attendance")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("member_id", refType, (c) => c.notNull().references("work_team_members.id"))
      .addColumn("village_code", "text", (c) => c.notNull())
      .addColumn("month", "text", (c) => c.notNull())
      .addColumn("days", "integer", (c) => c.notNull())
      // Visits by the sending unit's leaders to the village that month.
      .addColumn("leader_visits", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("note", "text")
      .addColumn("recorded_at", "text", (c) => c.notNull())
      .addColumn("recorded_by", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("work_team_attendance_member_month")
      .unique()
      .on("work_team_attendance")
      .columns(["member_id", "month"])
      .execute();
    await db.schema
      .createIndex("work_team_attendance_village")
      .on("work_team_attendance")
      .columns(["village_code", "month"])
      .execute();
  };
}
