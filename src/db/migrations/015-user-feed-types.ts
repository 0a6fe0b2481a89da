/**
 * 015 — the feeds a department's data officer works with (部门数据专员的数据类型): a user of the
 * department role may be bound to some feed types (JSON array), as an API token is; they then
 * load, see and withdraw only those. Null: every feed (county staff; department users made
 * before this migration, until an administrator binds them).
 */
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists
type AnyDb = Kysely<any>;

export function up015() {
  return async (db: AnyDb) => {
    await db.schema.alterTable("users").addColumn("feed_types", "text").execute();
  };
}
