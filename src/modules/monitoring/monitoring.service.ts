/**
 * The monitoring engine: sweeps evaluate every rule in force for every household in a region
 * (per county, with that county's policy) in JS over the county's columnar snapshot and write
 * only the signals that open or resolve; `reevaluate` does the same in SQL for the households
 * a change touched, inside its transaction, so their signals are current the moment the
 * change commits. Both compilers mean the same (core/rules differential tests), and a test
 * compares a sweep with re-evaluation, evidence included.
 */
import type { Kysely } from "kysely";
import { chinaDate } from "../../core/dates.ts";
import { notFound } from "../../core/errors.ts";
import { feedTypesRead, MemberAggregates } from "../../core/rules/sql.ts";
import type { Engine } from "../../db/connect.ts";
import type { DB } from "../../db/schema.ts";
import { audit } from "../audit/index.ts";
import { assertCan, scopeRange } from "../auth/auth.policy.ts";
import type { Actor } from "../auth/auth.schema.ts";
import { type CompiledPolicy, type PolicyService, ruleSql } from "../policy/index.ts";
import {
  createMonitoringRepository,
  type RuleStatement,
  type Target,
} from "./monitoring.repository.ts";
import { createPreviewService } from "./preview.service.ts";

export interface MonitoringDeps {
  db: Kysely<DB>;
  engine: Engine;
  now: () => Date;
  policies: PolicyService;
}

export interface SweepResult {
  households: number;
  signals: { opened: number; resolved: number; open: number };
  /** Open signals per rule after the sweep. */
  byRule: Record<string, number>;
  /** Signals opened by this sweep, per rule. */
  openedByRule: Record<string, number>;
  ms: number;
}

/** Up to this many households, a re-evaluation uses one query for all rules. */
const FEW = 50;

/** Adds days to an ISO date. */
function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Replaces `{name}` in a message template by the evidence value. */
export function renderMessage(template: string, evidence: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = evidence[k];
    if (v === null || v === undefined) return "—";
    if (typeof v === "number" && !Number.isInteger(v)) return v.toFixed(2);
    return String(v);
  });
}

