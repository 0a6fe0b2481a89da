import { expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { household, VILLAGE_A, VILLAGE_B } from "../../../test/factories.ts";
import { AppError } from "../../core/errors.ts";
import { type Actor, SYSTEM_ACTOR } from "../auth/index.ts";
import { createPolicyService } from "../policy/index.ts";
import { createRegionsService } from "../regions/index.ts";
import { createRegistryService } from "../registry/index.ts";
import { createMonitoringService, createSignalsService } from "./index.ts";
import type { SignalView } from "./monitoring.schema.ts";

const county: Actor = {
  id: 1,
  username: "xian",
  displayName: "县",
  role: "county",
  regionCode: "360726",
};
const villageA: Actor = {
  id: 2,
  username: "cunA",
  displayName: "村",
  role: "village",
  regionCode: VILLAGE_A,
};

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

describeEachEngine("signals inbox and verification tasks", (database) => {
  let clock = new Date("2026-07-01T02:00:00Z");
  const policies = createPolicyService();
  const s = () => {
    const d = database();
    const now = () => clock;
    return {
      regions: createRegionsService({ db: d.db, now }),
      registry: createRegistryService({ db: d.db, engine: d.engine, now }),
      monitoring: createMonitoringService({ db: d.db, engine: d.engine, now, policies }),
      signals: createSignalsService({ db: d.db, now, policies }),
    };
  };

  it("lists scoped signals, assigns and records verification outcomes with history", async () => {
    const { regions, registry, monitoring, signals } = s();
    await regions.load(SYSTEM_ACTOR, "360726");
    const a = household(VILLAGE_A, { seed: 41 });
    const b = household(VILLAGE_B, { seed: 42 });
    for (const x of [a, b]) x.household.wageIncome = 100_000;
    await registry.bulkCreate(SYSTEM_ACTOR, [a, b], { source: "demo" });
    await monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });

    const all = await signals.list(county, {
      status: "open",
      limit: 100,
      rule: "income.below_line",
    });
    expect(all.items.map((i) => i.householdNumber).sort()).toEqual(
      [a.household.householdNumber, b.household.householdNumber].sort(),
    );
    const mine = await signals.list(villageA, { status: "open", limit: 100 });
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((i) => i.villageCode === VILLAGE_A)).toBe(true);
    const item = mine.items.find((i) => i.rule === "income.below_line")!;
    expect(item.message).toMatch(/^人均纯收入 .* 元，低于监测范围 7500 元$/);
    expect(item.verification).toMatchObject({
      status: "open",
      assignedRegion: null,
      deadline: "2026-07-11",
      overdue: false,
    });

    const summary = await signals.summary(county);
    expect(summary.byRule.find((r) => r.rule === "income.below_line")?.open).toBe(2);
    expect(summary.byRegion.map((r) => r.code)).toEqual([
      VILLAGE_A.slice(0, 9),
      VILLAGE_B.slice(0, 9),
    ]);

    const task = item.verification!;
    const wrong = await failure(
      signals.assign(county, task.id, { version: task.version, region: VILLAGE_B }),
    );
    expect(wrong.code).toBe("verification_region");
    expect(
      (
        await failure(
          signals.assign(villageA, task.id, { version: task.version, region: VILLAGE_A }),
        )
      ).kind,
    ).toBe("not_allowed");
    await signals.assign(county, task.id, { version: task.version, region: VILLAGE_A });
    expect(
      (await failure(signals.assign(county, task.id, { version: task.version, region: VILLAGE_A })))
        .code,
    ).toBe("version_conflict");

    clock = new Date("2026-07-20T02:00:00Z");
    const overdue = await signals.list(villageA, { status: "open", limit: 100, overdue: "true" });
    expect(overdue.items.map((i) => i.id)).toContain(item.id);
    expect((await signals.summary(county)).overdue).toBeGreaterThanOrEqual(2);

    await signals.recordOutcome(villageA, task.id, {
      version: task.version + 1,
      outcome: "dismissed",
      reason: "外出务工收入未申报，已补录",
    });
    const after = await signals.list(villageA, {
      status: "open",
      limit: 100,
      rule: "income.below_line",
    });
    expect(after.items[0]!.verification).toMatchObject({ status: "done", outcome: "dismissed" });
    const history = await signals.history(villageA, task.id);
    expect(history.map((h) => h.kind)).toEqual(["assigned", "outcome"]);
    // Another village's task is invisible to this user.
    const theirs = all.items.find((i) => i.villageCode === VILLAGE_B)!.verification!;
    expect((await failure(signals.history(villageA, theirs.id))).kind).toBe("not_found");
  });
});

