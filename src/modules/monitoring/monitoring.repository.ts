/**
 * Set-based signal maintenance: each rule's compiled SQL condition runs inside the database
 * over the households in a range, opening and resolving signals with two statements.
 */
import { type Insertable, type Kysely, sql } from "kysely";
import { quote } from "../../core/rules/sql.ts";
import type { Engine } from "../../db/connect.ts";
import type { DB, SweepTable } from "../../db/schema.ts";

/** Which households a statement covers: a region range, and optionally some ids. */
export interface Target {
  range: [string, string];
  ids?: readonly number[];
}

export interface RuleStatement {
  ruleId: string;
  code: string | null;
  category: string;
  severity: string;
  verify: boolean;
  policyId: string;
  /** SQL boolean expression over `h`. */
  when: string;
  /** SQL value expressions over `h`, by evidence name. */
  evidence: Record<string, string>;
  /** Verification deadline for signals opened now (YYYY-MM-DD), when the rule asks for one. */
  deadline: string | null;
}

function householdFilter(t: Target, alias: string): string {
  const range = `${alias}.village_code >= ${quote(t.range[0])} AND ${alias}.village_code < ${quote(t.range[1])}`;
  if (!t.ids) return range;
  return t.ids.length === 0
    ? "1 = 0"
    : `${range} AND ${alias}.${alias === "h" ? "id" : "household_id"} IN (${t.ids.map((i) => Number(i)).join(", ")})`;
}

