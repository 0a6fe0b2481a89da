/**
 * 009 — leaner indexes on facts (部门数据事实): `facts_period` and `facts_superseded_load` become
 * partial indexes over the rows their queries can match. A feed without a reporting period
 * (most of them: medical, disability …) never looks facts up by period, and a fact is looked
 * up by the load that superseded it only once it has been superseded; indexing every fact in
 * both cost about a third of the time of inserting one (docs/benchmarks.md, feeds).
 *
 * The queries keep their plans because their conditions imply the indexes' (checked with
 * EXPLAIN on both engines, feeds.db.test.ts): `period in (…) and superseded_at is null` for
 * facts_period, `superseded_load = ?` for facts_superseded_load.
 */
import { type Kysely, sql } from "kysely";
import type { Engine } from "../connect.ts";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists
type AnyDb = Kysely<any>;

export function up009(_engine: Engine) {
  return async (db: AnyDb) => {
    await db.schema.dropIndex("facts_period").execute();
    await db.schema
      .createIndex("facts_period")
      .on("facts")
      .columns(["feed_type", "period"])
      .where(sql.ref("period"), "is not", null)
      .where(sql.ref("superseded_at"), "is", null)
      .execute();
    await db.schema.dropIndex("facts_superseded_load").execute();
    await db.schema
      .createIndex("facts_superseded_load")
      .on("facts")
      .column("superseded_load")
      .where(sql.ref("superseded_load"), "is not", null)
      .execute();
  };
}
