import { expect, it } from "vitest";
import { stringify } from "yaml";
import { generateCounty } from "../../../bench/generator.ts";
import { describeEachEngine } from "../../../test/engines.ts";
import { household, VILLAGE_A, VILLAGE_B } from "../../../test/factories.ts";
import { SYSTEM_ACTOR } from "../auth/index.ts";
import { createPolicyService, loadPolicyFiles, type PolicyFile } from "../policy/index.ts";
import { createRegionsService } from "../regions/index.ts";
import { createRegistryService } from "../registry/index.ts";
import { createMonitoringService } from "./index.ts";

describeEachEngine("monitoring", (database) => {
  let clock = new Date("2026-06-01T02:00:00Z");
  const policies = createPolicyService();
  const services = () => {
    const d = database();
    const now = () => clock;
    return {
      regions: createRegionsService({ db: d.db, now }),
      registry: createRegistryService({ db: d.db, engine: d.engine, now }),
      monitoring: createMonitoringService({ db: d.db, engine: d.engine, now, policies }),
    };
  };

  it("opens signals with evidence, keeps them open on re-sweep, and resolves them when the data changes", async () => {
    const { regions, registry, monitoring } = services();
    await regions.load(SYSTEM_ACTOR, "360726");
    const poor = household(VILLAGE_A, { seed: 1 });
    poor.household.wageIncome = 300_000; // (3,000 + 6,000 + 3,000 − 1,500) ÷ 3 = 3,500 yuan < 7,500
    poor.members.forEach((m) => {
      m.ethnicity = "汉族";
    });
    const fine = household(VILLAGE_B, { seed: 2 });
    fine.members.forEach((m) => {
      m.ethnicity = "汉族";
    });
    fine.household.safeWater = false;
    await registry.bulkCreate(SYSTEM_ACTOR, [poor, fine], { source: "demo" });

    const first = await monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    expect(first.households).toBe(2);
    expect(first.byRule["income.below_line"]).toBe(1);
    expect(first.byRule["water.unsafe"]).toBe(1);
    const poorRow = await registry.get(SYSTEM_ACTOR, poor.household.householdNumber!);
    const stored = await database()
      .db.selectFrom("signals")
      .selectAll()
      .where("rule_id", "=", "income.below_line")
      .executeTakeFirstOrThrow();
    expect(JSON.parse(stored.evidence!)).toEqual({ perCapitaIncome: 3500, monitoringLine: 7500 });
    expect(stored.deadline).toBe("2026-06-11"); // 安远县: verification within 10 days
    const open = await monitoring.openSignals(Number(stored.household_id), VILLAGE_A);
    expect(open.map((s) => s.rule)).toContain("income.below_line");
    expect(open.find((s) => s.rule === "income.below_line")!.message).toBe(
      "人均纯收入 3500 元，低于监测范围 7500 元",
    );

    const again = await monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    expect(again.signals.opened).toBe(0);
    expect(again.signals.resolved).toBe(0);
    expect(again.signals.open).toBe(first.signals.open);

    clock = new Date("2026-06-05T02:00:00Z");
    await registry.update(
      SYSTEM_ACTOR,
      poor.household.householdNumber!,
      { version: poorRow.household.version, changes: { wageIncome: 3_000_000 } },
      { source: "ui" },
    );
    const third = await monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    expect(third.signals.resolved).toBeGreaterThanOrEqual(1);
    const resolved = await database()
      .db.selectFrom("signals")
      .selectAll()
      .where("rule_id", "=", "income.below_line")
      .executeTakeFirstOrThrow();
    expect(resolved).toMatchObject({ status: "resolved", resolution: "condition_cleared" });
    const task = await database()
      .db.selectFrom("verifications")
      .selectAll()
      .where("signal_id", "=", resolved.id)
      .executeTakeFirstOrThrow();
    expect(task).toMatchObject({ status: "done", outcome: "signal_resolved" });
  });

  it("re-evaluates only the households a change touched", async () => {
    const { monitoring } = services();
    const d = database();
    const h = await d.db
      .selectFrom("households")
      .select(["id", "village_code"])
      .where("village_code", "=", VILLAGE_B)
      .executeTakeFirstOrThrow();
    await d.db.updateTable("households").set({ safe_water: 1 }).where("id", "=", h.id).execute();
    await d.db
      .transaction()
      .execute((trx) =>
        monitoring.reevaluate(trx, [{ id: Number(h.id), villageCode: h.village_code }]),
      );
    const open = await monitoring.openSignals(Number(h.id), h.village_code);
    expect(open.map((s) => s.rule)).not.toContain("water.unsafe");
  });

  it("re-evaluating a few households gives the same signals and evidence as a full sweep", async () => {
    const { regions, registry, monitoring } = services();
    const d = database();
    const villages = (await regions.villagesUnder("360726")).map((v) => v.code).slice(20, 30);
    const generated = [
      ...generateCounty({ villages, households: 45, seed: 11, today: "2026-06-05" }),
    ];
    await registry.bulkCreate(SYSTEM_ACTOR, generated, { source: "demo" });
    const rows = await d.db
      .selectFrom("households")
      .select(["id", "village_code"])
      .where("village_code", "in", villages)
      .execute();
    const snapshot = async () =>
      (
        await d.db
          .selectFrom("signals")
          .select(["household_id", "rule_id", "evidence", "deadline"])
          .where("status", "=", "open")
          .where("village_code", "in", villages)
          .execute()
      )
        .map(
          (r) =>
            `${r.household_id}|${r.rule_id}|${JSON.stringify(JSON.parse(r.evidence ?? "null"))}|${r.deadline}`,
        )
        .sort();
    await d.db.transaction().execute((trx) =>
      monitoring.reevaluate(
        trx,
        rows.map((r) => ({ id: Number(r.id), villageCode: r.village_code })),
      ),
    );
    const few = await snapshot();
    expect(few.length).toBeGreaterThan(10);
    await d.db.deleteFrom("verifications").where("village_code", "in", villages).execute();
    await d.db.deleteFrom("signals").where("village_code", "in", villages).execute();
    await monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    expect(await snapshot()).toEqual(few);
  });

  it("re-evaluates many households at once (the set-based path): opens what is new, never a second open signal", async () => {
    const { regions, registry, monitoring } = services();
    if ((await regions.count()) === 0) await regions.load(SYSTEM_ACTOR, "360726");
    const many = Array.from({ length: 60 }, (_, i) => {
      const h = household(VILLAGE_B, { seed: 300 + i });
      h.household.wageIncome = 300_000;
      return h;
    });
    await registry.bulkCreate(SYSTEM_ACTOR, many, { source: "demo" });
    const db = database().db;
    const rows = await db
      .selectFrom("households")
      .select(["id", "village_code"])
      .where(
        "household_number",
        "in",
        many.map((h) => h.household.householdNumber!),
      )
      .execute();
    const targets = rows.map((r) => ({ id: Number(r.id), villageCode: r.village_code }));
    const openCount = async (rule: string) =>
      (
        await db
          .selectFrom("signals")
          .select("household_id")
          .where("rule_id", "=", rule)
          .where("status", "=", "open")
          .where(
            "household_id",
            "in",
            targets.map((t) => t.id),
          )
          .execute()
      ).length;
    await db.transaction().execute((trx) => monitoring.reevaluate(trx, targets));
    expect(await openCount("income.below_line")).toBe(60);
    // Again: nothing new, and no second open signal of a rule for a household.
    await db.transaction().execute((trx) => monitoring.reevaluate(trx, targets));
    expect(await openCount("income.below_line")).toBe(60);
    // A change made behind the registry's back: the next re-evaluation opens the new signal.
    await db
      .updateTable("households")
      .set({ safe_water: 0 })
      .where(
        "id",
        "in",
        targets.map((t) => t.id),
      )
      .execute();
    await db.transaction().execute((trx) => monitoring.reevaluate(trx, targets));
    expect(await openCount("water.unsafe")).toBe(60);
    expect(await openCount("income.below_line")).toBe(60);
  });
});

