/** Reading signals and verification tasks, always within a region range. */
import { type Kysely, type RawBuilder, sql } from "kysely";
import type { DB } from "../../db/schema.ts";

/** Orders of the inbox: newest first, high severity first, nearest open verification deadline first. */
export type SignalSort = "opened" | "severity" | "deadline";

/**
 * Where a page starts in an order: after the row with this sort key and id. The key is the
 * severity's rank (0 high, 1 medium, 2 low) or the deadline (NO_DEADLINE when none); none for
 * "opened", which orders by id alone.
 */
export interface SignalCursor {
  key: number | string | null;
  id: number;
}

/** The deadline key of a signal without an open verification task: after every date. */
export const NO_DEADLINE = "9999-12-31";

/**
 * The sort key of each order, over the signal `s` and its task `x` (the same in ORDER BY and
 * WHERE); `sortKeyOf` computes it from a listed row for the next page's cursor.
 */
const SORT_KEYS: Record<SignalSort, RawBuilder<unknown> | null> = {
  opened: null,
  severity: sql`(CASE s.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END)`,
  deadline: sql`(CASE WHEN x.status = 'open' AND x.deadline IS NOT NULL THEN x.deadline ELSE ${sql.lit(NO_DEADLINE)} END)`,
};

export function sortKeyOf(
  sort: SignalSort,
  row: { severity: string; task_status: string | null; task_deadline: string | null },
): number | string | null {
  if (sort === "severity") return row.severity === "high" ? 0 : row.severity === "medium" ? 1 : 2;
  if (sort === "deadline")
    return row.task_status === "open" && row.task_deadline !== null
      ? row.task_deadline
      : NO_DEADLINE;
  return null;
}

export interface SignalFilter {
  range: [string, string];
  rule?: string;
  category?: string;
  severity?: string;
  status: "open" | "resolved";
  overdueBefore?: string;
  openedBefore?: string;
  sort: SignalSort;
  after?: SignalCursor;
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
        .limit(f.limit);
      // Keyset order: the sort key ascending, then newest (highest id) first.
      const key = SORT_KEYS[f.sort];
      if (key) q = q.orderBy(key);
      q = q.orderBy("s.id", "desc");
      if (f.after) {
        const { id, key: after } = f.after;
        q =
          key && after !== null
            ? q.where(sql<boolean>`(${key} > ${after} OR (${key} = ${after} AND s.id < ${id}))`)
            : q.where("s.id", "<", id);
      }
      if (f.rule) q = q.where("s.rule_id", "=", f.rule);
      if (f.category) q = q.where("s.category", "=", f.category);
      if (f.severity) q = q.where("s.severity", "=", f.severity);
      if (f.overdueBefore)
        q = q.where("s.deadline", "<", f.overdueBefore).where("x.status", "=", "open");
      if (f.openedBefore) q = q.where("s.opened_at", "<", f.openedBefore);
      return q.execute();
    },

    /**
     * Open signals per rule (with its category and severity) in a range, from the counts the
     * database keeps (migration 012): rows per village and rule, not per signal.
     */
    byRule(range: [string, string]) {
      const n = sql<number>`sum(n)`;
      return db
        .selectFrom("signal_counts")
        .select(["rule_id", "category", "severity", n.as("n")])
        .where("village_code", ">=", range[0])
        .where("village_code", "<", range[1])
        .groupBy(["rule_id", "category", "severity"])
        .having(n, ">", 0)
        .orderBy("rule_id")
        .orderBy("category")
        .orderBy("severity")
        .execute();
    },

    /**
     * Open signals, and open tasks whose deadline is before `today`, per child region (by code
     * prefix length), from the kept counts.
     */
    async byRegion(range: [string, string], prefixLength: number, today: string) {
      // The length is a literal so that PostgreSQL sees the same expression in GROUP BY.
      const code = sql<string>`substr(village_code, 1, ${sql.lit(prefixLength)})`;
      const n = sql<number>`sum(n)`;
      const open = await db
        .selectFrom("signal_counts")
        .select([code.as("code"), n.as("n")])
        .where("village_code", ">=", range[0])
        .where("village_code", "<", range[1])
        .groupBy(code)
        .having(n, ">", 0)
        .execute();
      const overdue = await db
        .selectFrom("verification_counts")
        .select([code.as("code"), n.as("n")])
        .where("deadline", "<", today)
        .where("village_code", ">=", range[0])
        .where("village_code", "<", range[1])
        .groupBy(code)
        .having(n, ">", 0)
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
