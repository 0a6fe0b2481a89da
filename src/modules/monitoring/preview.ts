/**
 * What-if preview over a columnar snapshot: which households a draft policy would newly flag
 * and which it would no longer flag, per rule and in total, by village, with the first few of
 * each. Pure computation, no I/O (the service resolves policies, scope and names).
 *
 * Each rule's result is kept as a bitset of the households where it is TRUE, cached by the
 * rule's generated code (identical code, identical result) and brought up to date row by row
 * when the snapshot changes. Changing the monitoring line then costs one rule's evaluation and
 * a few passes of word operations over the bitsets.
 */
import type { Node } from "../../core/rules/ast.ts";
import type { Checked } from "../../core/rules/check.ts";
import type { PolicyParams } from "../../core/rules/context.ts";
import { type BoundJsRule, compileJs, type JsRule } from "../../core/rules/js.ts";
import type { ColumnarSnapshot } from "./columnar.ts";

/** The part of a compiled policy a preview needs. */
export interface PreviewPolicy {
  parameters: PolicyParams;
  compiled: readonly { rule: { id: string; name: string }; when: Checked }[];
}

export interface PreviewOptions {
  /** The evaluation date, YYYY-MM-DD. */
  today: string;
  /** Only households whose village code starts with this (default: the whole snapshot). */
  within?: string;
  /** Households listed on each side (default 100). */
  limit?: number;
}

export interface RuleDelta {
  id: string;
  name: string;
  /** Households flagged under the current policy and under the draft. */
  before: number;
  after: number;
  /** Flagged under the draft but not now, and the other way round. */
  gained: number;
  lost: number;
}

export interface ListedHousehold {
  row: number;
  id: number;
  villageCode: string;
  /** The rules it gains (or loses). */
  rules: string[];
}

export interface PreviewComputation {
  /** Households in the preview. */
  households: number;
  rules: RuleDelta[];
  /** Households flagged by any rule, before and after; gained/lost at that level. */
  total: { before: number; after: number; gained: number; lost: number };
  /** Households that gain (lose) at least one rule. */
  gainedHouseholds: number;
  lostHouseholds: number;
  /** Those households counted by village code. */
  byVillage: Map<string, { gained: number; lost: number }>;
  /** The first households (in village, id order) that gain or lose a rule. */
  gained: ListedHousehold[];
  lost: ListedHousehold[];
}

// ─── bitsets ──────────────────────────────────────────────────────────────────────

const words = (rows: number) => (rows + 31) >>> 5;

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

function count(a: Uint32Array, mask: Uint32Array): number {
  let n = 0;
  for (let w = 0; w < mask.length; w++) n += popcount((a[w] ?? 0) & mask[w]!);
  return n;
}

// ─── rule results, cached per snapshot ────────────────────────────────────────────

interface Result {
  bits: Uint32Array;
  version: number;
  used: number;
  /** Rows set within a row mask (by the mask's key), while the version holds. */
  count?: { mask: string; n: number };
}

/** A rule's result under some parameters. */
interface Bits {
  key: string;
  bits: Uint32Array;
}

/** Compiled, bound and evaluated rules of one snapshot. */
class Evaluator {
  /** Rules by generated code, and by checked expression and parameters. */
  private readonly compiled = new Map<string, JsRule>();
  private readonly compiledFor = new WeakMap<Checked, Map<string, JsRule>>();
  /** Short ids of generated code, for result keys. */
  private readonly sourceIds = new Map<string, number>();
  private readonly bound = new Map<string, { epoch: number; rule: BoundJsRule }>();
  private readonly results = new Map<string, Result>();
  private scratch = new Uint8Array(0);
  private clock = 0;
  private mask: Mask | null = null;

  constructor(private readonly snapshot: ColumnarSnapshot) {}

  compile(when: Checked, params: PolicyParams, today: string): JsRule {
    // The code depends on the date and the text and truth parameters it reads; numeric ones
    // are bound later, so a new line reuses the code.
    const key = JSON.stringify([
      today,
      ...paramsUsed(when).map((p) => (typeof params[p] === "number" ? "#" : (params[p] ?? null))),
    ]);
    let byParams = this.compiledFor.get(when);
    if (!byParams) {
      byParams = new Map();
      this.compiledFor.set(when, byParams);
    }
    let rule = byParams.get(key);
    if (!rule) {
      rule = compileJs(when, { params, today });
      // One JsRule per distinct code, so that bound code and results are shared.
      const same = this.compiled.get(rule.source);
      if (same) rule = same;
      else this.compiled.set(rule.source, rule);
      byParams.set(key, rule);
    }
    return rule;
  }

