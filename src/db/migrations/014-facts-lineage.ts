/**
 * 014 — a fact's lineage by its load only (事实的来源): every fact repeated its load's file hash
 * (64 characters), file name and time, about a quarter of a fact's row; the load (`load_id`,
 * feed_loads) holds them once. A county's million facts a year shrink by about 100 MB and a
 * load writes less (docs/benchmarks.md, feeds fourth pass). Lineage is unchanged: a fact's
 * file, hash and time are its load's, and its row number stays on the fact.
 *
 * Backups made before this migration still restore: their facts' three columns are left out
 * (db/backup.ts, `DROPPED`).
 */
import type { Kysely } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists
type AnyDb = Kysely<any>;

/** The columns this migration drops, by table (backups made before it still carry them). */
export const DROPPED_014 = { facts: ["file_hash", "file_name", "created_at"] } as const;

export function up014() {
  return async (db: AnyDb) => {
    for (const column of DROPPED_014.facts)
      await db.schema.alterTable("facts").dropColumn(column).execute();
  };
}
