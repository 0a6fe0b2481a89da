/** Reading signals and verification tasks, always within a region range. */
import { type Kysely, sql } from "kysely";
import type { DB } from "../../db/schema.ts";

export interface SignalFilter {
  range: [string, string];
  rule?: string;
  category?: string;
  severity?: string;
  status: "open" | "resolved";
  overdueBefore?: string;
  openedBefore?: string;
  beforeId?: number;
  limit: number;
}

export function createSignalsRepository(db: Kysely<DB>) {
  return {
    list(f: SignalFilter) {
      let q = db
        .selectFrom("signals as s")
        .innerJoin("households as h", "h.id", "s.household_id")
        .leftJoin("regions as v", "v.code", "s.village_code")
        .leftJoin("regions as t", "t.code", "v.parent_code")
        .leftJoin("verifications as x", "x.signal_id", "s.id")
        .leftJoin("regions as ar", "ar.code", "x.assigned_region")
        .select([
          "s.id",
          "s.rule_id",
          "s.code",
          "s.category",
          "s.severity",
          "s.status",
          "s.evidence",
          "s.opened_at",
          "s.deadline",
          "s.resolved_at",
          "s.resolution",
          "s.village_code",
          "h.household_number",
          "h.head_name",
          "v.name as village_name",
          "t.name as town_name",
          "x.id as task_id",
          "x.status as task_status",
          "x.assigned_region",
          "ar.name as assigned_region_name",
          "x.deadline as task_deadline",
          "x.outcome",
          "x.outcome_reason",
          "x.version as task_version",
        ])
        .where("s.village_code", ">=", f.range[0])
        .where("s.village_code", "<", f.range[1])
        .where("s.status", "=", f.status)
        .orderBy("s.id", "desc")
        .limit(f.limit);
      if (f.rule) q = q.where("s.rule_id", "=", f.rule);
      if (f.category) q = q.where("s.category", "=", f.category);
      if (f.severity) q = q.where("s.severity", "=", f.severity);
      if (f.overdueBefore)
        q = q.where("s.deadline", "<", f.overdueBefore).where("x.status", "=", "open");
      if (f.openedBefore) q = q.where("s.opened_at", "<", f.openedBefore);
      if (f.beforeId !== undefined) q = q.where("s.id", "<", f.beforeId);
      return q.execute();
    },

    byRule(range: [string, string]) {
      return db
        .selectFrom("signals")
        .select(["rule_id", "category", "severity", (eb) => eb.fn.countAll<number>().as("n")])
        .where("status", "=", "open")
        .where("village_code", ">=", range[0])
        .where("village_code", "<", range[1])
        .groupBy(["rule_id", "category", "severity"])
        .orderBy("rule_id")
        .execute();
    },

    /** Open signals and overdue open tasks per child region (by code prefix length). */
    async byRegion(range: [string, string], prefixLength: number, today: string) {
      // The length is a literal so that PostgreSQL sees the same expression in GROUP BY.
      const code = sql<string>`substr(village_code, 1, ${sql.lit(prefixLength)})`;
      const open = await db
        .selectFrom("signals")
        .select([code.as("code"), (eb) => eb.fn.countAll<number>().as("n")])
        .where("status", "=", "open")
        .where("village_code", ">=", range[0])
        .where("village_code", "<", range[1])
        .groupBy(code)
        .execute();
      const overdue = await db
        .selectFrom("verifications")
        .select([code.as("code"), (eb) => eb.fn.countAll<number>().as("n")])
        .where("status", "=", "open")
        .where("deadline", "<", today)
        .where("village_code", ">=", range[0])
        .where("village_code", "<", range[1])
        .groupBy(code)
        .execute();
      return { open, overdue };
    },

    regionNames(codes: readonly string[]) {
      if (codes.length === 0) return Promise.resolve([]);
      return db.selectFrom("regions").select(["code", "name"]).where("code", "in", codes).execute();
    },

    findTask(id: number, range: [string, string]) {
      return db
        .selectFrom("verifications")
        .selectAll()
        .where("id", "=", id)
        .where("village_code", ">=", range[0])
        .where("village_code", "<", range[1])
        .executeTakeFirst();
    },

    async updateTask(
      id: number,
      version: number,
      patch: {
        assigned_region?: string;
        status?: "done";
        outcome?: string;
        outcome_reason?: string | null;
        updated_at: string;
      },
    ) {
      const r = await db
        .updateTable("verifications")
        .set({ ...patch, version: version + 1 })
        .where("id", "=", id)
        .where("version", "=", version)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async insertTaskEvent(row: {
      verification_id: number;
      at: string;
      actor_name: string;
      kind: string;
      data: string | null;
    }) {
      await db.insertInto("verification_events").values(row).execute();
    },

    taskEvents(id: number) {
      return db
        .selectFrom("verification_events")
        .selectAll()
        .where("verification_id", "=", id)
        .orderBy("id")
        .execute();
    },
  };
}
