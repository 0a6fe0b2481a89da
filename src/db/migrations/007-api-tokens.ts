/**
 * 007 — API tokens (接口令牌) for department machines: a token uploads feeds of the types and
 * region it names, and nothing else. Only the SHA-256 of the secret is kept, with its first
 * characters to recognise it by. Also an index on the facts a load superseded, so that the
 * households a load touched are found without a scan (their signals are re-evaluated).
 */
import type { Kysely } from "kysely";
import type { Engine } from "../connect.ts";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists
type AnyDb = Kysely<any>;

export function up007(engine: Engine) {
  const idType = engine === "postgres" ? "bigserial" : "integer";
  const refType = engine === "postgres" ? "bigint" : "integer";
  return async (db: AnyDb) => {
    await db.schema
      .createTable("api_tokens")
      .addColumn("id", idType, (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      /** The department the machine belongs to (医保局 …). */
      .addColumn("department", "text", (c) => c.notNull())
      /** JSON array of the feed types the token may upload. */
      .addColumn("feed_types", "text", (c) => c.notNull())
      /** The region subtree its uploads are matched in (the loader's scope). */
      .addColumn("region_code", "text", (c) => c.notNull())
      /** The token's first characters (`fpt_` and 8 more), shown to tell tokens apart. */
      .addColumn("prefix", "text", (c) => c.notNull())
      /** SHA-256 of the whole token, base64url. */
      .addColumn("token_hash", "text", (c) => c.notNull().unique())
      .addColumn("created_by", refType)
      .addColumn("created_by_name", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("expires_at", "text", (c) => c.notNull())
      .addColumn("last_used_at", "text")
      .addColumn("last_used_ip", "text")
      .addColumn("revoked_at", "text")
      .addColumn("revoked_by_name", "text")
      .execute();
    await db.schema
      .createIndex("api_tokens_region")
      .on("api_tokens")
      .column("region_code")
      .execute();
    await db.schema
      .createIndex("facts_superseded_load")
      .on("facts")
      .column("superseded_load")
      .execute();
  };
}