describeEachEngine("monitoring evidence", (database) => {
  const now = () => new Date("2026-06-01T02:00:00Z");
  // A county version that adds a rule whose evidence is a boolean and a number.
  const county = loadPolicyFiles().get("county-360726-2026")!;
  const policies = createPolicyService({
    extra: () => [
      {
        ...county,
        rules: [
          {
            id: "test.water_flag",
            name: "饮水标记",
            category: "water",
            severity: "low",
            when: "h.safeWater == false",
            evidence: { safeWater: "h.safeWater", size: "h.size" },
            message: "饮水 {safeWater}",
          },
        ],
      } as PolicyFile,
    ],
  });

  it("stores boolean evidence as JSON true/false on both engines, by sweep and by re-evaluation", async () => {
    const d = database();
    const deps = { db: d.db, engine: d.engine, now };
    const monitoring = createMonitoringService({ ...deps, policies });
    await createRegionsService(deps).load(SYSTEM_ACTOR, "360726");
    const h = household(VILLAGE_A, { seed: 5 });
    h.household.safeWater = false;
    await createRegistryService(deps).bulkCreate(SYSTEM_ACTOR, [h], { source: "demo" });
    const evidence = async () =>
      JSON.parse(
        (
          await d.db
            .selectFrom("signals")
            .select("evidence")
            .where("rule_id", "=", "test.water_flag")
            .where("status", "=", "open")
            .executeTakeFirstOrThrow()
        ).evidence!,
      );
    await monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    expect(await evidence()).toEqual({ safeWater: false, size: h.members.length });
    const row = await d.db
      .selectFrom("households")
      .select(["id", "village_code"])
      .executeTakeFirstOrThrow();
    await d.db.deleteFrom("verifications").execute();
    await d.db.deleteFrom("signals").execute();
    await d.db
      .transaction()
      .execute((trx) =>
        monitoring.reevaluate(trx, [{ id: Number(row.id), villageCode: row.village_code }]),
      );
    expect(await evidence()).toEqual({ safeWater: false, size: h.members.length });
  });
});