export function createMonitoringService({ db, engine, now, policies }: MonitoringDeps) {
  const previews = createPreviewService({ db, engine, now, policies });
  /** The rules of a policy compiled for one date, sharing one set of member aggregates. */
  function statementsFor(policy: CompiledPolicy, today: string) {
    const aggregates = new MemberAggregates();
    const days = policy.deadlines.verificationDays ?? 15;
    const statements: RuleStatement[] = policy.compiled.map((c) => {
      const { when, evidence } = ruleSql(c, policy, engine, today, "h", aggregates);
      return {
        ruleId: c.rule.id,
        code: c.rule.code ?? null,
        category: c.rule.category,
        severity: c.rule.severity,
        verify: c.rule.verify,
        policyId: policy.id,
        when,
        evidence,
        deadline: c.rule.verify ? addDays(today, days) : null,
      };
    });
    return { statements, aggregateSelect: aggregates.select(null) };
  }

  const compiledCache = new Map<string, ReturnType<typeof statementsFor>>();
  function cachedStatements(policy: CompiledPolicy, today: string) {
    const key = `${policy.id}|${today}`;
    let hit = compiledCache.get(key);
    if (!hit) {
      hit = statementsFor(policy, today);
      if (compiledCache.size > 50) compiledCache.clear();
      compiledCache.set(key, hit);
    }
    return hit;
  }

  /** Runs every rule of the county's policy over a target inside `trx`. */
  async function evaluate(
    trx: Kysely<DB>,
    county: string,
    target: Target,
    at: string,
    override?: CompiledPolicy,
  ) {
    const repo = createMonitoringRepository(trx, engine);
    const today = chinaDate(new Date(at));
    const policy = override ?? policies.forRegion(county, Number(today.slice(0, 4)));
    const { statements, aggregateSelect } = override
      ? statementsFor(policy, today)
      : cachedStatements(policy, today);
    const byRule: Record<string, number> = {};
    let opened = 0;
    await repo.prepareWorkTables(aggregateSelect, target);
    for (const s of statements) await repo.collectHits(s, target);
    await repo.indexHits();
    let resolved = await repo.resolveCleared(
      statements.map((s) => s.ruleId),
      target,
      at,
    );
    for (const s of statements) {
      const n = await repo.openNew(s, at);
      opened += n;
      byRule[s.ruleId] = n;
    }
    await repo.dropWorkTables();
    resolved += await repo.resolveRetired(
      policy.compiled.map((c) => c.rule.id),
      target,
      at,
    );
    await repo.openVerifications(target, at);
    await repo.closeVerificationsOfResolved(target, at);
    return { opened, resolved, byRule };
  }

  /**
   * The same as `evaluate` for a handful of households (an edit, an import of one household):
   * every rule in one query, open signals compared in memory, evidence read only for new hits.
   */
  async function evaluateFew(trx: Kysely<DB>, county: string, ids: number[], at: string) {
    const repo = createMonitoringRepository(trx, engine);
    const today = chinaDate(new Date(at));
    const policy = policies.forRegion(county, Number(today.slice(0, 4)));
    const { statements, aggregateSelect } = cachedStatements(policy, today);
    const rows = await repo.evaluateFew(statements, aggregateSelect, ids);
    const open = await repo.openSignalsFor(ids);
    const openKey = new Map(open.map((o) => [`${o.household_id}|${o.rule_id}`, Number(o.id)]));
    const active = new Set(statements.map((s) => s.ruleId));
    const stillHolding = new Set<number>();
    const inserts: Parameters<typeof repo.insertSignals>[0] = [];
    for (const row of rows) {
      const id = Number(row.id);
      const hits = statements
        .map((s, index) => ({ s, index }))
        .filter(({ index }) => Number(row[`r${index}`]) === 1);
      const fresh = hits.filter(({ s }) => {
        const existing = openKey.get(`${id}|${s.ruleId}`);
        if (existing !== undefined) stillHolding.add(existing);
        return existing === undefined;
      });
      const evidence = await repo.evidenceFor(fresh, aggregateSelect, id);
      for (const { s, index } of fresh) {
        const ev = evidence.get(index);
        inserts.push({
          household_id: id,
          village_code: String(row.village_code),
          rule_id: s.ruleId,
          code: s.code,
          category: s.category,
          severity: s.severity,
          verify: s.verify ? 1 : 0,
          policy_id: s.policyId,
          status: "open",
          evidence: ev ? JSON.stringify(ev) : null,
          opened_at: at,
          deadline: s.deadline,
        });
      }
    }
    await repo.insertSignals(inserts);
    const cleared = open.filter((o) => !stillHolding.has(Number(o.id)));
    await repo.resolveSignals(
      cleared.filter((o) => active.has(o.rule_id)).map((o) => Number(o.id)),
      at,
      "condition_cleared",
    );
    await repo.resolveSignals(
      cleared.filter((o) => !active.has(o.rule_id)).map((o) => Number(o.id)),
      at,
      "rule_retired",
    );
    const target: Target = { range: scopeRange(county), ids };
    await repo.openVerifications(target, at);
    await repo.closeVerificationsOfResolved(target, at);
  }

  /**
   * A full sweep of one county (or a region in it): the rules run in JS over the county's
   * columnar snapshot (the one previews use), and only the differences with the open signals
   * are written, in one transaction. Households changed after the snapshot was brought up to
   * date are left alone: their own change re-evaluated them.
   */
  async function sweepCounty(
    county: string,
    range: [string, string],
    within: string,
    at: string,
    override?: CompiledPolicy,
  ) {
    const today = chinaDate(new Date(at));
    const policy = override ?? policies.forRegion(county, Number(today.slice(0, 4)));
    const days = policy.deadlines.verificationDays ?? 15;
    const deadline = addDays(today, days);
    // Rules on department data record their source rows as evidence (see ruleSql).
    const feedsRead = policy.compiled.map((c) => feedTypesRead(c.when));
    return previews.sweep(county, policy, today, within, (view) =>
      db.transaction().execute(async (trx) => {
        const repo = createMonitoringRepository(trx, engine);
        const skip = await repo.changedSince(view.mark);
        const index = new Map(policy.compiled.map((c, i) => [c.rule.id, i]));
        const words = view.hits[0]?.length ?? 0;
        const open = policy.compiled.map(() => new Uint32Array(words));
        const cleared: number[] = [];
        const retired: number[] = [];
        for (const o of await repo.openSignalsIn(range)) {
          const household = Number(o.household_id);
          if (skip.has(household)) continue;
          const i = index.get(o.rule_id);
          if (i === undefined) {
            retired.push(Number(o.id));
            continue;
          }
          const row = view.rowOf(household);
          const bit = row < 0 ? 0 : 1 << (row & 31);
          if (row >= 0 && view.hits[i]![row >>> 5]! & bit) open[i]![row >>> 5]! |= bit;
          else cleared.push(Number(o.id));
        }

        const byRule: Record<string, number> = {};
        const inserts: Parameters<typeof repo.insertSignals>[0] = [];
        /** New signals of rules on department data, whose evidence names the source rows. */
        const needSources = new Map<
          number,
          { household: number; evidence: Record<string, unknown> }[]
        >();
        const evidenceOf: Record<string, unknown>[] = [];
        policy.compiled.forEach((c, i) => {
          const feeds = feedsRead[i]!;
          const hits = view.hits[i]!;
          const had = open[i]!;
          let n = 0;
          for (let w = 0; w < words; w++) {
            let x = hits[w]! & ~had[w]!;
            while (x !== 0) {
              const low = x & -x;
              const row = (w << 5) + 31 - Math.clz32(low);
              x ^= low;
              const household = view.ids[row]!;
              if (skip.has(household)) continue;
              let evidence = view.evidence(i, row);
              if (feeds.length > 0 && !(evidence && "sources" in evidence)) {
                evidence = { ...evidence, sources: null };
                const list = needSources.get(i) ?? [];
                list.push({ household, evidence });
                needSources.set(i, list);
              }
              evidenceOf[inserts.length] = evidence ?? {};
              inserts.push({
                household_id: household,
                village_code: view.villageCode(row),
                rule_id: c.rule.id,
                code: c.rule.code ?? null,
                category: c.rule.category,
                severity: c.rule.severity,
                verify: c.rule.verify ? 1 : 0,
                policy_id: policy.id,
                status: "open",
                evidence: null, // written below, once the sources are known
                opened_at: at,
                deadline: c.rule.verify ? deadline : null,
              });
              n++;
            }
          }
          byRule[c.rule.id] = n;
        });
        for (const [i, list] of needSources) {
          const sources = await repo.factSources(
            list.map((x) => x.household),
            feedsRead[i]!,
          );
          for (const x of list) x.evidence.sources = sources.get(x.household) ?? null;
        }
        inserts.forEach((row, k) => {
          const evidence = evidenceOf[k]!;
          row.evidence = Object.keys(evidence).length > 0 ? JSON.stringify(evidence) : null;
        });
        const lastSignal = await repo.lastSignalId();
        await repo.insertSignals(inserts);
        await repo.openVerificationsAfter(lastSignal, at);
        const resolved =
          (await repo.resolveSignals(cleared, at, "condition_cleared")) +
          (await repo.resolveSignals(retired, at, "rule_retired"));
        await repo.closeVerificationsOf([...cleared, ...retired], at);
        return { opened: inserts.length, resolved, byRule };
      }),
    );
  }

  return {
    /** What-if preview of a draft policy over in-memory snapshots (preview.service.ts). */
    preview: previews.preview,
    previews,

    /** A full sweep of a region (default: the actor's whole scope). */
    async sweep(
      actor: Actor,
      options: { region?: string; policy?: CompiledPolicy } = {},
    ): Promise<SweepResult> {
      assertCan(actor, "household.read");
      const region = options.region ?? actor.regionCode ?? "";
      if (actor.regionCode && !region.startsWith(actor.regionCode)) {
        throw notFound(`区划 ${region} 不在您的管辖范围内`, { code: "region_not_found" });
      }
      const started = performance.now();
      const at = now().toISOString();
      const range: [string, string] = region ? scopeRange(region) : ["", "\uffff"];
      const byRule: Record<string, number> = {};
      let opened = 0;
      let resolved = 0;
      for (const county of await createMonitoringRepository(db, engine).countiesIn(range)) {
        const countyRange = scopeRange(county);
        const target: [string, string] = [
          maxOf(range[0], countyRange[0]),
          minOf(range[1], countyRange[1]),
        ];
        const within = region.length > county.length ? region : county;
        const r = await sweepCounty(county, target, within, at, options.policy);
        opened += r.opened;
        resolved += r.resolved;
        for (const [k, v] of Object.entries(r.byRule)) byRule[k] = (byRule[k] ?? 0) + v;
      }
      const result = await db.transaction().execute(async (trx) => {
        const repo = createMonitoringRepository(trx, engine);
        const households = await repo.countHouseholds(range);
        const openByRule = await repo.openByRule(range);
        const open = Object.values(openByRule).reduce((a, b) => a + b, 0);
        const ms = Math.round(performance.now() - started);
        await repo.insertSweep({
          started_at: at,
          finished_at: now().toISOString(),
          region_code: region || null,
          policy_ids: options.policy?.id ?? "auto",
          households,
          opened,
          resolved,
          open_total: open,
          by_rule: JSON.stringify(byRule),
          ms,
          actor_name: actor.username,
        });
        await audit(trx, actor, at, "monitoring.sweep", {
          targetType: "region",
          targetId: region || "all",
          detail: { opened, resolved },
        });
        return {
          households,
          signals: { opened, resolved, open },
          byRule: openByRule,
          openedByRule: byRule,
        };
      });
      // The sweep's writes left PostgreSQL's counts of open signals as deltas: fold them.
      await createMonitoringRepository(db, engine).compactCounts();
      return { ...result, ms: Math.round(performance.now() - started) };
    },

    /**
     * Re-evaluates households after a change, inside the change's transaction (`trx`), so that
     * their signals are current when it commits.
     */
    async reevaluate(
      trx: Kysely<DB>,
      households: readonly { id: number; villageCode: string }[],
    ): Promise<void> {
      const byCounty = new Map<string, number[]>();
      for (const h of households) {
        const county = h.villageCode.slice(0, 6);
        byCounty.set(county, [...(byCounty.get(county) ?? []), h.id]);
      }
      const at = now().toISOString();
      previews.markChanged(households);
      for (const [county, ids] of byCounty) {
        if (ids.length <= FEW) await evaluateFew(trx, county, ids, at);
        else await evaluate(trx, county, { range: scopeRange(county), ids }, at);
      }
    },

    /** The latest sweeps within the actor's scope, newest first. */
    async sweeps(actor: Actor, limit = 20) {
      assertCan(actor, "signal.read");
      const rows = await createMonitoringRepository(db, engine).recentSweeps(
        actor.regionCode ? scopeRange(actor.regionCode) : null,
        limit,
      );
      return rows.map((r) => ({
        id: Number(r.id),
        startedAt: r.started_at,
        regionCode: r.region_code,
        households: Number(r.households),
        opened: Number(r.opened),
        resolved: Number(r.resolved),
        open: Number(r.open_total),
        ms: r.ms === null ? null : Number(r.ms),
        actor: r.actor_name,
      }));
    },

    /** Open signals of one household, with messages rendered from the policy in force. */
    async openSignals(householdId: number, villageCode: string) {
      const rows = await createMonitoringRepository(db, engine).openSignalsOf(householdId);
      const policy = policies.forRegion(villageCode, Number(chinaDate(now()).slice(0, 4)));
      const rules = new Map(policy.compiled.map((c) => [c.rule.id, c.rule]));
      return rows.map((r) => {
        const evidence = r.evidence ? (JSON.parse(r.evidence) as Record<string, unknown>) : {};
        const rule = rules.get(r.rule_id);
        return {
          id: Number(r.id),
          rule: r.rule_id,
          name: rule?.name ?? r.rule_id,
          code: r.code ?? "",
          category: r.category,
          severity: r.severity,
          message: rule ? renderMessage(rule.message, evidence) : r.rule_id,
          evidence,
          openedAt: r.opened_at,
          deadline: r.deadline,
        };
      });
    },
  };
}
export type MonitoringService = ReturnType<typeof createMonitoringService>;

const maxOf = (a: string, b: string) => (a > b ? a : b);
const minOf = (a: string, b: string) => (a < b ? a : b);
