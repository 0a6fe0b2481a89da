import type { Kysely } from "kysely";
import type { DB } from "../../db/schema.ts";

export interface AuditEntry {
  at: string;
  actorId: number | null;
  actorName: string;
  /** Dotted action name, as in the policy (`household.update`, `household.unmask`). */
  action: string;
  targetType?: string;
  targetId?: string;
  regionCode?: string;
  detail?: Record<string, unknown>;
}

export function createAuditRepository(db: Kysely<DB>) {
  return {
    async insert(entries: AuditEntry[]): Promise<void> {
      if (entries.length === 0) return;
      await db
        .insertInto("audit_log")
        .values(
          entries.map((e) => ({
            at: e.at,
            actor_id: e.actorId,
            actor_name: e.actorName,
            action: e.action,
            target_type: e.targetType ?? null,
            target_id: e.targetId ?? null,
            region_code: e.regionCode ?? null,
            detail: e.detail ? JSON.stringify(e.detail) : null,
          })),
        )
        .execute();
    },

    async list(filter: { targetType?: string; targetId?: string; limit: number }) {
      let q = db.selectFrom("audit_log").selectAll().orderBy("id", "desc").limit(filter.limit);
      if (filter.targetType) q = q.where("target_type", "=", filter.targetType);
      if (filter.targetId) q = q.where("target_id", "=", filter.targetId);
      return q.execute();
    },
  };
}
export type AuditRepository = ReturnType<typeof createAuditRepository>;
