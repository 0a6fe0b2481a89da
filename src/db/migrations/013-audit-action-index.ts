/**
 * 013 — the audit log by action (审计日志按操作): the import history (导入记录) lists the
 * `household.import` entries newest first, among every edit, view and sign-in of the county;
 * without this index each page would read the log back from its end until it found enough.
 */
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists
type AnyDb = Kysely<any>;

export function up013() {
  return async (db: AnyDb) => {
    await db.schema
      .createIndex("audit_log_action")
      .on("audit_log")
      .columns(["action", "id"])
      .execute();
  };
}
