/**
 * Assistance (帮扶): cadres and their pairings with households under the policy's quotas
 * (8531), one plan per household with measures from the policy's catalogue, helpers' visits
 * with photos and the overdue list under the policy's frequency, work teams and their monthly
 * attendance, coverage of risk factors by measures (政策到位率) and the assistance card.
 * Every read is scoped to the actor's region, every write authorised and audited in its own
 * transaction.
 */
import { randomBytes } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import type { z } from "zod";
import { chinaDate } from "../../core/dates.ts";
import { AppError, conflict, invalid, notAllowed, notFound } from "../../core/errors.ts";
import { isRealDate } from "../../core/id-number.ts";
import { addDays } from "../../core/workflow.ts";
import type { Engine } from "../../db/connect.ts";
import type { DB } from "../../db/schema.ts";
import { audit } from "../audit/index.ts";
import { type Actor, assertCan, can, inScope, scopeRange } from "../auth/index.ts";
import { checkAttachment, type FileStore } from "../cases/index.ts";
import { normalizeHeader } from "../exchange/index.ts";
import type { CompiledPolicy, PolicyService } from "../policy/index.ts";
import {
  type AssistanceRepository,
  createAssistanceRepository,
  type Scope,
} from "./assistance.repository.ts";
import {
  attendanceInput,
  type CadreChange,
  type CadreInput,
  type CadreView,
  type CoverageView,
  cadreChange,
  cadreInput,
  type MeasureInput,
  type MeasureStatus,
  type MeasureView,
  measureChange,
  measureInput,
  type PairInput,
  type PairingView,
  type PlanView,
  pairInput,
  planInput,
  type TeamReport,
  teamMemberInput,
  unpairInput,
  type VisitInput,
  visitInput,
} from "./assistance.schema.ts";
import type { CardData } from "./card.html.ts";

export interface AssistanceDeps {
  db: Kysely<DB>;
  engine: Engine;
  now: () => Date;
  policies: PolicyService;
  files: FileStore;
  /**
   * Called inside the transaction of every change to a household's measures or helpers (the
   * rules read them: monitoring re-evaluates the household, so its signals stay current).
   */
  onChanged?: (
    trx: Kysely<DB>,
    households: readonly { id: number; villageCode: string }[],
  ) => Promise<void>;
}

/** Why pairings end when a cadre leaves or is transferred (the re-pairing worklist reads these). */
const CADRE_GONE = { left: "cadre_left", transferred: "cadre_transferred" } as const;

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.join(".");
  throw invalid(`${field ? `${field}：` : ""}${issue.message}`, {
    field: field || undefined,
    code: "request_invalid",
  });
}

type HouseholdRow = NonNullable<Awaited<ReturnType<AssistanceRepository["household"]>>>;

const brief = (h: {
  household_number: string;
  village_code: string;
  head_name: string | null;
  size: number;
  household_type: string | null;
  monitoring_category: string | null;
}) => ({
  householdNumber: h.household_number,
  villageCode: h.village_code,
  headName: h.head_name,
  size: Number(h.size),
  householdType: h.household_type,
  monitoringCategory: h.monitoring_category,
});

const measureView = (m: Selectable<DB["assistance_measures"]>): MeasureView => ({
  id: Number(m.id),
  code: m.code,
  category: m.category,
  name: m.name,
  developmentType: Number(m.development) === 1,
  amountFen: Number(m.amount_fen),
  date: m.date,
  status: m.status as MeasureStatus,
  note: m.note,
  source: m.source,
});