export function createMonitoringRepository(db: Kysely<DB>, engine: Engine) {
  const evidenceJson = (ev: Record<string, string>) => {
    const entries = Object.entries(ev);
    if (entries.length === 0) return "NULL";
    const args = entries.map(([k, v]) => `${quote(k)}, ${v}`).join(", ");
    return engine === "postgres"
      ? `CAST(json_build_object(${args}) AS text)`
      : `json_object(${args})`;
  };
  const affected = (r: { numAffectedRows?: bigint }) => Number(r.numAffectedRows ?? 0n);

  return {
    /**
     * Computes the member aggregates the rules need (one pass over members) into the temporary
     * table `member_agg`, and an empty `rule_hits`; both live until `dropWorkTables`.
     */
    async prepareWorkTables(aggregateSelect: string | null, t: Target): Promise<void> {
      await this.dropWorkTables();
      const temp = "CREATE TEMP TABLE";
      const memberFilter = t.ids
        ? `mm.household_id IN (${t.ids.length ? t.ids.map((i) => Number(i)).join(", ") : "NULL"})`
        : `mm.household_id IN (SELECT hh.id FROM households hh WHERE ${householdFilter(t, "hh")})`;
      const select =
        aggregateSelect?.replace(
          "WHERE mm.status = 'active'",
          `WHERE mm.status = 'active' AND ${memberFilter}`,
        ) ?? "SELECT 0 AS household_id WHERE 1 = 0";
      await sql.raw(`${temp} member_agg AS ${select}`).execute(db);
      await sql.raw("CREATE INDEX member_agg_household ON member_agg (household_id)").execute(db);
      await sql
        .raw(`${temp} rule_hits (rule_id text NOT NULL, household_id bigint NOT NULL)`)
        .execute(db);
    },

    async dropWorkTables(): Promise<void> {
      await sql.raw("DROP TABLE IF EXISTS member_agg").execute(db);
      await sql.raw("DROP TABLE IF EXISTS rule_hits").execute(db);
    },

    /** Records the households where the rule holds. */
    async collectHits(s: RuleStatement, t: Target): Promise<number> {
      const r = await sql`
        INSERT INTO rule_hits (rule_id, household_id)
        SELECT ${s.ruleId}, h.id FROM households h LEFT JOIN member_agg a ON a.household_id = h.id
        WHERE ${sql.raw(householdFilter(t, "h"))} AND (${sql.raw(s.when)})`.execute(db);
      return affected(r);
    },

    async indexHits(): Promise<void> {
      await sql.raw("CREATE INDEX rule_hits_key ON rule_hits (household_id, rule_id)").execute(db);
    },

    /** Resolves open signals of the given rules whose condition no longer holds. */
    async resolveCleared(ruleIds: readonly string[], t: Target, at: string): Promise<number> {
      if (ruleIds.length === 0) return 0;
      const r = await sql`
        UPDATE signals SET status = 'resolved', resolved_at = ${at}, resolution = 'condition_cleared'
        WHERE status = 'open' AND ${sql.raw(householdFilter(t, "signals"))}
          AND rule_id IN (${sql.raw(ruleIds.map(quote).join(", "))})
          AND NOT EXISTS (SELECT 1 FROM rule_hits x WHERE x.household_id = signals.household_id AND x.rule_id = signals.rule_id)`.execute(
        db,
      );
      return affected(r);
    },

    /**
     * Opens a signal, with its evidence, for every hit of the rule that has none open: those that
     * have are skipped by the partial unique index of open signals (ON CONFLICT), not by NOT
     * EXISTS — see openVerificationsAfter for the quadratic plan PostgreSQL can choose for that.
     */
    async openNew(s: RuleStatement, at: string): Promise<number> {
      const r = await sql`
        INSERT INTO signals (household_id, village_code, rule_id, code, category, severity, verify, policy_id, status, evidence, opened_at, deadline)
        SELECT h.id, h.village_code, ${s.ruleId}, ${s.code}, ${s.category}, ${s.severity}, ${s.verify ? 1 : 0}, ${s.policyId}, 'open',
               ${sql.raw(evidenceJson(s.evidence))}, ${at}, ${s.deadline}
        FROM rule_hits x JOIN households h ON h.id = x.household_id LEFT JOIN member_agg a ON a.household_id = h.id
        WHERE x.rule_id = ${s.ruleId}
        ON CONFLICT (household_id, rule_id) WHERE status = 'open' DO NOTHING`.execute(db);
      return affected(r);
    },

    /**
     * Evaluates every rule for a few households in one query: one 0/1 column per rule
     * (`r0`, `r1`, …) per household. Used when an edit touched only these households.
     */
    async evaluateFew(
      statements: readonly RuleStatement[],
      aggregateSelect: string | null,
      ids: readonly number[],
    ) {
      const list = ids.map((i) => Number(i)).join(", ");
      const agg = aggregateSelect
        ? `LEFT JOIN (${aggregateSelect.replace("WHERE mm.status = 'active'", `WHERE mm.status = 'active' AND mm.household_id IN (${list})`)}) a ON a.household_id = h.id`
        : "";
      const cols = statements
        .map((s, i) => `CASE WHEN ${s.when} THEN 1 ELSE 0 END AS r${i}`)
        .join(", ");
      const r = await sql
        .raw<Record<string, unknown>>(
          `SELECT h.id AS id, h.village_code AS village_code${cols ? `, ${cols}` : ""} FROM households h ${agg} WHERE h.id IN (${list})`,
        )
        .execute(db);
      return r.rows;
    },

    /** Evidence of some rules for one household, as {ruleIndex: {name: value}}. */
    async evidenceFor(
      statements: readonly { index: number; s: RuleStatement }[],
      aggregateSelect: string | null,
      id: number,
    ) {
      const wanted = statements.filter(({ s }) => Object.keys(s.evidence).length > 0);
      if (wanted.length === 0) return new Map<number, Record<string, unknown>>();
      const agg = aggregateSelect
        ? `LEFT JOIN (${aggregateSelect.replace("WHERE mm.status = 'active'", `WHERE mm.status = 'active' AND mm.household_id = ${Number(id)}`)}) a ON a.household_id = h.id`
        : "";
      // The same JSON as a sweep writes, so that both paths give the same values.
      const cols = wanted.map(({ index, s }) => `${evidenceJson(s.evidence)} AS e${index}`);
      const row =
        (
          await sql
            .raw<Record<string, unknown>>(
              `SELECT ${cols.join(", ")} FROM households h ${agg} WHERE h.id = ${Number(id)}`,
            )
            .execute(db)
        ).rows[0] ?? {};
      const out = new Map<number, Record<string, unknown>>();
      for (const { index } of wanted) {
        const json = row[`e${index}`];
        if (typeof json === "string") out.set(index, JSON.parse(json) as Record<string, unknown>);
      }
      return out;
    },

    openSignalsFor(ids: readonly number[]) {
      return db
        .selectFrom("signals")
        .select(["id", "household_id", "rule_id"])
        .where("status", "=", "open")
        .where("household_id", "in", ids)
        .execute();
    },

    async insertSignals(rows: Insertable<DB["signals"]>[]): Promise<void> {
      // 12 values a row: well within both engines' limits on bound parameters.
      for (let at = 0; at < rows.length; at += 1000)
        await db
          .insertInto("signals")
          .values(rows.slice(at, at + 1000))
          .execute();
    },

    async resolveSignals(ids: readonly number[], at: string, resolution: string): Promise<number> {
      let n = 0;
      for (let from = 0; from < ids.length; from += 10_000) {
        const r = await db
          .updateTable("signals")
          .set({ status: "resolved", resolved_at: at, resolution })
          .where("id", "in", ids.slice(from, from + 10_000))
          .where("status", "=", "open")
          .executeTakeFirst();
        n += Number(r.numUpdatedRows);
      }
      return n;
    },

    /** Open signals of a range: what a full sweep compares its results with. */
    openSignalsIn(range: readonly [string, string]) {
      return db
        .selectFrom("signals")
        .select(["id", "household_id", "rule_id"])
        .where("status", "=", "open")
        .where("village_code", ">=", range[0])
        .where("village_code", "<", range[1])
        .execute();
    },

    async lastSignalId(): Promise<number> {
      const r = await db
        .selectFrom("signals")
        .select((eb) => eb.fn.max("id").as("last"))
        .executeTakeFirst();
      return Number(r?.last ?? 0);
    },

    /**
     * Where the current facts of these feeds came from, per household, as a rule on department
     * data records them ("medical.csv 第 3 行；…", in load order) — what sql.ts `factSourcesSql`
     * gives the SQL path.
     */
    async factSources(
      householdIds: readonly number[],
      feedTypes: readonly string[],
    ): Promise<Map<number, string>> {
      const out = new Map<number, string>();
      for (let from = 0; from < householdIds.length; from += 10_000) {
        const rows = await db
          .selectFrom("facts as f")
          .innerJoin("feed_loads as l", "l.id", "f.load_id")
          .select(["f.household_id", "l.file_name", "f.row_number"])
          .where("f.household_id", "in", householdIds.slice(from, from + 10_000))
          .where("f.superseded_at", "is", null)
          .where("f.feed_type", "in", feedTypes)
          .orderBy("f.id")
          .execute();
        for (const r of rows) {
          const id = Number(r.household_id);
          const source = `${r.file_name} 第 ${r.row_number} 行`;
          const before = out.get(id);
          out.set(id, before === undefined ? source : `${before}；${source}`);
        }
      }
      return out;
    },

    /** Households with a history event after event `mark`. */
    async changedSince(mark: number): Promise<Set<number>> {
      const rows = await db
        .selectFrom("household_events")
        .select("household_id")
        .distinct()
        .where("id", ">", mark)
        .execute();
      return new Set(rows.map((r) => Number(r.household_id)));
    },

    /**
     * Opens a verification task for each signal after `lastSignal` that asks for one. Signals
     * that have one already are skipped by the unique index on signal_id (ON CONFLICT), not by
     * NOT EXISTS: PostgreSQL plans a statement once, and on a fresh database, whose statistics say
     * verifications is empty, it chose a sequential scan of verifications per signal — which
     * rereads the rows this same statement inserts, quadratic (a first sweep of 1,000,000
     * households with ~140,000 verify-signals ran for over ten minutes here).
     */
    async openVerificationsAfter(lastSignal: number, at: string): Promise<number> {
      const r = await sql`
        INSERT INTO verifications (signal_id, household_id, village_code, rule_id, status, assigned_region, deadline, created_at, updated_at, version)
        SELECT s.id, s.household_id, s.village_code, s.rule_id, 'open', NULL, s.deadline, ${at}, ${at}, 1
        FROM signals s
        WHERE s.id > ${lastSignal} AND s.status = 'open' AND s.verify = 1 AND s.deadline IS NOT NULL
        ON CONFLICT (signal_id) DO NOTHING`.execute(db);
      return affected(r);
    },

    /** Closes the open verification tasks of these (resolved) signals. */
    async closeVerificationsOf(signalIds: readonly number[], at: string): Promise<number> {
      let n = 0;
      for (let from = 0; from < signalIds.length; from += 10_000) {
        const r = await db
          .updateTable("verifications")
          .set((eb) => ({
            status: "done",
            outcome: "signal_resolved",
            updated_at: at,
            version: eb("version", "+", 1),
          }))
          .where("status", "=", "open")
          .where("signal_id", "in", signalIds.slice(from, from + 10_000))
          .executeTakeFirst();
        n += Number(r.numUpdatedRows);
      }
      return n;
    },

    /** Resolves open signals of rules that are no longer in force. */
    async resolveRetired(activeRules: readonly string[], t: Target, at: string): Promise<number> {
      const list = activeRules.length ? activeRules.map(quote).join(", ") : "''";
      const r = await sql`
        UPDATE signals SET status = 'resolved', resolved_at = ${at}, resolution = 'rule_retired'
        WHERE status = 'open' AND ${sql.raw(householdFilter(t, "signals"))} AND rule_id NOT IN (${sql.raw(list)})`.execute(
        db,
      );
      return affected(r);
    },

    /** Opens a verification task for each open verify-signal that has none. */
    async openVerifications(t: Target, at: string): Promise<number> {
      const r = await sql`
        INSERT INTO verifications (signal_id, household_id, village_code, rule_id, status, assigned_region, deadline, created_at, updated_at, version)
        SELECT s.id, s.household_id, s.village_code, s.rule_id, 'open', NULL, s.deadline, ${at}, ${at}, 1
        FROM signals s
        WHERE s.status = 'open' AND s.verify = 1 AND s.deadline IS NOT NULL AND ${sql.raw(householdFilter(t, "signals").replaceAll("signals.", "s."))}
        ON CONFLICT (signal_id) DO NOTHING`.execute(db);
      return affected(r);
    },

    /** Closes open verification tasks whose signal resolved by itself. */
    async closeVerificationsOfResolved(t: Target, at: string): Promise<number> {
      const r = await sql`
        UPDATE verifications SET status = 'done', outcome = 'signal_resolved', updated_at = ${at}, version = version + 1
        WHERE status = 'open' AND ${sql.raw(householdFilter(t, "verifications"))}
          AND signal_id IN (SELECT id FROM signals WHERE status = 'resolved')`.execute(db);
      return affected(r);
    },

    /**
     * Folds the delta rows PostgreSQL's triggers append to the counts of open signals and tasks
     * (migration 012) back into one row per key, dropping keys that sum to zero. The sums do
     * not change, so readers see the same counts before, during and after. SQLite keeps one
     * row per key already. Runs in a transaction of its own (call it outside one); while
     * another compaction of the schema runs it does nothing rather than wait for, or deadlock
     * with, that one.
     */
    async compactCounts(): Promise<void> {
      if (engine !== "postgres") return;
      await db.transaction().execute(async (trx) => {
        const free = await sql<{ free: boolean }>`
          SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || '.compact_counts')) AS free`.execute(
          trx,
        );
        if (!free.rows[0]?.free) return;
        const tables = [
          { name: "signal_counts", key: "village_code, rule_id, category, severity" },
          { name: "verification_counts", key: "village_code, deadline" },
        ];
        for (const { name, key } of tables)
          await sql
            .raw(
              `WITH gone AS (DELETE FROM ${name} RETURNING ${key}, n)
               INSERT INTO ${name} (${key}, n) SELECT ${key}, sum(n) FROM gone GROUP BY ${key} HAVING sum(n) <> 0`,
            )
            .execute(trx);
      });
    },

    /** Counties that have households in a range. */
    async countiesIn(range: [string, string]): Promise<string[]> {
      const r = await sql<{ county: string }>`
        SELECT DISTINCT substr(village_code, 1, 6) AS county FROM households
        WHERE village_code >= ${range[0]} AND village_code < ${range[1]} ORDER BY county`.execute(
        db,
      );
      return r.rows.map((x) => x.county);
    },

    async countHouseholds(range: [string, string]): Promise<number> {
      const r = await db
        .selectFrom("households")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("village_code", ">=", range[0])
        .where("village_code", "<", range[1])
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    /**
     * Open signals per rule in a range, from the counts the database keeps (migration 012):
     * grouping the open signals themselves took 0.4–0.6 s of a sweep at 1,000,000 households.
     */
    async openByRule(range: [string, string]): Promise<Record<string, number>> {
      const n = sql<number>`sum(n)`;
      const rows = await db
        .selectFrom("signal_counts")
        .select(["rule_id", n.as("n")])
        .where("village_code", ">=", range[0])
        .where("village_code", "<", range[1])
        .groupBy("rule_id")
        .having(n, ">", 0)
        .orderBy("rule_id")
        .execute();
      return Object.fromEntries(rows.map((r) => [r.rule_id, Number(r.n)]));
    },

    openSignalsOf(householdId: number) {
      return db
        .selectFrom("signals")
        .selectAll()
        .where("household_id", "=", householdId)
        .where("status", "=", "open")
        .orderBy("id")
        .execute();
    },

    /** Recent sweeps of regions inside a range (or of everything, for admins). */
    recentSweeps(range: [string, string] | null, limit: number) {
      let q = db.selectFrom("sweeps").selectAll().orderBy("id", "desc").limit(limit);
      if (range) q = q.where("region_code", ">=", range[0]).where("region_code", "<", range[1]);
      return q.execute();
    },

    async insertSweep(row: Insertable<SweepTable>) {
      await db.insertInto("sweeps").values(row).execute();
    },
  };
}
export type MonitoringRepository = ReturnType<typeof createMonitoringRepository>;
