/**
 * Kysely queries of assistance. Every read of household-linked rows takes the reader's scope
 * as a half-open range of village codes (null: everything).
 */
import { type Kysely, sql } from "kysely";
import type { Engine } from "../../db/connect.ts";
import type { DB } from "../../db/schema.ts";

export type Scope = [string, string] | null;

/** Households that get a helper and a plan: monitored now, or formerly poor. */
const TARGET_TYPES = ["formerly_poor", "exited"];

const HOUSEHOLD_COLUMNS = [
  "households.id",
  "households.household_number",
  "households.village_code",
  "households.head_name",
  "households.size",
  "households.household_type",
  "households.monitoring_category",
  "households.risk_factors",
] as const;

export function createAssistanceRepository(db: Kysely<DB>, engine: Engine) {
  // biome-ignore lint/suspicious/noExplicitAny: the scope filter applies to any query over a village_code column
  const inScope = <Q extends { where: (...a: any[]) => Q }>(q: Q, column: string, scope: Scope) =>
    scope ? q.where(column, ">=", scope[0]).where(column, "<", scope[1]) : q;

  return {
    async household(number: string, scope: Scope) {
      return inScope(
        db
          .selectFrom("households")
          .select(HOUSEHOLD_COLUMNS)
          .where("households.household_number", "=", number),
        "households.village_code",
        scope,
      ).executeTakeFirst();
    },

    // ── Cadres ──────────────────────────────────────────────────────────────────────
    async insertCadre(row: Omit<DB["cadres"], "id">): Promise<number> {
      const r = await db.insertInto("cadres").values(row).returning("id").executeTakeFirstOrThrow();
      return Number(r.id);
    },

    async updateCadre(id: number, changes: Partial<Omit<DB["cadres"], "id">>) {
      await db.updateTable("cadres").set(changes).where("id", "=", id).execute();
    },

    /**
     * Cadres visible from a region: kept in its subtree, or by an office above it (a village
     * sees the county's cadres).
     */
    async cadres(region: string | null, filter: { id?: number; status?: string } = {}) {
      let q = db
        .selectFrom("cadres")
        .leftJoin("users", "users.id", "cadres.user_id")
        .selectAll("cadres")
        .select([
          "users.username",
          (eb) =>
            eb
              .selectFrom("pairings")
              .select((e) => e.fn.countAll<number>().as("n"))
              .whereRef("pairings.cadre_id", "=", "cadres.id")
              .where("pairings.ended_on", "is", null)
              .as("load"),
        ])
        .orderBy("cadres.id");
      if (region) {
        const ancestors = [2, 4, 6, 9, 12]
          .filter((n) => n < region.length)
          .map((n) => region.slice(0, n));
        q = q.where((eb) =>
          eb.or([
            eb.and([
              eb("cadres.region_code", ">=", region),
              eb(
                "cadres.region_code",
                "<",
                region.slice(0, -1) + String.fromCharCode(region.charCodeAt(region.length - 1) + 1),
              ),
            ]),
            ...(ancestors.length > 0 ? [eb("cadres.region_code", "in", ancestors)] : []),
          ]),
        );
      }
      if (filter.id !== undefined) q = q.where("cadres.id", "=", filter.id);
      if (filter.status) q = q.where("cadres.status", "=", filter.status);
      return q.execute();
    },

    async cadreOfUser(userId: number) {
      return db.selectFrom("cadres").selectAll().where("user_id", "=", userId).execute();
    },

    async userId(username: string) {
      const r = await db
        .selectFrom("users")
        .select(["id", "role"])
        .where("username", "=", username)
        .executeTakeFirst();
      return r ? { id: Number(r.id), role: r.role } : undefined;
    },

    async load(cadreId: number): Promise<number> {
      const r = await db
        .selectFrom("pairings")
        .select((e) => e.fn.countAll<number>().as("n"))
        .where("cadre_id", "=", cadreId)
        .where("ended_on", "is", null)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    // ── Pairings ────────────────────────────────────────────────────────────────────
    async activePairings(householdId: number) {
      return db
        .selectFrom("pairings")
        .innerJoin("cadres", "cadres.id", "pairings.cadre_id")
        .selectAll("pairings")
        .select(["cadres.name as cadre_name", "cadres.unit", "cadres.post", "cadres.phone"])
        .where("pairings.household_id", "=", householdId)
        .where("pairings.ended_on", "is", null)
        .orderBy("pairings.id")
        .execute();
    },

    async insertPairing(row: Omit<DB["pairings"], "id">): Promise<number> {
      const r = await db
        .insertInto("pairings")
        .values(row)
        .returning("id")
        .executeTakeFirstOrThrow();
      return Number(r.id);
    },

    async endPairings(ids: number[], on: string, reason: string) {
      if (ids.length === 0) return;
      await db
        .updateTable("pairings")
        .set({ ended_on: on, end_reason: reason })
        .where("id", "in", ids)
        .where("ended_on", "is", null)
        .execute();
    },

    async pairings(
      filter: { householdId?: number; cadreId?: number; id?: number; active?: boolean },
      scope: Scope,
    ) {
      let q = db
        .selectFrom("pairings")
        .innerJoin("cadres", "cadres.id", "pairings.cadre_id")
        .innerJoin("households", "households.id", "pairings.household_id")
        .selectAll("pairings")
        .select([
          "cadres.name as cadre_name",
          "households.household_number",
          "households.head_name",
        ])
        .orderBy("pairings.id");
      q = inScope(q, "pairings.village_code", scope);
      if (filter.householdId !== undefined)
        q = q.where("pairings.household_id", "=", filter.householdId);
      if (filter.cadreId !== undefined) q = q.where("pairings.cadre_id", "=", filter.cadreId);
      if (filter.id !== undefined) q = q.where("pairings.id", "=", filter.id);
      if (filter.active) q = q.where("pairings.ended_on", "is", null);
      return q.execute();
    },

    /** Target households (monitored or formerly poor) in scope with no helper now. */
    async unpaired(scope: Scope, limit: number) {
      return inScope(
        db
          .selectFrom("households")
          .select(HOUSEHOLD_COLUMNS)
          .where((eb) =>
            eb.or([
              eb.and([
                eb("households.monitoring_category", "is not", null),
                eb(eb.fn.coalesce("households.risk_eliminated", sql.lit(0)), "=", 0),
              ]),
              eb("households.household_type", "in", TARGET_TYPES),
            ]),
          )
          .where((eb) =>
            eb.not(
              eb.exists(
                eb
                  .selectFrom("pairings")
                  .select("pairings.id")
                  .whereRef("pairings.household_id", "=", "households.id")
                  .where("pairings.ended_on", "is", null),
              ),
            ),
          )
          .orderBy("households.household_number")
          .limit(limit),
        "households.village_code",
        scope,
      ).execute();
    },

    /**
     * Households in scope without a helper now whose last pairing ended because the cadre left
     * or was transferred: the re-pairing worklist.
     */
    async toRepair(scope: Scope, reasons: string[]) {
      return inScope(
        db
          .selectFrom("pairings as p")
          .innerJoin("households", "households.id", "p.household_id")
          .innerJoin("cadres", "cadres.id", "p.cadre_id")
          .select(HOUSEHOLD_COLUMNS)
          .select([
            "p.ended_on",
            "p.end_reason",
            "cadres.name as cadre_name",
            "cadres.id as cadre_id",
          ])
          .where("p.end_reason", "in", reasons)
          .where((eb) =>
            eb.not(
              eb.exists(
                eb
                  .selectFrom("pairings as later")
                  .select("later.id")
                  .whereRef("later.household_id", "=", "p.household_id")
                  .where((e) =>
                    e.or([e("later.ended_on", "is", null), e("later.id", ">", e.ref("p.id"))]),
                  ),
              ),
            ),
          )
          .orderBy("households.household_number"),
        "p.village_code",
        scope,
      ).execute();
    },

    // ── Plans and measures ──────────────────────────────────────────────────────────
    async plan(householdId: number) {
      return db
        .selectFrom("assistance_plans")
        .selectAll()
        .where("household_id", "=", householdId)
        .executeTakeFirst();
    },

    async savePlan(row: Omit<DB["assistance_plans"], "id">) {
      const existing = await this.plan(row.household_id);
      if (existing)
        await db
          .updateTable("assistance_plans")
          .set({ goal: row.goal, updated_at: row.updated_at, updated_by: row.updated_by })
          .where("id", "=", existing.id)
          .execute();
      else await db.insertInto("assistance_plans").values(row).execute();
    },

    async measures(householdId: number) {
      return db
        .selectFrom("assistance_measures")
        .selectAll()
        .where("household_id", "=", householdId)
        .orderBy("date")
        .orderBy("id")
        .execute();
    },

    async measure(id: number, scope: Scope) {
      return inScope(
        db
          .selectFrom("assistance_measures")
          .innerJoin("households", "households.id", "assistance_measures.household_id")
          .selectAll("assistance_measures")
          .select("households.household_number")
          .where("assistance_measures.id", "=", id),
        "assistance_measures.village_code",
        scope,
      ).executeTakeFirst();
    },

    async insertMeasure(row: Omit<DB["assistance_measures"], "id">): Promise<number> {
      const r = await db
        .insertInto("assistance_measures")
        .values(row)
        .returning("id")
        .executeTakeFirstOrThrow();
      return Number(r.id);
    },

    async updateMeasure(id: number, changes: Partial<Omit<DB["assistance_measures"], "id">>) {
      await db.updateTable("assistance_measures").set(changes).where("id", "=", id).execute();
    },

    // ── Visits ──────────────────────────────────────────────────────────────────────
    async insertVisit(row: Omit<DB["visits"], "id">): Promise<number> {
      const r = await db.insertInto("visits").values(row).returning("id").executeTakeFirstOrThrow();
      return Number(r.id);
    },

    async visits(householdId: number, limit: number) {
      return db
        .selectFrom("visits")
        .leftJoin("cadres", "cadres.id", "visits.cadre_id")
        .selectAll("visits")
        .select("cadres.name as cadre_name")
        .where("visits.household_id", "=", householdId)
        .orderBy("visits.visited_on", "desc")
        .orderBy("visits.id", "desc")
        .limit(limit)
        .execute();
    },

    async visit(id: number, scope: Scope) {
      return inScope(
        db.selectFrom("visits").selectAll().where("visits.id", "=", id),
        "visits.village_code",
        scope,
      ).executeTakeFirst();
    },

    /**
     * Active pairings in scope whose household has had no visit since `cutoff` (a visit on or
     * after it is in time); without any visit the pairing's start counts.
     */
    async overdue(scope: Scope, cutoff: string, cadreIds: number[] | null) {
      const last = sql<
        string | null
      >`(SELECT MAX(v.visited_on) FROM visits v WHERE v.household_id = p.household_id AND v.visited_on >= p.started_on)`;
      let q = db
        .selectFrom("pairings as p")
        .innerJoin("households", "households.id", "p.household_id")
        .innerJoin("cadres", "cadres.id", "p.cadre_id")
        .select(HOUSEHOLD_COLUMNS)
        .select(["p.cadre_id", "p.started_on", "cadres.name as cadre_name", last.as("last_visit")])
        .where("p.ended_on", "is", null)
        .where(sql<string>`COALESCE(${last}, p.started_on)`, "<", cutoff)
        .orderBy(sql`COALESCE(${last}, p.started_on)`)
        .orderBy("households.household_number");
      q = inScope(q, "p.village_code", scope);
      if (cadreIds)
        q = cadreIds.length > 0 ? q.where("p.cadre_id", "in", cadreIds) : q.where(sql.lit(false));
      return q.execute();
    },

    /** Households paired now with any of the cadres. */
    async pairedWith(cadreIds: number[]) {
      if (cadreIds.length === 0) return [];
      return db
        .selectFrom("pairings as p")
        .innerJoin("households", "households.id", "p.household_id")
        .select(HOUSEHOLD_COLUMNS)
        .select([
          "p.cadre_id",
          "p.started_on",
          sql<
            string | null
          >`(SELECT MAX(v.visited_on) FROM visits v WHERE v.household_id = p.household_id AND v.visited_on >= p.started_on)`.as(
            "last_visit",
          ),
        ])
        .where("p.ended_on", "is", null)
        .where("p.cadre_id", "in", cadreIds)
        .orderBy("households.household_number")
        .execute();
    },

    // ── Work teams ──────────────────────────────────────────────────────────────────
    async insertTeamMember(row: Omit<DB["work_team_members"], "id">): Promise<number> {
      const r = await db
        .insertInto("work_team_members")
        .values(row)
        .returning("id")
        .executeTakeFirstOrThrow();
      return Number(r.id);
    },

    async teamMember(id: number, scope: Scope) {
      return inScope(
        db.selectFrom("work_team_members").selectAll().where("id", "=", id),
        "village_code",
        scope,
      ).executeTakeFirst();
    },

    async teamWithAttendance(village: string, month: string) {
      return db
        .selectFrom("work_team_members as w")
        .leftJoin("work_team_attendance as a", (j) =>
          j.onRef("a.member_id", "=", "w.id").on("a.month", "=", month),
        )
        .select(["w.id", "w.name", "w.unit", "w.role", "w.phone", "a.days", "a.leader_visits"])
        .where("w.village_code", "=", village)
        .where("w.status", "=", "active")
        .orderBy("w.id")
        .execute();
    },

    async saveAttendance(row: Omit<DB["work_team_attendance"], "id">) {
      const existing = await db
        .selectFrom("work_team_attendance")
        .select("id")
        .where("member_id", "=", row.member_id)
        .where("month", "=", row.month)
        .executeTakeFirst();
      if (existing)
        await db
          .updateTable("work_team_attendance")
          .set({
            days: row.days,
            leader_visits: row.leader_visits,
            note: row.note,
            recorded_at: row.recorded_at,
            recorded_by: row.recorded_by,
          })
          .where("id", "=", existing.id)
          .execute();
      else await db.insertInto("work_team_attendance").values(row).execute();
    },

    /** A village's assistance figures for a month [from, to). */
    async villageMonth(village: string, from: string, to: string) {
      const targets = await db
        .selectFrom("households")
        .select((eb) => [
          eb.fn.countAll<number>().as("households"),
          eb.fn
            .sum<number>(
              eb
                .case()
                .when(
                  eb.exists(
                    eb
                      .selectFrom("pairings")
                      .select("pairings.id")
                      .whereRef("pairings.household_id", "=", "households.id")
                      .where("pairings.ended_on", "is", null),
                  ),
                )
                .then(1)
                .else(0)
                .end(),
            )
            .as("paired"),
        ])
        .where("village_code", "=", village)
        .where((eb) =>
          eb.or([
            eb.and([
              eb("monitoring_category", "is not", null),
              eb(eb.fn.coalesce("risk_eliminated", sql.lit(0)), "=", 0),
            ]),
            eb("household_type", "in", TARGET_TYPES),
          ]),
        )
        .executeTakeFirstOrThrow();
      const visits = await db
        .selectFrom("visits")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("village_code", "=", village)
        .where("visited_on", ">=", from)
        .where("visited_on", "<", to)
        .executeTakeFirstOrThrow();
      const delivered = await db
        .selectFrom("assistance_measures")
        .select((eb) => [
          eb.fn.countAll<number>().as("n"),
          eb.fn.coalesce(eb.fn.sum<number>("amount_fen"), sql.lit(0)).as("amount"),
        ])
        .where("village_code", "=", village)
        .where("status", "=", "delivered")
        .where("date", ">=", from)
        .where("date", "<", to)
        .executeTakeFirstOrThrow();
      return {
        households: Number(targets.households),
        paired: Number(targets.paired ?? 0),
        visits: Number(visits.n),
        measuresDelivered: Number(delivered.n),
        amountDeliveredFen: Number(delivered.amount),
      };
    },

    /** Extra attributes (import columns without a field) of households in scope and their members. */
    async extras(scope: Scope) {
      const households = await inScope(
        db
          .selectFrom("households")
          .select(["id", "household_number", "village_code", "extra"])
          .where("extra", "is not", null),
        "village_code",
        scope,
      ).execute();
      const members = await inScope(
        db
          .selectFrom("members as m")
          .innerJoin("households", "households.id", "m.household_id")
          .select([
            "households.id",
            "households.household_number",
            "households.village_code",
            "m.extra",
          ])
          .where("m.status", "=", "active")
          .where("m.extra", "is not", null),
        "households.village_code",
        scope,
      ).execute();
      return [...households, ...members];
    },

    /** Measures (not stopped) of households by id, for the national export. */
    async measuresOf(ids: number[]) {
      if (ids.length === 0) return [];
      return db
        .selectFrom("assistance_measures")
        .select(["household_id", "category", "name", "note", "source"])
        .where("household_id", "in", ids)
        .where("status", "<>", "stopped")
        .orderBy("household_id")
        .orderBy("date")
        .orderBy("id")
        .execute();
    },

    async regionNames(codes: string[]) {
      const rows = await db
        .selectFrom("regions")
        .select(["code", "name"])
        .where("code", "in", codes)
        .execute();
      return new Map(rows.map((r) => [r.code, r.name]));
    },

    async teamContacts(village: string) {
      return db
        .selectFrom("work_team_members")
        .select(["name", "role", "phone"])
        .where("village_code", "=", village)
        .where("status", "=", "active")
        .where("role", "in", ["first_secretary", "leader"])
        .orderBy("id")
        .execute();
    },

    // ── Coverage (政策到位率) ───────────────────────────────────────────────────────
    /**
     * Per monitored household in scope: its risk factors each with whether a measure (not
     * stopped) of a category the policy maps to it exists; whether it has labour (a skilled or
     * ordinary labourer among its active members), any measure, a development-type measure.
     */
    async coverage(scope: Scope, riskMap: [string, string][]) {
      const map =
        riskMap.length > 0
          ? sql`VALUES ${sql.join(riskMap.map(([r, c]) => sql`(${r}, ${c})`))}`
          : sql`SELECT '', '' WHERE 1 = 0`;
      const risks =
        engine === "postgres"
          ? sql`jsonb_array_elements_text(CAST(mon.risk_factors AS jsonb)) AS je(value)`
          : sql`json_each(mon.risk_factors) AS je`;
      const range = scope
        ? sql`AND h.village_code >= ${scope[0]} AND h.village_code < ${scope[1]}`
        : sql``;
      const rows = await sql<{
        id: number;
        household_number: string;
        village_code: string;
        head_name: string | null;
        size: number;
        household_type: string | null;
        monitoring_category: string | null;
        risk: string | null;
        covered: number | null;
        labour: number;
        any_measure: number;
        development: number;
      }>`
        WITH riskmap(risk, category) AS (${map}),
        mon AS (
          SELECT h.id, h.household_number, h.village_code, h.head_name, h.size, h.household_type,
                 h.monitoring_category, h.risk_factors
          FROM households h
          WHERE h.monitoring_category IS NOT NULL AND COALESCE(h.risk_eliminated, 0) = 0 ${range}
        ),
        hr AS (
          SELECT mon.id AS household_id, je.value AS risk FROM mon, ${risks}
        )
        SELECT mon.id, mon.household_number, mon.village_code, mon.head_name, mon.size,
               mon.household_type, mon.monitoring_category, hr.risk,
               CASE WHEN hr.risk IS NULL THEN NULL
                    WHEN EXISTS (SELECT 1 FROM assistance_measures am
                                 INNER JOIN riskmap rm ON rm.category = am.category
                                 WHERE am.household_id = mon.id AND rm.risk = hr.risk
                                   AND am.status <> 'stopped') THEN 1 ELSE 0 END AS covered,
               CASE WHEN EXISTS (SELECT 1 FROM members m WHERE m.household_id = mon.id
                                   AND m.status = 'active'
                                   AND m.labor_skill IN ('skilled', 'ordinary')) THEN 1 ELSE 0 END AS labour,
               CASE WHEN EXISTS (SELECT 1 FROM assistance_measures am WHERE am.household_id = mon.id
                                   AND am.status <> 'stopped') THEN 1 ELSE 0 END AS any_measure,
               CASE WHEN EXISTS (SELECT 1 FROM assistance_measures am WHERE am.household_id = mon.id
                                   AND am.status <> 'stopped' AND am.development = 1) THEN 1 ELSE 0 END AS development
        FROM mon LEFT JOIN hr ON hr.household_id = mon.id
        ORDER BY mon.household_number, hr.risk
      `.execute(db);
      return rows.rows;
    },
  };
}
export type AssistanceRepository = ReturnType<typeof createAssistanceRepository>;
