/**
 * 004 — department data feeds (部门数据): every load of a feed file, the rows that matched no
 * registry member (for the comparison report), and the facts the matched rows became, with their
 * effective dates, lineage (file hash, name, row) and supersession; and the decisions taken on
 * likely duplicate members (疑似重复人员).
 */
import { type Kysely, sql } from "kysely";
import type { Engine } from "../connect.ts";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists
type AnyDb = Kysely<any>;

export function up004(engine: Engine) {
  const idType = engine === "postgres" ? "bigserial" : "integer";
  const refType = engine === "postgres" ? "bigint" : "integer";
  return async (db: AnyDb) => {
    // Feed rows are matched by ID number to members active or removed: the partial index of
    // 001 serves only active members, and a lookup of removed ones would scan the table.
    await db.schema.createIndex("members_id_number").on("members").column("id_number").execute();

    await db.schema
      .createTable("feed_loads")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("feed_type", "text", (c) => c.notNull())
      /** SHA-256 of the file's bytes, hex. */
      .addColumn("file_hash", "text", (c) => c.notNull())
      .addColumn("file_name", "text", (c) => c.notNull())
      .addColumn("format", "text", (c) => c.notNull())
      .addColumn("policy_id", "text", (c) => c.notNull())
      /** The loader's region (its scope); null for a nationwide user. */
      .addColumn("region_code", "text")
      .addColumn("actor_id", refType)
      .addColumn("actor_name", "text", (c) => c.notNull())
      .addColumn("loaded_at", "text", (c) => c.notNull())
      .addColumn("rows", "integer", (c) => c.notNull())
      .addColumn("matched", "integer", (c) => c.notNull())
      .addColumn("unmatched", "integer", (c) => c.notNull())
      .addColumn("ambiguous", "integer", (c) => c.notNull())
      .addColumn("created", "integer", (c) => c.notNull())
      .addColumn("unchanged", "integer", (c) => c.notNull())
      .addColumn("superseded", "integer", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("feed_loads_type")
      .on("feed_loads")
      .columns(["feed_type", "loaded_at"])
      .execute();

    await db.schema
      .createTable("feed_rows")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("load_id", refType, (c) => c.notNull().references("feed_loads.id"))
      .addColumn("row_number", "integer", (c) => c.notNull())
      /** unmatched | ambiguous */
      .addColumn("outcome", "text", (c) => c.notNull())
      .addColumn("reason", "text", (c) => c.notNull())
      .addColumn("id_number", "text", (c) => c.notNull())
      .addColumn("name", "text")
      /** For an ambiguous row: the household(s) it might belong to (village of the first). */
      .addColumn("village_code", "text")
      .addColumn("vals", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("feed_rows_load").on("feed_rows").column("load_id").execute();

    await db.schema
      .createTable("facts")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("feed_type", "text", (c) => c.notNull())
      /** JSON array of the row-key values: identifies the fact across files. */
      .addColumn("row_key", "text", (c) => c.notNull())
      .addColumn("id_number", "text", (c) => c.notNull())
      .addColumn("member_id", refType, (c) => c.notNull().references("members.id"))
      .addColumn("household_id", refType, (c) => c.notNull().references("households.id"))
      .addColumn("village_code", "text", (c) => c.notNull())
      .addColumn("effective_from", "text", (c) => c.notNull())
      .addColumn("effective_to", "text")
      /** Reporting month (YYYY-MM) for feeds with a period. */
      .addColumn("period", "text")
      /** JSON object of the row's values by column key (money in fen, flags 0/1). */
      .addColumn("vals", "text", (c) => c.notNull())
      .addColumn("load_id", refType, (c) => c.notNull().references("feed_loads.id"))
      .addColumn("file_hash", "text", (c) => c.notNull())
      .addColumn("file_name", "text", (c) => c.notNull())
      .addColumn("row_number", "integer", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      /** The fact that replaced this one (a corrected row); null when a period reload ended it. */
      .addColumn("superseded_by", refType)
      .addColumn("superseded_load", refType)
      .addColumn("superseded_at", "text")
      .execute();
    await db.schema
      .createIndex("facts_current_key")
      .unique()
      .on("facts")
      .columns(["feed_type", "row_key"])
      .where(sql.ref("superseded_at"), "is", null)
      .execute();
    await db.schema
      .createIndex("facts_household")
      .on("facts")
      .columns(["household_id", "feed_type"])
      .execute();
    await db.schema.createIndex("facts_load").on("facts").column("load_id").execute();
    await db.schema
      .createTable("duplicate_reviews")
      .addColumn("id", idType, (c) => c.primaryKey())
      /** The pair, smaller member id first. */
      .addColumn("member_a", refType, (c) => c.notNull().references("members.id"))
      .addColumn("member_b", refType, (c) => c.notNull().references("members.id"))
      /** same_name_birth | homophone */
      .addColumn("kind", "text", (c) => c.notNull())
      /** dismissed | merged */
      .addColumn("decision", "text", (c) => c.notNull())
      /** For a merge: the member that stays (the other was removed as a duplicate). */
      .addColumn("kept_member", refType)
      .addColumn("note", "text")
      .addColumn("actor_id", refType)
      .addColumn("actor_name", "text", (c) => c.notNull())
      .addColumn("decided_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("duplicate_reviews_pair")
      .unique()
      .on("duplicate_reviews")
      .columns(["member_a", "member_b"])
      .execute();
    await db.schema
      .createIndex("facts_period")
      .on("facts")
      .columns(["feed_type", "period"])
      .execute();
  };
}