describeEachEngine("monitoring scope", (database) => {
  const now = () => new Date("2026-06-01T02:00:00Z");

  it("watches no deregistered household: its signals close and none open, by sweep and by edit", async () => {
    const d = database();
    const deps = { db: d.db, engine: d.engine, now };
    const monitoring = createMonitoringService({ ...deps, policies: createPolicyService() });
    const registry = createRegistryService({ ...deps, onChanged: monitoring.reevaluate });
    await createRegionsService(deps).load(SYSTEM_ACTOR, "360726");
    const h = household(VILLAGE_A, { seed: 7 });
    h.household.safeWater = false;
    await registry.bulkCreate(SYSTEM_ACTOR, [h], { source: "demo" });
    await monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    const open = () =>
      d.db
        .selectFrom("signals")
        .select("rule_id")
        .where("status", "=", "open")
        .execute()
        .then((rows) => rows.map((r) => r.rule_id));
    expect(await open()).toContain("water.unsafe");

    const number = h.household.householdNumber!;
    const { household: row } = await registry.get(SYSTEM_ACTOR, number);
    await registry.update(
      SYSTEM_ACTOR,
      number,
      { version: row.version, changes: { householdType: "deregistered" } },
      { source: "ui" },
    );
    expect(await open()).toEqual([]);
    const swept = await monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    expect(swept.signals.opened).toBe(0);
    expect(await open()).toEqual([]);
  });

  it("reports a policy whose appliesTo does not compile", async () => {
    const county = loadPolicyFiles().get("county-360726-2026")!;
    const policies = createPolicyService();
    const result = policies.check(
      stringify({ ...county, id: "county-360726-draft", appliesTo: "h.nope > 1" }),
    );
    expect(result).toMatchObject({
      ok: false,
      errors: [expect.objectContaining({ rule: "appliesTo" })],
    });
  });
});

describeEachEngine("monitoring sweeps over the snapshot", (database) => {
  const now = () => new Date("2026-06-01T02:00:00Z");

  it("sees the changes another process made after its snapshot was read", async () => {
    const d = database();
    const deps = { db: d.db, engine: d.engine, now };
    const server = createMonitoringService({ ...deps, policies: createPolicyService() });
    // Another process (a command-line import, say) writes without telling the server.
    const elsewhere = createRegistryService(deps);
    await createRegionsService(deps).load(SYSTEM_ACTOR, "360726");
    const h = household(VILLAGE_A, { seed: 9 });
    h.household.safeWater = true;
    await elsewhere.bulkCreate(SYSTEM_ACTOR, [h], { source: "demo" });
    const water = () =>
      d.db
        .selectFrom("signals")
        .select(["status", "resolution"])
        .where("rule_id", "=", "water.unsafe")
        .execute();
    await server.sweep(SYSTEM_ACTOR, { region: "360726" });
    expect(await water()).toEqual([]);

    const number = h.household.householdNumber!;
    const edit = async (safeWater: boolean) => {
      const { household: row } = await elsewhere.get(SYSTEM_ACTOR, number);
      await elsewhere.update(
        SYSTEM_ACTOR,
        number,
        { version: row.version, changes: { safeWater } },
        { source: "ui" },
      );
    };
    await edit(false);
    expect((await server.sweep(SYSTEM_ACTOR, { region: "360726" })).signals.opened).toBe(1);
    expect(await water()).toEqual([{ status: "open", resolution: null }]);
    await edit(true);
    expect((await server.sweep(SYSTEM_ACTOR, { region: "360726" })).signals.resolved).toBe(1);
    expect(await water()).toEqual([{ status: "resolved", resolution: "condition_cleared" }]);
  });
});
