/**
 * What-if preview of a draft policy: before a county publishes a new monitoring line or rule,
 * which households each town would gain or lose, and which ones, computed in memory over
 * columnar snapshots of the registry (one per county, loaded on first use and kept current
 * from the households the registry reports changed).
 */
import type { Kysely } from "kysely";
import { stringify } from "yaml";
import { chinaDate } from "../../core/dates.ts";
import { invalid, notFound } from "../../core/errors.ts";
import { parseRule, RuleSyntaxError } from "../../core/rules/ast.ts";
import { type Checked, checkRule, RuleTypeError } from "../../core/rules/check.ts";
import {
  type FactContext,
  factContext,
  type PolicyParams,
  policyContext,
} from "../../core/rules/context.ts";
import { type BoundJsRule, type ColumnNeed, compileJs } from "../../core/rules/js.ts";
import type { Engine } from "../../db/connect.ts";
import type { DB } from "../../db/schema.ts";
import { assertCan, inScope, scopeRange } from "../auth/auth.policy.ts";
import type { Actor } from "../auth/auth.schema.ts";
import {
  type CompiledPolicy,
  type EffectivePolicy,
  type PolicyFile,
  type PolicyService,
  parsePolicy,
  pickPolicy,
  type RuleError,
  resolvePolicy,
} from "../policy/index.ts";
import { createColumnarRepository } from "./columnar.repository.ts";
import { ColumnarSnapshot } from "./columnar.ts";
import {
  type ListedHousehold,
  type PreviewComputation,
  type PreviewPolicy,
  previewPolicy,
  type RuleDelta,
  sweepHits,
} from "./preview.ts";

export interface PreviewDeps {
  db: Kysely<DB>;
  engine: Engine;
  now: () => Date;
  policies: PolicyService;
  /** County snapshots kept in memory (least recently used go first); default 16. */
  maxSnapshots?: number;
}

type Scalar = number | string | boolean;

/** A draft: a policy file's text, and/or parameter and rule overrides of the policy in force. */
export interface PreviewInput {
  /** Region to preview (default: the actor's own). */
  region?: string;
  /** A policy file (YAML) as it would be published; it extends the file it names. */
  yaml?: string;
  /** Parameters changed (`monitoringLine: 8000`). */
  parameters?: Record<string, Scalar>;
  /** Rules changed or added (all fields but `id` optional for a rule in force). */
  rules?: ({ id: string } & Record<string, unknown>)[];
  /** Households listed on each side (default 100). */
  limit?: number;
}

export interface PreviewHousehold {
  householdNumber: string;
  headName: string | null;
  villageName: string | null;
  /** Rules it gains (in `gained`) or loses (in `lost`). */
  rules: string[];
}

export interface PreviewResult {
  region: string;
  households: number;
  rules: RuleDelta[];
  /** Households flagged by any rule, before and after. */
  total: { before: number; after: number; gained: number; lost: number };
  /** Households gaining (losing) at least one rule, by town — by village under a town. */
  byRegion: { code: string; name: string | null; gained: number; lost: number }[];
  /** The same by village. */
  byVillage: { code: string; name: string | null; gained: number; lost: number }[];
  /** Households gaining (losing) at least one rule: how many, and the first of them. */
  gainedHouseholds: number;
  lostHouseholds: number;
  gained: PreviewHousehold[];
  lost: PreviewHousehold[];
  ms: number;
}

/** A county's snapshot as a full sweep sees it (see `sweep`). */
export interface SweepView {
  /** Household id of each row. */
  ids: ArrayLike<number>;
  /** Per rule of the policy, in order: the rows (bit i & 31 of word i >>> 5) where it holds. */
  hits: Uint32Array[];
  /** The last household event the snapshot has read. */
  mark: number;
  rowOf(id: number): number;
  villageCode(row: number): string;
  /** The evidence of rule `rule` (its index) for a row, or null when it has none. */
  evidence(rule: number, row: number): Record<string, unknown> | null;
}

interface Entry {
  /** The snapshot, once loaded. */
  snapshot: Promise<ColumnarSnapshot>;
  /** Households changed since, with when they were reported (reloaded before a preview). */
  dirty: Map<number, number>;
  /** Operations on the snapshot run one at a time. */
  queue: Promise<unknown>;
  used: number;
  /**
   * The last household event the snapshot has read up to: events after it (changes made by
   * any process, e.g. a command-line import while the server runs) are reloaded first.
   */
  mark: number;
  /** The newest feed load when the snapshot last read its facts. */
  factsMark?: number | null;
  /** The newest income closing when the snapshot last read the income records. */
  incomeMark?: number | null;
}

/** How long a reported change is read again, in case its transaction had not committed. */
const COMMIT_GRACE_MS = 30_000;