  /** The bitset of rows where the rule is TRUE under these parameters, current with the snapshot. */
  bits(rule: JsRule, params: PolicyParams): Bits {
    const s = this.snapshot;
    let id = this.sourceIds.get(rule.source);
    if (id === undefined) {
      id = this.sourceIds.size;
      this.sourceIds.set(rule.source, id);
    }
    const key = `${id}:${JSON.stringify(rule.params.map((p) => params[p]))}`;
    // Bound once per code: new parameter values go in through setParams, so the functions
    // V8 has optimised keep serving.
    let b = this.bound.get(rule.source);
    if (!b || b.epoch !== s.epoch) {
      b = { epoch: s.epoch, rule: rule.bind(s, params) };
      this.bound.set(rule.source, b);
    }
    if (rule.params.length > 0) b.rule.setParams(params);
    if (this.scratch.length < s.rows) this.scratch = new Uint8Array(Math.ceil(s.rows * 1.25));
    const out = this.scratch;
    let r = this.results.get(key);
    const changed = r && r.version !== s.version ? s.changedRowsSince(r.version) : null;
    if (r && r.version === s.version && r.bits.length >= words(s.rows)) {
      // Current.
    } else if (r && changed) {
      if (r.bits.length < words(s.rows)) {
        const grown = new Uint32Array(words(Math.ceil(s.rows * 1.25)));
        grown.set(r.bits);
        r.bits = grown;
      }
      b.rule.runRows(out, changed);
      for (const row of changed) {
        const bit = 1 << (row & 31);
        if (out[row] === 2) r.bits[row >>> 5]! |= bit;
        else r.bits[row >>> 5]! &= ~bit;
      }
      r.version = s.version;
      r.count = undefined;
    } else {
      const bits = new Uint32Array(words(s.rows));
      b.rule.runBits(bits, 0, s.rows);
      r = { bits, version: s.version, used: 0 };
      this.results.set(key, r);
    }
    r!.used = ++this.clock;
    return { key, bits: r!.bits };
  }

  /** Rows of a result within the row mask (cached until either changes). */
  count(b: Bits, mask: Mask): number {
    const r = this.results.get(b.key);
    if (r?.count?.mask === mask.key) return r.count.n;
    const n = count(b.bits, mask.bits);
    if (r) r.count = { mask: mask.key, n };
    return n;
  }

  /** The union of results within the mask (the last one asked is kept). */
  union(parts: readonly Bits[], mask: Mask): Uint32Array {
    const key = `${mask.key}|${parts.map((p) => p.key).join("|")}`;
    if (this.lastUnion?.key === key) return this.lastUnion.bits;
    const bits = new Uint32Array(mask.bits.length);
    for (const p of parts)
      for (let w = 0; w < bits.length; w++) bits[w]! |= p.bits[w]! & mask.bits[w]!;
    this.lastUnion = { key, bits };
    return bits;
  }
  private lastUnion: { key: string; bits: Uint32Array } | null = null;

  /** Rows that count: alive and within the region prefix. */
  rowMask(within: string): Mask {
    const s = this.snapshot;
    const key = `${s.version}|${s.epoch}|${within}`;
    if (this.mask?.key === key) return this.mask;
    const village = s.h.village_code;
    if (village?.kind !== "text") throw new Error("the snapshot has no village codes");
    const inside = village.dict.map((v) => (v?.startsWith(within) ? 1 : 0));
    const bits = new Uint32Array(words(s.rows));
    for (let i = 0; i < s.rows; i++)
      if (s.alive[i] && inside[village.codes[i]!]) bits[i >>> 5]! |= 1 << (i & 31);
    this.mask = { key, bits };
    return this.mask;
  }