export function createAssistanceService(deps: AssistanceDeps) {
  const { db, engine, now, policies, files } = deps;
  const changed = (trx: Kysely<DB>, households: { id: number; villageCode: string }[]) =>
    households.length > 0 && deps.onChanged ? deps.onChanged(trx, households) : Promise.resolve();
  const today = () => chinaDate(now());
  const repo = (k: Kysely<DB> = db) => createAssistanceRepository(k, engine);
  const scopeOf = (actor: Actor): Scope => (actor.regionCode ? scopeRange(actor.regionCode) : null);
  const policyFor = (region: string | null): CompiledPolicy =>
    policies.forRegion(region, Number(today().slice(0, 4)));
  const actorName = (a: Actor) => a.displayName || a.username;

  function frequency(policy: CompiledPolicy, key: "visitEveryDays" | "workTeamMinDays"): number {
    const v = policy.assistance[key];
    if (v === null)
      throw new AppError("unexpected_state", `政策 ${policy.id} 未规定 assistance.${key}`, {
        code: "policy_incomplete",
      });
    return v;
  }

  async function householdOf(
    actor: Actor,
    number: string,
    k: Kysely<DB> = db,
  ): Promise<HouseholdRow> {
    const h = await repo(k).household(number, scopeOf(actor));
    if (!h)
      throw notFound(`户编号 ${number} 不存在或不在您的管辖范围内`, {
        field: "householdNumber",
        code: "household_not_found",
      });
    return h;
  }

  /** The cadre records that stand for a helper account. */
  async function cadresOfHelper(actor: Actor, k: Kysely<DB> = db): Promise<number[]> {
    if (actor.id === null) return [];
    return (await repo(k).cadreOfUser(actor.id)).map((c) => Number(c.id));
  }

  /** A helper changes only households paired with them; staff any in scope. */
  async function assertMayWork(actor: Actor, householdId: number, k: Kysely<DB> = db) {
    if (actor.role !== "helper") return;
    const mine = await cadresOfHelper(actor, k);
    const active = await repo(k).activePairings(householdId);
    if (!active.some((p) => mine.includes(Number(p.cadre_id))))
      throw notAllowed("帮扶干部只能为本人结对帮扶的农户记录走访和措施", {
        code: "not_paired_helper",
      });
  }

  async function cadreById(actor: Actor, id: number) {
    const [c] = await repo().cadres(actor.regionCode, { id });
    if (!c)
      throw notFound(`帮扶干部 ${id} 不存在或不在您的管辖范围内`, {
        field: "cadreId",
        code: "cadre_not_found",
      });
    return c;
  }

  function cadreView(
    c: Awaited<ReturnType<AssistanceRepository["cadres"]>>[number],
    policy: CompiledPolicy,
  ): CadreView {
    return {
      id: Number(c.id),
      regionCode: c.region_code,
      name: c.name,
      unit: c.unit,
      post: c.post,
      rank: c.rank,
      rankName: policy.assistance.ranks[c.rank] ?? c.rank,
      phone: c.phone,
      status: c.status,
      statusChangedOn: c.status_changed_on,
      username: c.username ?? null,
      load: Number(c.load ?? 0),
      quota: policy.quotas[c.rank] ?? null,
    };
  }

  const pairingView = (
    p: Awaited<ReturnType<AssistanceRepository["pairings"]>>[number],
  ): PairingView => ({
    id: Number(p.id),
    cadreId: Number(p.cadre_id),
    cadreName: p.cadre_name,
    householdNumber: p.household_number,
    headName: p.head_name,
    villageCode: p.village_code,
    startedOn: p.started_on,
    startReason: p.start_reason,
    endedOn: p.ended_on,
    endReason: p.end_reason,
  });

  function catalogueEntry(policy: CompiledPolicy, code: string) {
    const m = policy.measures.find((x) => x.code === code);
    if (!m)
      throw invalid(
        `措施代码 ${code} 不在政策 ${policy.id} 的措施目录中（可选：${policy.measures.map((x) => x.code).join("、")}）`,
        { field: "code", code: "measure_not_in_catalogue" },
      );
    return m;
  }

  return {
    // ── Cadres ──────────────────────────────────────────────────────────────────────
    async cadres(actor: Actor, query: { status?: string } = {}): Promise<CadreView[]> {
      assertCan(actor, "assistance.read");
      const policy = policyFor(actor.regionCode);
      const rows = await repo().cadres(
        actor.regionCode,
        query.status ? { status: query.status } : {},
      );
      return rows.map((c) => cadreView(c, policy));
    },

    async cadre(actor: Actor, id: number) {
      assertCan(actor, "assistance.read");
      const c = await cadreById(actor, id);
      const pairings = await repo().pairings({ cadreId: id }, scopeOf(actor));
      return {
        cadre: cadreView(c, policyFor(c.region_code)),
        pairings: pairings.map(pairingView),
      };
    },

    /** 新增帮扶干部: rank must be a quota key of the policy in force. */
    async addCadre(actor: Actor, raw: CadreInput): Promise<CadreView> {
      assertCan(actor, "cadre.manage");
      const input = parse(cadreInput, raw);
      const region = input.region ?? actor.regionCode;
      if (!region || region.length > 9)
        throw invalid("请指定干部所属的县或乡镇（region）", {
          field: "region",
          code: "cadre_region",
        });
      if (!inScope(actor, region))
        throw notAllowed(`区划 ${region} 不在您的管辖范围内`, {
          field: "region",
          code: "out_of_scope",
        });
      const policy = policyFor(region);
      if (policy.quotas[input.rank] === undefined)
        throw invalid(
          `职级 ${input.rank} 不在政策 ${policy.id} 的结对名额（quotas）中，可选：${Object.keys(policy.quotas).join("、")}`,
          { field: "rank", code: "rank_unknown" },
        );
      let userId: number | null = null;
      if (input.username) {
        const u = await repo().userId(input.username);
        if (!u)
          throw invalid(`用户 ${input.username} 不存在`, {
            field: "username",
            code: "user_not_found",
          });
        userId = u.id;
      }
      const at = now().toISOString();
      const id = await db.transaction().execute(async (trx) => {
        const id = await repo(trx).insertCadre({
          region_code: region,
          name: input.name,
          unit: input.unit,
          post: input.post ?? null,
          rank: input.rank,
          phone: input.phone ?? null,
          status: "active",
          status_changed_on: null,
          user_id: userId,
          created_at: at,
          updated_at: at,
        });
        await audit(trx, actor, at, "cadre.create", {
          targetType: "cadre",
          targetId: String(id),
          regionCode: region,
          detail: { name: input.name, unit: input.unit, rank: input.rank },
        });
        return id;
      });
      return (await this.cadre(actor, id)).cadre;
    },

    /**
     * Changes a cadre; when the cadre leaves or is transferred, their pairings end with that
     * reason and the households appear on the re-pairing worklist.
     */
    async updateCadre(actor: Actor, id: number, raw: CadreChange) {
      assertCan(actor, "cadre.manage");
      const input = parse(cadreChange, raw);
      const c = await cadreById(actor, id);
      if (!inScope(actor, c.region_code))
        throw notAllowed("只能修改本级及下级管理的帮扶干部", { code: "out_of_scope" });
      if (input.rank && policyFor(c.region_code).quotas[input.rank] === undefined)
        throw invalid(`职级 ${input.rank} 不在政策的结对名额（quotas）中`, {
          field: "rank",
          code: "rank_unknown",
        });
      const at = now().toISOString();
      const on = input.on ?? today();
      let ended = 0;
      await db.transaction().execute(async (trx) => {
        const r = repo(trx);
        const statusChanged = input.status !== undefined && input.status !== c.status;
        await r.updateCadre(id, {
          ...(input.phone !== undefined ? { phone: input.phone } : {}),
          ...(input.post !== undefined ? { post: input.post } : {}),
          ...(input.unit !== undefined ? { unit: input.unit } : {}),
          ...(input.rank !== undefined ? { rank: input.rank } : {}),
          ...(statusChanged ? { status: input.status, status_changed_on: on } : {}),
          updated_at: at,
        });
        if (statusChanged && input.status !== "active") {
          const active = await r.pairings({ cadreId: id, active: true }, null);
          await r.endPairings(
            active.map((p) => Number(p.id)),
            on,
            CADRE_GONE[input.status as keyof typeof CADRE_GONE],
          );
          ended = active.length;
          await changed(
            trx,
            active.map((p) => ({ id: Number(p.household_id), villageCode: p.village_code })),
          );
        }
        await audit(trx, actor, at, "cadre.update", {
          targetType: "cadre",
          targetId: String(id),
          regionCode: c.region_code,
          detail: { ...input, pairingsEnded: ended },
        });
      });
      return { ...(await this.cadre(actor, id)), pairingsEnded: ended };
    },

    // ── Pairings ────────────────────────────────────────────────────────────────────
    /**
     * 结对: pairs a cadre with a household. Refused (invalid_data, code over_quota) when the
     * cadre already helps as many households as the policy's quota for the rank. A household
     * has one helper: an earlier pairing ends with reason "replaced".
     */
    async pair(actor: Actor, raw: PairInput) {
      assertCan(actor, "assistance.pair");
      const input = parse(pairInput, raw);
      const h = await householdOf(actor, input.householdNumber);
      const c = await cadreById(actor, input.cadreId);
      if (c.status !== "active")
        throw invalid(`帮扶干部 ${c.name} 已${c.status === "left" ? "离职" : "调动"}，不能结对`, {
          field: "cadreId",
          code: "cadre_inactive",
        });
      const policy = policyFor(h.village_code);
      const quota = policy.quotas[c.rank];
      const rankName = policy.assistance.ranks[c.rank] ?? c.rank;
      if (quota === undefined)
        throw invalid(`政策 ${policy.id} 没有职级 ${rankName} 的结对名额`, {
          field: "cadreId",
          code: "rank_unknown",
        });
      const at = now().toISOString();
      const on = input.startedOn ?? today();
      const id = await db.transaction().execute(async (trx) => {
        const r = repo(trx);
        const current = await r.activePairings(Number(h.id));
        if (current.some((p) => Number(p.cadre_id) === input.cadreId))
          throw conflict(`${c.name} 已与户编号 ${h.household_number} 结对`, {
            code: "already_paired",
          });
        const load = await r.load(input.cadreId);
        if (load >= quota)
          throw invalid(
            `超出结对名额：${rankName}最多结对帮扶 ${quota} 户（政策 ${policy.id}），${c.name} 已结对 ${load} 户`,
            { field: "cadreId", code: "over_quota", detail: { quota, load, rank: c.rank } },
          );
        await r.endPairings(
          current.map((p) => Number(p.id)),
          on,
          "replaced",
        );
        const id = await r.insertPairing({
          cadre_id: input.cadreId,
          household_id: Number(h.id),
          village_code: h.village_code,
          started_on: on,
          start_reason: input.reason ?? (current.length > 0 ? "replacement" : null),
          ended_on: null,
          end_reason: null,
          created_by: actorName(actor),
          created_at: at,
        });
        await audit(trx, actor, at, "assistance.pair", {
          targetType: "household",
          targetId: h.household_number,
          regionCode: h.village_code,
          detail: { pairing: id, cadre: input.cadreId, replaced: current.map((p) => Number(p.id)) },
        });
        await changed(trx, [{ id: Number(h.id), villageCode: h.village_code }]);
        return id;
      });
      return { pairing: String(id), cadre: String(input.cadreId), household: h.household_number };
    },

    async unpair(actor: Actor, pairingId: number, raw: { reason: string; endedOn?: string }) {
      assertCan(actor, "assistance.pair");
      const input = parse(unpairInput, raw);
      const [p] = await repo().pairings({ id: pairingId }, scopeOf(actor));
      if (!p)
        throw notFound(`结对记录 ${pairingId} 不存在或不在您的管辖范围内`, {
          code: "pairing_not_found",
        });
      if (p.ended_on)
        throw conflict(`结对记录 ${pairingId} 已于 ${p.ended_on} 解除`, { code: "pairing_ended" });
      const at = now().toISOString();
      await db.transaction().execute(async (trx) => {
        await repo(trx).endPairings([pairingId], input.endedOn ?? today(), input.reason);
        await audit(trx, actor, at, "assistance.unpair", {
          targetType: "household",
          targetId: p.household_number,
          regionCode: p.village_code,
          detail: { pairing: pairingId, reason: input.reason },
        });
        await changed(trx, [{ id: Number(p.household_id), villageCode: p.village_code }]);
      });
      const [after] = await repo().pairings({ id: pairingId }, scopeOf(actor));
      return pairingView(after!);
    },

    /** Monitored and formerly poor households in scope without a helper. */
    async unpaired(actor: Actor, query: { limit?: number } = {}) {
      assertCan(actor, "assistance.read");
      const rows = await repo().unpaired(scopeOf(actor), Math.min(query.limit ?? 500, 5000));
      return { items: rows.map(brief) };
    },

    /** 重新结对清单: households whose helper left or was transferred, not yet re-paired. */
    async repairWorklist(actor: Actor) {
      assertCan(actor, "assistance.read");
      const rows = await repo().toRepair(scopeOf(actor), Object.values(CADRE_GONE));
      return {
        items: rows.map((r) => ({
          ...brief(r),
          formerCadreId: Number(r.cadre_id),
          formerCadre: r.cadre_name,
          endedOn: r.ended_on!,
          reason: r.end_reason!,
        })),
      };
    },

    // ── Plan, measures ──────────────────────────────────────────────────────────────
    /** 一户一策: the household's helper, plan, measures, visits and pairing history. */
    async plan(actor: Actor, householdNumber: string): Promise<PlanView> {
      assertCan(actor, "assistance.read");
      const h = await householdOf(actor, householdNumber);
      const r = repo();
      const [plan, measures, visits, pairings, active] = await Promise.all([
        r.plan(Number(h.id)),
        r.measures(Number(h.id)),
        r.visits(Number(h.id), 50),
        r.pairings({ householdId: Number(h.id) }, scopeOf(actor)),
        r.activePairings(Number(h.id)),
      ]);
      const helper = active[0];
      const policy = policyFor(h.village_code);
      let mayWork = true;
      try {
        await assertMayWork(actor, Number(h.id));
      } catch {
        mayWork = false;
      }
      return {
        household: brief(h),
        helper: helper
          ? {
              pairingId: Number(helper.id),
              cadreId: Number(helper.cadre_id),
              name: helper.cadre_name,
              unit: helper.unit,
              post: helper.post,
              phone: helper.phone,
              since: helper.started_on,
            }
          : null,
        goal: plan?.goal ?? null,
        measures: measures.map(measureView),
        visits: visits.map((v) => ({
          id: Number(v.id),
          visitedOn: v.visited_on,
          notes: v.notes,
          measureIds: JSON.parse(v.measures) as number[],
          cadreName: v.cadre_name ?? null,
          hasPhoto: v.photo_key !== null,
          createdBy: v.created_by,
        })),
        pairings: pairings.map(pairingView),
        catalogue: policy.measures.map((m) => ({
          code: m.code,
          name: m.name,
          category: m.category,
          development: m.development,
        })),
        can: [
          ...(can(actor, "assistance.plan") && mayWork ? ["assistance.plan"] : []),
          ...(can(actor, "assistance.visit") && mayWork ? ["assistance.visit"] : []),
          ...(can(actor, "assistance.pair") ? ["assistance.pair"] : []),
        ],
      };
    },

    async savePlan(actor: Actor, householdNumber: string, raw: { goal: string }) {
      assertCan(actor, "assistance.plan");
      const input = parse(planInput, raw);
      const h = await householdOf(actor, householdNumber);
      await assertMayWork(actor, Number(h.id));
      const at = now().toISOString();
      await db.transaction().execute(async (trx) => {
        await repo(trx).savePlan({
          household_id: Number(h.id),
          village_code: h.village_code,
          goal: input.goal,
          updated_at: at,
          updated_by: actorName(actor),
        });
        await audit(trx, actor, at, "assistance.plan", {
          targetType: "household",
          targetId: h.household_number,
          regionCode: h.village_code,
        });
      });
      return this.plan(actor, householdNumber);
    },

    /** The household's measures, in date order. */
    async measures(actor: Actor, householdNumber: string): Promise<MeasureView[]> {
      assertCan(actor, "assistance.read");
      const h = await householdOf(actor, householdNumber);
      return (await repo().measures(Number(h.id))).map(measureView);
    },

    /**
     * Adds a measure from the policy's catalogue (category, name and development type come
     * from the catalogue entry, never from the caller).
     */
    async addMeasure(
      actor: Actor,
      householdNumber: string,
      raw: MeasureInput,
      source = "manual",
      k: Kysely<DB> | null = null,
    ): Promise<MeasureView> {
      assertCan(actor, "assistance.plan");
      const input = parse(measureInput, raw);
      const run = async (trx: Kysely<DB>) => {
        const h = await householdOf(actor, householdNumber, trx);
        await assertMayWork(actor, Number(h.id), trx);
        const entry = catalogueEntry(policyFor(h.village_code), input.code);
        const at = now().toISOString();
        const id = await repo(trx).insertMeasure({
          household_id: Number(h.id),
          village_code: h.village_code,
          code: entry.code,
          category: entry.category,
          name: entry.name,
          development: entry.development ? 1 : 0,
          amount_fen: input.amountFen,
          date: input.date,
          status: input.status,
          note: input.note ?? null,
          source,
          created_at: at,
          created_by: actorName(actor),
          updated_at: at,
        });
        await audit(trx, actor, at, "assistance.measure.add", {
          targetType: "household",
          targetId: h.household_number,
          regionCode: h.village_code,
          detail: {
            measure: id,
            code: entry.code,
            amountFen: input.amountFen,
            status: input.status,
          },
        });
        await changed(trx, [{ id: Number(h.id), villageCode: h.village_code }]);
        return id;
      };
      const id = k ? await run(k) : await db.transaction().execute(run);
      const m = await repo(k ?? db).measure(id, scopeOf(actor));
      return measureView(m!);
    },

    async updateMeasure(
      actor: Actor,
      id: number,
      raw: { amountFen?: number; date?: string; status?: MeasureStatus; note?: string },
    ): Promise<MeasureView> {
      assertCan(actor, "assistance.plan");
      const input = parse(measureChange, raw);
      const m = await repo().measure(id, scopeOf(actor));
      if (!m)
        throw notFound(`帮扶措施 ${id} 不存在或不在您的管辖范围内`, { code: "measure_not_found" });
      await assertMayWork(actor, Number(m.household_id));
      const at = now().toISOString();
      await db.transaction().execute(async (trx) => {
        await repo(trx).updateMeasure(id, {
          ...(input.amountFen !== undefined ? { amount_fen: input.amountFen } : {}),
          ...(input.date !== undefined ? { date: input.date } : {}),
          ...(input.status !== undefined ? { status: input.status } : {}),
          ...(input.note !== undefined ? { note: input.note } : {}),
          updated_at: at,
        });
        await audit(trx, actor, at, "assistance.measure.update", {
          targetType: "household",
          targetId: m.household_number,
          regionCode: m.village_code,
          detail: { measure: id, ...input },
        });
        await changed(trx, [{ id: Number(m.household_id), villageCode: m.village_code }]);
      });
      return measureView((await repo().measure(id, scopeOf(actor)))!);
    },

    // ── Visits ──────────────────────────────────────────────────────────────────────
    /** Records a visit (date, notes, measures discussed, an optional photo through the file store). */
    async recordVisit(
      actor: Actor,
      householdNumber: string,
      raw: VisitInput,
      photo?: { mime: string; data: Buffer },
    ) {
      assertCan(actor, "assistance.visit");
      const input = parse(visitInput, raw);
      const h = await householdOf(actor, householdNumber);
      await assertMayWork(actor, Number(h.id));
      if (input.visitedOn > today())
        throw invalid("走访日期不能晚于今天", { field: "visitedOn", code: "visit_in_future" });
      const own = new Set((await repo().measures(Number(h.id))).map((m) => Number(m.id)));
      const stranger = input.measureIds.find((m) => !own.has(m));
      if (stranger !== undefined)
        throw invalid(`措施 ${stranger} 不是该户的帮扶措施`, {
          field: "measureIds",
          code: "measure_not_of_household",
        });
      const checked = photo ? checkAttachment(photo.mime, photo.data) : null;
      const active = await repo().activePairings(Number(h.id));
      const mine = actor.role === "helper" ? await cadresOfHelper(actor) : [];
      const cadre = active.find((p) => mine.includes(Number(p.cadre_id))) ?? active[0];
      const at = now().toISOString();
      const key = checked ? `visits/${h.household_number}/${randomName()}.${checked.ext}` : null;
      if (key && photo) await files.put(key, photo.data);
      try {
        const id = await db.transaction().execute(async (trx) => {
          const id = await repo(trx).insertVisit({
            household_id: Number(h.id),
            village_code: h.village_code,
            cadre_id: cadre ? Number(cadre.cadre_id) : null,
            visited_on: input.visitedOn,
            notes: input.notes,
            measures: JSON.stringify(input.measureIds),
            photo_key: key,
            photo_mime: photo ? photo.mime.split(";")[0]!.trim().toLowerCase() : null,
            photo_sha256: checked?.sha256 ?? null,
            created_at: at,
            created_by: actorName(actor),
          });
          await audit(trx, actor, at, "assistance.visit", {
            targetType: "household",
            targetId: h.household_number,
            regionCode: h.village_code,
            detail: { visit: id, visitedOn: input.visitedOn, photo: key !== null },
          });
          return id;
        });
        return { id, householdNumber: h.household_number, visitedOn: input.visitedOn };
      } catch (e) {
        if (key) await files.remove(key);
        throw e;
      }
    },

    async visitPhoto(actor: Actor, visitId: number) {
      assertCan(actor, "assistance.read");
      const v = await repo().visit(visitId, scopeOf(actor));
      if (!v?.photo_key)
        throw notFound(`走访 ${visitId} 没有照片或不在您的管辖范围内`, { code: "photo_not_found" });
      return {
        mime: v.photo_mime ?? "application/octet-stream",
        data: await files.get(v.photo_key),
      };
    },

    /**
     * 走访逾期: active pairings in scope whose household has had no visit within the policy's
     * frequency (for a helper: their own households only).
     */
    async overdue(actor: Actor) {
      assertCan(actor, "assistance.read");
      const policy = policyFor(actor.regionCode);
      const every = frequency(policy, "visitEveryDays");
      const cutoff = addDays(today(), -every);
      const cadreIds = actor.role === "helper" ? await cadresOfHelper(actor) : null;
      const rows = await repo().overdue(
        actor.role === "helper" ? null : scopeOf(actor),
        cutoff,
        cadreIds,
      );
      return {
        everyDays: every,
        items: rows.map((r) => ({
          ...brief(r),
          cadreId: Number(r.cadre_id),
          cadreName: r.cadre_name,
          lastVisit: r.last_visit ?? null,
          dueOn: addDays(r.last_visit ?? r.started_on, every),
        })),
      };
    },

    /** A helper's own households with their last visit and when the next is due. */
    async mine(actor: Actor) {
      assertCan(actor, "assistance.read");
      const cadreIds = await cadresOfHelper(actor);
      const policy = policyFor(actor.regionCode);
      const every = frequency(policy, "visitEveryDays");
      const rows = await repo().pairedWith(cadreIds);
      const t = today();
      return {
        everyDays: every,
        items: rows.map((r) => {
          const dueOn = addDays(r.last_visit ?? r.started_on, every);
          return { ...brief(r), lastVisit: r.last_visit ?? null, dueOn, overdue: dueOn < t };
        }),
      };
    },

    // ── Work teams ──────────────────────────────────────────────────────────────────
    async addTeamMember(actor: Actor, raw: z.input<typeof teamMemberInput>) {
      assertCan(actor, "workteam.manage");
      const input = parse(teamMemberInput, raw);
      if (!inScope(actor, input.village))
        throw notAllowed(`行政村 ${input.village} 不在您的管辖范围内`, {
          field: "village",
          code: "out_of_scope",
        });
      const at = now().toISOString();
      const id = await db.transaction().execute(async (trx) => {
        const id = await repo(trx).insertTeamMember({
          village_code: input.village,
          name: input.name,
          unit: input.unit,
          role: input.role,
          phone: input.phone ?? null,
          status: "active",
          created_at: at,
        });
        await audit(trx, actor, at, "workteam.member.add", {
          targetType: "work_team_member",
          targetId: String(id),
          regionCode: input.village,
          detail: { name: input.name, role: input.role },
        });
        return id;
      });
      return { id };
    },

    async recordAttendance(actor: Actor, memberId: number, raw: z.input<typeof attendanceInput>) {
      assertCan(actor, "workteam.manage");
      const input = parse(attendanceInput, raw);
      const m = await repo().teamMember(memberId, scopeOf(actor));
      if (!m)
        throw notFound(`工作队员 ${memberId} 不存在或不在您的管辖范围内`, {
          code: "team_member_not_found",
        });
      const [y, mo] = input.month.split("-").map(Number) as [number, number];
      const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
      if (input.days > daysInMonth)
        throw invalid(`${input.month} 只有 ${daysInMonth} 天`, {
          field: "days",
          code: "days_too_many",
        });
      if (input.month > today().slice(0, 7))
        throw invalid("不能登记未来月份的在村天数", { field: "month", code: "month_in_future" });
      const at = now().toISOString();
      await db.transaction().execute(async (trx) => {
        await repo(trx).saveAttendance({
          member_id: memberId,
          village_code: m.village_code,
          month: input.month,
          days: input.days,
          leader_visits: input.leaderVisits,
          note: input.note ?? null,
          recorded_at: at,
          recorded_by: actorName(actor),
        });
        await audit(trx, actor, at, "workteam.attendance", {
          targetType: "work_team_member",
          targetId: String(memberId),
          regionCode: m.village_code,
          detail: { month: input.month, days: input.days, leaderVisits: input.leaderVisits },
        });
      });
      return this.teamReport(actor, m.village_code, input.month);
    },

    /** 驻村工作月报: attendance against the policy's minimum and the village's assistance figures. */
    async teamReport(actor: Actor, village: string, month: string): Promise<TeamReport> {
      assertCan(actor, "assistance.read");
      if (!/^\d{12}$/.test(village))
        throw invalid("行政村代码应为 12 位数字", { field: "village", code: "village_invalid" });
      if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month))
        throw invalid("月份应为 YYYY-MM 格式", { field: "month", code: "month_invalid" });
      if (!inScope(actor, village))
        throw notFound(`行政村 ${village} 不在您的管辖范围内`, { code: "village_not_found" });
      const minDays = frequency(policyFor(village), "workTeamMinDays");
      const [y, mo] = month.split("-").map(Number) as [number, number];
      const next = mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, "0")}`;
      const r = repo();
      const [members, figures] = await Promise.all([
        r.teamWithAttendance(village, month),
        r.villageMonth(village, `${month}-01`, `${next}-01`),
      ]);
      return {
        village,
        month,
        minDays,
        members: members.map((m) => ({
          id: Number(m.id),
          name: m.name,
          unit: m.unit,
          role: m.role,
          phone: m.phone,
          days: m.days === null ? null : Number(m.days),
          leaderVisits: m.leader_visits === null ? null : Number(m.leader_visits),
          belowMinimum: m.days === null || Number(m.days) < minDays,
        })),
        ...figures,
      };
    },

    // ── Coverage ────────────────────────────────────────────────────────────────────
    /**
     * 政策到位率 for the actor's region (or a region below it): monitored households whose every
     * risk factor is answered by a measure of a category the policy maps to it (and that have a
     * measure at all), and households with labour that have a development-type measure.
     */
    async coverage(actor: Actor, region?: string): Promise<CoverageView> {
      assertCan(actor, "assistance.read");
      const root = region ?? actor.regionCode ?? "";
      if (region && !/^\d{2,12}$/.test(region))
        throw invalid("区划代码格式不正确", { field: "region", code: "region_invalid" });
      if (region && !inScope(actor, region))
        throw notFound(`区划 ${region} 不在您的管辖范围内`, { code: "region_not_found" });
      const policy = policyFor(root || null);
      const map = Object.entries(policy.assistance.riskMeasures).flatMap(([risk, cats]) =>
        cats.map((c) => [risk, c] as [string, string]),
      );
      const rows = await repo().coverage(root ? scopeRange(root) : null, map);
      const households = new Map<
        number,
        {
          row: (typeof rows)[number];
          missing: string[];
          labour: boolean;
          any: boolean;
          dev: boolean;
        }
      >();
      const byRisk = new Map<string, { households: number; covered: number }>();
      for (const r of rows) {
        const id = Number(r.id);
        let h = households.get(id);
        if (!h) {
          h = {
            row: r,
            missing: [],
            labour: Number(r.labour) === 1,
            any: Number(r.any_measure) === 1,
            dev: Number(r.development) === 1,
          };
          households.set(id, h);
        }
        if (r.risk !== null) {
          const b = byRisk.get(r.risk) ?? { households: 0, covered: 0 };
          b.households++;
          if (Number(r.covered) === 1) b.covered++;
          else h.missing.push(r.risk);
          byRisk.set(r.risk, b);
        }
      }
      const all = [...households.values()];
      const riskCovered = all.filter((h) => h.any && h.missing.length === 0).length;
      const withLabour = all.filter((h) => h.labour);
      const developmentCovered = withLabour.filter((h) => h.dev).length;
      const share = (n: number, d: number) =>
        d === 0 ? null : Math.round((n / d) * 10000) / 10000;
      return {
        region: root,
        monitored: all.length,
        riskCovered,
        riskCoverage: share(riskCovered, all.length),
        withLabour: withLabour.length,
        developmentCovered,
        developmentCoverage: share(developmentCovered, withLabour.length),
        byRisk: [...byRisk.entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([risk, b]) => ({ risk, ...b })),
        gaps: all
          .filter((h) => !h.any || h.missing.length > 0 || (h.labour && !h.dev))
          .map((h) => ({
            ...brief(h.row),
            missingRisks: h.missing,
            missingDevelopment: h.labour && !h.dev,
          })),
      };
    },

    /**
     * Creates measures from the assistance columns of the national export (产业帮扶 … 基础设施建设)
     * that the importer kept as extra attributes: one measure per household and category with a
     * non-empty cell, from the first catalogue entry of that category, delivered, the cell's text
     * as its note, source `national`. Re-running adds nothing already imported. One transaction.
     */
    async importNational(actor: Actor, region: string, on?: string) {
      assertCan(actor, "assistance.plan");
      if (actor.role === "helper")
        throw notAllowed("帮扶干部不能批量导入帮扶措施", { code: "action_not_allowed" });
      if (!/^\d{2,12}$/.test(region))
        throw invalid("区划代码格式不正确", { field: "region", code: "region_invalid" });
      if (!inScope(actor, region))
        throw notFound(`区划 ${region} 不在您的管辖范围内`, { code: "region_not_found" });
      if (on !== undefined && !(/^\d{4}-\d{2}-\d{2}$/.test(on) && isRealDate(on)))
        throw invalid("措施日期应为 YYYY-MM-DD 格式的有效日期", {
          field: "date",
          code: "date_invalid",
        });
      const date = on ?? today();
      const rows = await repo().extras(scopeRange(region));
      const at = now().toISOString();
      return db.transaction().execute(async (trx) => {
        const r = repo(trx);
        let created = 0;
        let households = 0;
        const touched: { id: number; villageCode: string }[] = [];
        const byHousehold = new Map<number, (typeof rows)[number][]>();
        for (const row of rows) {
          const list = byHousehold.get(Number(row.id)) ?? [];
          list.push(row);
          byHousehold.set(Number(row.id), list);
        }
        for (const [id, list] of byHousehold) {
          const policy = policyFor(list[0]!.village_code);
          const texts = new Map<string, string>();
          for (const row of list) {
            const extra = JSON.parse(row.extra!) as Record<string, unknown>;
            for (const m of policy.measures) {
              const v = extra[normalizeHeader(m.category)];
              const text = v === null || v === undefined ? "" : String(v).trim();
              if (text && !["无", "否", "-", "—"].includes(text) && !texts.has(m.category))
                texts.set(m.category, text);
            }
          }
          if (texts.size === 0) continue;
          const existing = await r.measures(id);
          let added = 0;
          for (const [category, text] of texts) {
            if (
              existing.some(
                (e) => e.source === "national" && e.category === category && e.note === text,
              )
            )
              continue;
            const entry = policy.measures.find((m) => m.category === category)!;
            await r.insertMeasure({
              household_id: id,
              village_code: list[0]!.village_code,
              code: entry.code,
              category: entry.category,
              name: entry.name,
              development: entry.development ? 1 : 0,
              amount_fen: 0,
              date,
              status: "delivered",
              note: text.slice(0, 500),
              source: "national",
              created_at: at,
              created_by: actorName(actor),
              updated_at: at,
            });
            added++;
          }
          if (added > 0) {
            households++;
            touched.push({ id, villageCode: list[0]!.village_code });
          }
          created += added;
        }
        await audit(trx, actor, at, "assistance.measure.import", {
          targetType: "region",
          targetId: region,
          regionCode: region,
          detail: { measures: created, households },
        });
        await changed(trx, touched);
        return { measures: created, households };
      });
    },

    /**
     * For the national export: per household id, the texts of the assistance columns by
     * category — the names of its measures (not stopped); an imported one gives back its text.
     */
    async nationalColumns(ids: number[]): Promise<Map<number, Record<string, string>>> {
      const out = new Map<number, Record<string, string>>();
      for (const m of await repo().measuresOf(ids)) {
        const id = Number(m.household_id);
        const cells = out.get(id) ?? {};
        const text = m.source === "national" && m.note ? m.note : m.name;
        const key = normalizeHeader(m.category);
        const have = cells[key] ? cells[key].split("、") : [];
        if (!have.includes(text)) cells[key] = [...have, text].join("、");
        out.set(id, cells);
      }
      return out;
    },

    /** The data of the assistance card (明白卡); never an ID number. */
    async card(actor: Actor, householdNumber: string): Promise<CardData> {
      const plan = await this.plan(actor, householdNumber);
      const village = plan.household.villageCode;
      const policy = policyFor(village);
      const r = repo();
      const [names, team] = await Promise.all([
        r.regionNames([village, village.slice(0, 9)]),
        r.teamContacts(village),
      ]);
      const hotline = policy.parameters.objectionHotline;
      if (hotline === undefined)
        throw new AppError("unexpected_state", `政策 ${policy.id} 未规定 objectionHotline`, {
          code: "policy_incomplete",
        });
      return {
        ...plan,
        villageName: names.get(village) ?? null,
        townName: names.get(village.slice(0, 9)) ?? null,
        team,
        hotline: String(hotline),
        printedOn: today(),
      };
    },
  };
}
export type AssistanceService = ReturnType<typeof createAssistanceService>;

const randomName = () => randomBytes(12).toString("hex");
