/**
 * 011 — withdrawing a feed load (撤销导入): a load uploaded by mistake (last month's file, the
 * wrong department's) can be withdrawn; its facts end and the facts it had superseded are
 * current again. The load itself stays on record, marked with who withdrew it, when and why.
 */
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists
type AnyDb = Kysely<any>;

export function up011() {
  return async (db: AnyDb) => {
    await db.schema.alterTable("feed_loads").addColumn("withdrawn_at", "text").execute();
    await db.schema.alterTable("feed_loads").addColumn("withdrawn_by", "text").execute();
    await db.schema.alterTable("feed_loads").addColumn("withdraw_reason", "text").execute();
  };
}