  /** Forgets the least recently used results beyond `keep`. */
  trim(keep: number) {
    if (this.results.size <= keep) return;
    const byAge = [...this.results].sort((a, b) => a[1].used - b[1].used);
    for (const [key] of byAge.slice(0, this.results.size - keep)) this.results.delete(key);
  }
}

/** The rows a preview counts, with a key that changes when they do. */
interface Mask {
  key: string;
  bits: Uint32Array;
}

const evaluators = new WeakMap<ColumnarSnapshot, Evaluator>();

const used = new WeakMap<Checked, string[]>();

/** Names of the policy parameters an expression reads (`policy.x`). */
export function paramsUsed(checked: Checked): string[] {
  let names = used.get(checked);
  if (names) return names;
  const out = new Set<string>();
  const walk = (node: Node) => {
    switch (node.k) {
      case "select":
        if (!checked.fieldOf(node) && node.operand.k === "ident" && node.operand.name === "policy")
          out.add(node.field);
        walk(node.operand);
        return;
      case "call":
        if (node.target) walk(node.target);
        node.args.forEach(walk);
        return;
      case "list":
        node.items.forEach(walk);
        return;
      case "macro":
        walk(node.range);
        walk(node.body);
        if (node.where) walk(node.where);
        return;
      default:
        return;
    }
  };
  walk(checked.root);
  names = [...out].sort();
  used.set(checked, names);
  return names;
}

function evaluatorOf(snapshot: ColumnarSnapshot): Evaluator {
  let e = evaluators.get(snapshot);
  if (!e) {
    e = new Evaluator(snapshot);
    evaluators.set(snapshot, e);
  }
  return e;
}

/** Evaluates one rule over the snapshot (for benchmarks and tests): rows where it is TRUE. */
export function evaluateRule(
  snapshot: ColumnarSnapshot,
  when: Checked,
  params: PolicyParams,
  today: string,
): Uint32Array {
  const e = evaluatorOf(snapshot);
  return e.bits(e.compile(when, params, today), params).bits;
}

/**
 * What a full sweep needs of a snapshot: for each rule of the policy, in order, the rows
 * within the region prefix (alive ones only) where it is TRUE. Results are cached like a
 * preview's, so a sweep warms the next preview and the other way round.
 */
export function sweepHits(
  snapshot: ColumnarSnapshot,
  policy: PreviewPolicy,
  today: string,
  within: string,
): Uint32Array[] {
  const e = evaluatorOf(snapshot);
  const mask = e.rowMask(within).bits;
  const hits = policy.compiled.map((c) => {
    const bits = e.bits(e.compile(c.when, policy.parameters, today), policy.parameters).bits;
    const out = new Uint32Array(mask.length);
    for (let w = 0; w < out.length; w++) out[w] = bits[w]! & mask[w]!;
    return out;
  });
  e.trim(Math.max(64, 3 * policy.compiled.length));
  return hits;
}

// ─── the preview ──────────────────────────────────────────────────────────────────

