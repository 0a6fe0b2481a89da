/**
 * Withdrawing a feed load (撤销导入), inside the caller's transaction: the facts the load created
 * end, and the facts it superseded (corrected rows, or a period's rows the file no longer
 * listed) are current again — the store is as it was before the load, and the load stays on
 * record. A load whose facts a later load has since corrected, or whose superseded facts a later
 * load has since replaced, cannot be withdrawn alone: those later loads must be withdrawn first,
 * newest first, or their facts would be left resting on facts that no longer stand.
 */
import { type Kysely, sql } from "kysely";
import { conflict } from "../../core/errors.ts";
import type { DB } from "../../db/schema.ts";

export interface WithdrawnFacts {
  /** Facts of the load that ended. */
  ended: number;
  /** Facts it had superseded, current again. */
  restored: number;
  /** Households whose facts changed (for re-evaluation). */
  households: { id: number; villageCode: string }[];
}

/** Later loads that stand on this load's facts (at most `limit`), smallest id first. */
async function laterLoads(trx: Kysely<DB>, loadId: number, limit: number): Promise<number[]> {
  // Facts of this load a later load corrected or ended.
  const corrected = await trx
    .selectFrom("facts")
    .select("superseded_load")
    .distinct()
    .where("load_id", "=", loadId)
    .where("superseded_load", "is not", null)
    .where("superseded_load", "<>", loadId)
    .limit(limit)
    .execute();
  // Facts this load superseded whose key a later load has filled again (restoring them would
  // give the key two current facts).
  const refilled = await sql<{ load_id: number }>`
    select distinct n.load_id from facts o join facts n
      on n.feed_type = o.feed_type and n.row_key = o.row_key and n.superseded_at is null
    where o.superseded_load = ${loadId} and n.load_id <> ${loadId}
    limit ${limit}`.execute(trx);
  const ids = new Set<number>();
  for (const r of corrected) ids.add(Number(r.superseded_load));
  for (const r of refilled.rows) ids.add(Number(r.load_id));
  return [...ids].sort((a, b) => a - b).slice(0, limit);
}

export async function withdrawFacts(
  trx: Kysely<DB>,
  loadId: number,
  at: string,
): Promise<WithdrawnFacts> {
  const later = await laterLoads(trx, loadId, 5);
  if (later.length > 0)
    throw conflict(
      `之后的导入批次 ${later.map((id) => `#${id}`).join("、")} 更正或补充了本批次涉及的记录，请先撤销这些批次，再撤销本批次`,
      { code: "feed_load_superseded", detail: { loads: later } },
    );
  const touched = await trx
    .selectFrom("facts")
    .select(["household_id", "village_code"])
    .distinct()
    .where((eb) => eb.or([eb("load_id", "=", loadId), eb("superseded_load", "=", loadId)]))
    .execute();
  // The load's facts end first, so that the restored ones are the only current ones of a key.
  const ended = await trx
    .updateTable("facts")
    .set({ superseded_at: at, superseded_by: null, superseded_load: null })
    .where("load_id", "=", loadId)
    .where("superseded_at", "is", null)
    .executeTakeFirst();
  const restored = await trx
    .updateTable("facts")
    .set({ superseded_at: null, superseded_by: null, superseded_load: null })
    .where("superseded_load", "=", loadId)
    .executeTakeFirst();
  return {
    ended: Number(ended.numUpdatedRows),
    restored: Number(restored.numUpdatedRows),
    households: touched.map((r) => ({ id: Number(r.household_id), villageCode: r.village_code })),
  };
}