/** Columns each condition reads (learnt by compiling it once). */
const needsCache = new WeakMap<Checked, readonly ColumnNeed[]>();

function needsOf(policy: PreviewPolicy, today: string): ColumnNeed[] {
  const out = new Map<string, ColumnNeed>();
  for (const c of policy.compiled) {
    let needs = needsCache.get(c.when);
    if (!needs) {
      needs = compileJs(c.when, { params: policy.parameters, today }).needs;
      needsCache.set(c.when, needs);
    }
    for (const n of needs) out.set(`${n.table}.${n.fact?.name ?? ""}.${n.column}`, n);
  }
  return [...out.values()];
}

export function createPreviewService({ db, now, policies, maxSnapshots = 16 }: PreviewDeps) {
  const repo = createColumnarRepository(db);
  const snapshots = new Map<string, Entry>();
  let clock = 0;
  /** Checked conditions by text and parameter types: a draft re-parses only what changed. */
  const checkedCache = new Map<string, Checked>();
  /** Runs `work` on the county's snapshot after bringing it up to date. */
  function withSnapshot<T>(
    county: string,
    needs: readonly ColumnNeed[],
    work: (s: ColumnarSnapshot, mark: number) => T,
  ): Promise<Awaited<T>> {
    let entry = snapshots.get(county);
    if (!entry) {
      const created: Entry = { snapshot: null!, dirty: new Map(), queue: null!, used: 0, mark: 0 };
      const snapshot = repo.lastEvent().then((mark) => {
        created.mark = mark;
        return ColumnarSnapshot.load(repo, scopeRange(county), needs);
      });
      created.snapshot = snapshot;
      created.queue = snapshot;
      entry = created;
      snapshots.set(county, entry);
      evict();
      // A failed load is forgotten, so the next preview tries again.
      snapshot.catch(() => snapshots.delete(county));
    }
    entry.used = ++clock;
    const e = entry;
    const run = e.queue.then(async (): Promise<Awaited<T>> => {
      const s = await e.snapshot;
      const since = await repo.eventsSince(e.mark);
      // Read committed: reloaded once, no grace needed.
      for (const id of since.ids) if (!e.dirty.has(id)) e.dirty.set(id, 0);
      e.mark = since.last;
      if (e.dirty.size > 0) {
        const started = Date.now();
        await s.update([...e.dirty.keys()]);
        // A change is reported inside its transaction: one reported lately may not have been
        // committed when we read it (PostgreSQL), so it is read again until it is older.
        for (const [id, at] of e.dirty) if (started - at > COMMIT_GRACE_MS) e.dirty.delete(id);
      }
      // Department data loaded since the snapshot read its facts: read them again.
      const latest = await repo.latestFeedLoad();
      if (latest !== e.factsMark) {
        if (e.factsMark !== undefined) {
          await s.reloadFacts();
          s.invalidate();
        }
        e.factsMark = latest;
      }
      // Income records written since (a year closed, by any process): read them again.
      const stale: number[] = [];
      const incomes = await repo.latestIncomeClosing();
      if (incomes !== e.incomeMark) {
        if (e.incomeMark !== undefined)
          stale.push(...(await s.refresh((c) => c.startsWith("@income"))));
        e.incomeMark = incomes;
      }
      stale.push(...(await s.ensure(needs)));
      if (stale.length > 0) await s.update(stale);
      return await work(s, e.mark);
    });
    e.queue = run.catch(() => undefined);
    return run;
  }

  function evict() {
    if (snapshots.size <= maxSnapshots) return;
    const oldest = [...snapshots].sort((a, b) => a[1].used - b[1].used)[0];
    if (oldest) snapshots.delete(oldest[0]);
  }

  function check(
    rule: string,
    when: string,
    params: PolicyParams,
    errors: RuleError[],
    facts: FactContext = {},
  ) {
    const key = `${when}\u0000${JSON.stringify(policyContext(params))}\u0000${Object.keys(facts).join()}`;
    let checked = checkedCache.get(key);
    if (!checked) {
      try {
        checked = checkRule(parseRule(when), params, facts);
        if (checked.type.kind !== "bool" && checked.type.kind !== "any")
          throw new RuleTypeError("规则条件的结果应为真假值（bool）", 0);
      } catch (e) {
        if (!(e instanceof RuleSyntaxError || e instanceof RuleTypeError)) throw e;
        errors.push({ rule, part: "when", message: e.message, position: e.position });
        return null;
      }
      if (checkedCache.size > 5000) checkedCache.clear();
      checkedCache.set(key, checked);
    }
    return checked;
  }

  /** The draft for one county: its effective policy, with conditions checked. */
  function draftFor(
    county: string,
    current: CompiledPolicy,
    input: PreviewInput,
    year: number,
  ): PreviewPolicy {
    const files = new Map(policies.files().map((f) => [f.id, f]));
    let leaf: PolicyFile | undefined = files.get(current.id);
    let effectiveYear = year;
    if (input.yaml) {
      const file = parsePolicy(input.yaml, "草稿");
      files.set(file.id, file);
      effectiveYear = Math.max(year, file.year);
      leaf = pickPolicy(files, county, effectiveYear);
    }
    if (input.parameters || input.rules) {
      if (!leaf) throw notFound(`没有 ${county} 的现行政策`, { code: "policy_not_found" });
      const overrides = parsePolicy(
        stringify({
          id: "preview-draft",
          level: "county",
          region: county,
          year: leaf.year,
          extends: leaf.id,
          title: "预览草稿",
          parameters: input.parameters ?? {},
          rules: input.rules ?? [],
        }),
        "草稿",
      );
      files.set(overrides.id, overrides);
      leaf = overrides;
    }
    const effective: EffectivePolicy =
      input.yaml || input.parameters || input.rules ? resolvePolicy(files, leaf!) : current;
    const params = effective.parameters;
    const sameTypes =
      JSON.stringify(policyContext(params)) === JSON.stringify(policyContext(current.parameters));
    const inForce = new Map(current.compiled.map((c) => [c.rule.id, c]));
    const errors: RuleError[] = [];
    const compiled: PreviewPolicy["compiled"][number][] = [];
    // Every rule is read as `appliesTo && when` (policy.compile.ts); errors point into `when`.
    const scope = effective.appliesTo;
    const sameScope = scope === current.appliesTo;
    const facts = factContext(effective.feeds);
    const checkScoped = (id: string, when: string) => {
      const own = check(id, when, params, errors, facts);
      return own && scope ? check(id, `(${scope}) && (${when})`, params, errors, facts) : own;
    };
    for (const rule of effective.rules) {
      const now = inForce.get(rule.id);
      // Unchanged text under unchanged parameter types checks the same: reuse it.
      const when =
        now && sameTypes && sameScope && now.rule.when === rule.when
          ? now.when
          : checkScoped(rule.id, rule.when);
      if (when) compiled.push({ rule, when });
    }
    if (errors.length > 0) {
      const e = errors[0]!;
      throw invalid(`规则 ${e.rule}（${e.part}）：${e.message}`, {
        code: "policy_rule_error",
        detail: { errors },
      });
    }
    return { parameters: params, compiled };
  }

  /** Adds b into a (counts and the first households, up to `limit`). */
  function merge(a: PreviewComputation, b: PreviewComputation, limit: number) {
    a.households += b.households;
    for (const k of ["before", "after", "gained", "lost"] as const) a.total[k] += b.total[k];
    a.gainedHouseholds += b.gainedHouseholds;
    a.lostHouseholds += b.lostHouseholds;
    const rules = new Map(a.rules.map((r) => [r.id, r]));
    for (const r of b.rules) {
      const x = rules.get(r.id);
      if (!x) {
        a.rules.push({ ...r });
        continue;
      }
      x.before += r.before;
      x.after += r.after;
      x.gained += r.gained;
      x.lost += r.lost;
    }
    for (const [code, c] of b.byVillage) a.byVillage.set(code, c);
    a.gained.push(...b.gained.slice(0, Math.max(0, limit - a.gained.length)));
    a.lost.push(...b.lost.slice(0, Math.max(0, limit - a.lost.length)));
  }

  return {
    /**
     * Previews a draft for a region within the actor's scope: per rule and in total, the
     * households that would newly be flagged and no longer be flagged, by town (and village),
     * and the first of them.
     */
    async preview(actor: Actor, input: PreviewInput): Promise<PreviewResult> {
      assertCan(actor, "signal.read");
      const started = performance.now();
      const region = input.region ?? actor.regionCode ?? "";
      if (!inScope(actor, region) || (actor.regionCode && region === "")) {
        throw notFound(`区划 ${region} 不存在或不在您的管辖范围内`, { code: "region_not_found" });
      }
      const limit = Math.min(Math.max(input.limit ?? 100, 0), 1000);
      const today = chinaDate(now());
      const year = Number(today.slice(0, 4));
      const counties =
        region.length >= 6
          ? [region.slice(0, 6)]
          : await repo.counties(region ? scopeRange(region) : ["", "\uffff"]);

      let result: PreviewComputation | null = null;
      for (const county of counties) {
        const current = policies.forRegion(county, year);
        const draft = draftFor(county, current, input, year);
        const needs = [...needsOf(current, today), ...needsOf(draft, today)];
        const part = await withSnapshot(county, needs, (s) =>
          previewPolicy(s, current, draft, {
            today,
            within: region.length > 6 ? region : county,
            limit,
          }),
        );
        if (result) merge(result, part, limit);
        else result = part;
      }
      result ??= {
        households: 0,
        rules: [],
        total: { before: 0, after: 0, gained: 0, lost: 0 },
        gainedHouseholds: 0,
        lostHouseholds: 0,
        byVillage: new Map(),
        gained: [],
        lost: [],
      };

      const names = new Map(
        (await repo.regionNames(region ? scopeRange(region) : ["", "\uffff"])).map((r) => [
          r.code,
          r.name,
        ]),
      );
      const regionLevel = region.length >= 9 ? 12 : 9;
      const byRegion = new Map<string, { gained: number; lost: number }>();
      for (const [village, c] of result.byVillage) {
        const code = village.slice(0, regionLevel);
        const x = byRegion.get(code) ?? { gained: 0, lost: 0 };
        x.gained += c.gained;
        x.lost += c.lost;
        byRegion.set(code, x);
      }
      const labels = new Map(
        (await repo.labels([...result.gained, ...result.lost].map((h) => h.id))).map((r) => [
          Number(r.id),
          r,
        ]),
      );
      const household = (h: ListedHousehold): PreviewHousehold => {
        const label = labels.get(h.id);
        return {
          householdNumber: label?.household_number ?? String(h.id),
          headName: label?.head_name ?? null,
          villageName: names.get(h.villageCode) ?? null,
          rules: h.rules,
        };
      };
      const regions = (m: Map<string, { gained: number; lost: number }>) =>
        [...m]
          .sort((a, b) => a[0].localeCompare(b[0]))
          .map(([code, c]) => ({ code, name: names.get(code) ?? null, ...c }));
      return {
        region,
        households: result.households,
        rules: result.rules,
        total: result.total,
        byRegion: regions(byRegion),
        byVillage: regions(result.byVillage),
        gainedHouseholds: result.gainedHouseholds,
        lostHouseholds: result.lostHouseholds,
        gained: result.gained.map(household),
        lost: result.lost.map(household),
        ms: Math.round(performance.now() - started),
      };
    },

    /**
     * Notes households that changed (the registry reports every change through monitoring's
     * `reevaluate`); snapshots reload them before their next preview. Only ids are kept here:
     * the change may still roll back, and reading inside its transaction would see it early.
     */
    markChanged(households: readonly { id: number }[]) {
      // A household may have moved between counties: every snapshot checks it.
      const at = Date.now();
      for (const entry of snapshots.values()) for (const h of households) entry.dirty.set(h.id, at);
    },

    /**
     * For a full sweep of `within` (a county or a region in it): brings the county's snapshot
     * up to date and runs `work` with each rule's TRUE rows and a reader of a rule's evidence
     * for a row. The snapshot does not change while `work` runs; `mark` is the last household
     * event it has read (households with later events are not in it yet).
     */
    sweep<T>(
      county: string,
      policy: CompiledPolicy,
      today: string,
      within: string,
      work: (view: SweepView) => Promise<T>,
    ): Promise<T> {
      const evidenceRules = policy.compiled.map((c) =>
        Object.entries(c.evidence).map(([name, checked]) => ({
          name,
          rule: compileJs(checked, { params: policy.parameters, today }),
        })),
      );
      const needs = [
        ...needsOf(policy, today),
        ...evidenceRules.flat().flatMap((x) => x.rule.needs),
      ];
      return withSnapshot(county, needs, async (s, mark) => {
        const hits = sweepHits(s, policy, today, within);
        // Bound to the snapshot as it is now, and only for rules that need them.
        const evidence = evidenceRules.map((list) =>
          list.map((x) => ({ ...x, bound: null as BoundJsRule | null })),
        );
        const village = s.h.village_code;
        if (village?.kind !== "text") throw new Error("the snapshot has no village codes");
        return work({
          ids: s.ids,
          hits,
          mark,
          rowOf: (id) => s.rowOf(id),
          villageCode: (row) => village.dict[village.codes[row]!] ?? "",
          evidence(rule, row) {
            const list = evidence[rule]!;
            if (list.length === 0) return null;
            const out: Record<string, unknown> = {};
            for (const x of list) {
              x.bound ??= x.rule.bind(s, policy.parameters);
              out[x.name] = x.bound.value(row);
            }
            return out;
          },
        });
      });
    },

    /**
     * Loads (or brings up to date) the snapshot of a county with the columns its policy reads,
     * and evaluates that policy's rules unless told not to — so that a server can have the
     * first preview answer at once.
     */
    async warm(county: string, options: { evaluate?: boolean } = {}): Promise<ColumnarSnapshot> {
      const today = chinaDate(now());
      const current = policies.forRegion(county, Number(today.slice(0, 4)));
      return withSnapshot(county, needsOf(current, today), (s) => {
        if (options.evaluate !== false) previewPolicy(s, current, current, { today, limit: 0 });
        return s;
      });
    },
  };
}
export type PreviewService = ReturnType<typeof createPreviewService>;