export function previewPolicy(
  snapshot: ColumnarSnapshot,
  current: PreviewPolicy,
  draft: PreviewPolicy,
  options: PreviewOptions,
): PreviewComputation {
  const e = evaluatorOf(snapshot);
  const { today } = options;
  const limit = options.limit ?? 100;
  const rowMask = e.rowMask(options.within ?? "");
  const mask = rowMask.bits;
  const n = mask.length;

  const before = new Map(current.compiled.map((c) => [c.rule.id, c]));
  const after = new Map(draft.compiled.map((c) => [c.rule.id, c]));
  const ids = [...before.keys(), ...[...after.keys()].filter((id) => !before.has(id))];

  const gainedAny = new Uint32Array(n);
  const lostAny = new Uint32Array(n);
  const rules: RuleDelta[] = [];
  /** Results that do not change (their union is cached), and those that do. */
  const unchanged: Bits[] = [];
  const changedBefore: Bits[] = [];
  const changedAfter: Bits[] = [];
  /** Rules whose result differs, with their bitsets (to list what each household gains). */
  const changed: { id: string; b: Uint32Array | null; a: Uint32Array | null }[] = [];

  for (const id of ids) {
    const cb = before.get(id);
    const ca = after.get(id);
    const rb = cb ? e.compile(cb.when, current.parameters, today) : null;
    const ra = ca ? e.compile(ca.when, draft.parameters, today) : null;
    const bb = rb ? e.bits(rb, current.parameters) : null;
    const same =
      ra === rb &&
      ra !== null &&
      ra.params.every((p) => current.parameters[p] === draft.parameters[p]);
    const ab = same ? bb : ra ? e.bits(ra, draft.parameters) : null;
    const name = (ca ?? cb)!.rule.name;
    const nb = bb ? e.count(bb, rowMask) : 0;
    if (ab?.key === bb?.key) {
      if (bb) unchanged.push(bb);
      rules.push({ id, name, before: nb, after: nb, gained: 0, lost: 0 });
      continue;
    }
    if (bb) changedBefore.push(bb);
    if (ab) changedAfter.push(ab);
    const b = bb?.bits ?? null;
    const a = ab?.bits ?? null;
    const na = ab ? e.count(ab, rowMask) : 0;
    let gained = 0;
    let lost = 0;
    for (let w = 0; w < n; w++) {
      const x = (b?.[w] ?? 0) & mask[w]!;
      const y = (a?.[w] ?? 0) & mask[w]!;
      const g = y & ~x;
      const l = x & ~y;
      if (g) {
        gained += popcount(g);
        gainedAny[w]! |= g;
      }
      if (l) {
        lost += popcount(l);
        lostAny[w]! |= l;
      }
    }
    rules.push({ id, name, before: nb, after: na, gained, lost });
    if (gained > 0 || lost > 0) changed.push({ id, b, a });
  }
  const base = e.union(unchanged, rowMask);
  const anyBefore = Uint32Array.from(base);
  const anyAfter = Uint32Array.from(base);
  for (const p of changedBefore) for (let w = 0; w < n; w++) anyBefore[w]! |= p.bits[w]! & mask[w]!;
  for (const p of changedAfter) for (let w = 0; w < n; w++) anyAfter[w]! |= p.bits[w]! & mask[w]!;
  e.trim(Math.max(64, 3 * ids.length));

  let totalGained = 0;
  let totalLost = 0;
  for (let w = 0; w < n; w++) {
    totalGained += popcount(anyAfter[w]! & ~anyBefore[w]!);
    totalLost += popcount(anyBefore[w]! & ~anyAfter[w]!);
  }

  const village = snapshot.h.village_code as {
    codes: ArrayLike<number>;
    dict: readonly (string | null)[];
  };
  const byCode = new Map<number, { gained: number; lost: number }>();
  const list = (bits: Uint32Array, side: "gained" | "lost") => {
    const listed: ListedHousehold[] = [];
    let households = 0;
    for (let w = 0; w < n; w++) {
      let x = bits[w]!;
      while (x !== 0) {
        const low = x & -x;
        const row = (w << 5) + 31 - Math.clz32(low);
        x ^= low;
        households++;
        const code = village.codes[row]!;
        let c = byCode.get(code);
        if (!c) {
          c = { gained: 0, lost: 0 };
          byCode.set(code, c);
        }
        c[side]++;
        if (listed.length < limit) {
          const bit = 1 << (row & 31);
          const rulesOf = changed
            .filter((r) =>
              side === "gained"
                ? (r.a?.[w] ?? 0) & bit && !((r.b?.[w] ?? 0) & bit)
                : (r.b?.[w] ?? 0) & bit && !((r.a?.[w] ?? 0) & bit),
            )
            .map((r) => r.id);
          listed.push({
            row,
            id: snapshot.ids[row]!,
            villageCode: village.dict[code] ?? "",
            rules: rulesOf,
          });
        }
      }
    }
    return { listed, households };
  };
  const g = list(gainedAny, "gained");
  const l = list(lostAny, "lost");
  const byVillage = new Map<string, { gained: number; lost: number }>();
  for (const [code, c] of byCode) byVillage.set(village.dict[code] ?? "", c);

  return {
    households: count(mask, mask),
    rules,
    total: {
      before: count(anyBefore, mask),
      after: count(anyAfter, mask),
      gained: totalGained,
      lost: totalLost,
    },
    gainedHouseholds: g.households,
    lostHouseholds: l.households,
    byVillage,
    gained: g.listed,
    lost: l.listed,
  };
}