describeEachEngine("signals inbox order and paging", (database) => {
  const clock = new Date("2026-07-01T02:00:00Z");
  const policies = createPolicyService();

  it("pages through every order: each open signal exactly once, in order", async () => {
    const d = database();
    const now = () => clock;
    const regions = createRegionsService({ db: d.db, now });
    const registry = createRegistryService({ db: d.db, engine: d.engine, now });
    const monitoring = createMonitoringService({ db: d.db, engine: d.engine, now, policies });
    const signals = createSignalsService({ db: d.db, now, policies });
    await regions.load(SYSTEM_ACTOR, "360726");
    // Households with risks of every severity (income, water, housing) and data-quality gaps.
    const households = Array.from({ length: 14 }, (_, k) => {
      const h = household(k % 2 ? VILLAGE_A : VILLAGE_B, { seed: 300 + k });
      if (k % 3 === 0) h.household.wageIncome = 100_000;
      if (k % 4 === 1) h.household.safeWater = false;
      if (k % 5 === 2) h.household.dangerousHouse = true;
      return h;
    });
    await registry.bulkCreate(SYSTEM_ACTOR, households, { source: "demo" });
    await monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    // Deadlines apart, some past, some tasks done: the deadline order has ties, dates and none.
    const tasks = await d.db.selectFrom("verifications").select("id").orderBy("id").execute();
    expect(tasks.length).toBeGreaterThan(6);
    for (const [k, t] of tasks.entries()) {
      const patch =
        k % 4 === 3
          ? { status: "done" as const, outcome: "already_monitored" }
          : { deadline: `2026-0${6 + (k % 3)}-${k % 2 ? "10" : "25"}` };
      await d.db.updateTable("verifications").set(patch).where("id", "=", Number(t.id)).execute();
    }
    const open = await d.db
      .selectFrom("signals")
      .select("id")
      .where("status", "=", "open")
      .execute();
    expect(open.length).toBeGreaterThan(20);
    const rank = (s: string) => ["high", "medium", "low"].indexOf(s);
    const deadlineKey = (v: SignalView["verification"]) =>
      v?.status === "open" ? v.deadline : "9999-12-31";
    const orders = {
      opened: (a: SignalView, b: SignalView) => b.id - a.id,
      severity: (a: SignalView, b: SignalView) =>
        rank(a.severity) - rank(b.severity) || b.id - a.id,
      deadline: (a: SignalView, b: SignalView) =>
        deadlineKey(a.verification).localeCompare(deadlineKey(b.verification)) || b.id - a.id,
    } as const;
    for (const [sort, order] of Object.entries(orders) as [
      keyof typeof orders,
      typeof orders.opened,
    ][]) {
      const seen: SignalView[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const page = await signals.list(county, { status: "open", limit: 4, sort, after });
        seen.push(...page.items);
        if (!page.next) break;
        after = page.next;
      }
      const ids = seen.map((s) => s.id);
      expect(new Set(ids).size, sort).toBe(ids.length);
      expect(
        [...ids].sort((a, b) => a - b),
        sort,
      ).toEqual(open.map((o) => Number(o.id)).sort((a, b) => a - b));
      expect(ids, sort).toEqual([...seen].sort(order).map((s) => s.id));
      // The first page in this order is the start of the whole order.
      expect(seen.map((s) => s.id).slice(0, 4)).toEqual(
        (await signals.list(county, { status: "open", limit: 4, sort })).items.map((s) => s.id),
      );
    }
    // The order shows: overdue tasks first, high severity first.
    const byDeadline = await signals.list(county, { status: "open", limit: 1, sort: "deadline" });
    expect(byDeadline.items[0]!.verification?.overdue).toBe(true);
    const bySeverity = await signals.list(county, { status: "open", limit: 1, sort: "severity" });
    expect(bySeverity.items[0]!.severity).toBe("high");

    // A cursor belongs to its order, and a made-up one is refused.
    const first = await signals.list(county, { status: "open", limit: 2, sort: "severity" });
    for (const [sort, after] of [
      ["deadline", first.next!],
      ["opened", "bm90IGEgY3Vyc29y"],
      ["severity", "%%%"],
    ] as const) {
      const e = await failure(signals.list(county, { status: "open", limit: 2, sort, after }));
      expect(e).toMatchObject({ kind: "invalid_data", field: "after" });
    }
  });
});
