/**
 * 年度收入结转 and backfill: records per household and year, idempotent re-runs, scope and
 * audit, the as-of derivation from history, and rules reading last year's record — through SQL
 * (re-evaluation inside the run) and through the columnar snapshot of another process that
 * must notice the run (a sweep there must not undo what the run opened).
 */
import { expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { household, VILLAGE_A, VILLAGE_B } from "../../../test/factories.ts";
import { AppError } from "../../core/errors.ts";
import { createServices } from "../../server/services.ts";
import { type Actor, SYSTEM_ACTOR } from "../auth/index.ts";
import { createPolicyService } from "../policy/index.ts";

const county: Actor = {
  id: 1,
  username: "xian",
  displayName: "县",
  role: "county",
  regionCode: "360726",
};
const village: Actor = {
  ...county,
  id: 2,
  username: "cun",
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

describeEachEngine("annual income records", (database) => {
  let clock = new Date("2025-11-25T02:00:00Z");
  const policies = createPolicyService();
  /** Two processes over one database: each has its own snapshots. */
  const server = () => createServices({ database: database(), now: () => clock, policies });
  let one: ReturnType<typeof server>;
  let other: ReturnType<typeof server>;

  const a = household(VILLAGE_A, { seed: 71 });
  const b = household(VILLAGE_B, { seed: 72 });
  const gone = household(VILLAGE_B, { seed: 73 });
  gone.household.householdType = "deregistered";
  // Per-capita (24,000 + 6,000 + 3,000 − 1,500) ÷ 3 = 10,500 yuan.
  const no = (h: typeof a) => h.household.householdNumber!;
  const idOf = async (h: typeof a) =>
    Number(
      (
        await database()
          .db.selectFrom("households")
          .select("id")
          .where("household_number", "=", no(h))
          .executeTakeFirstOrThrow()
      ).id,
    );
  const signal = async (h: typeof a, rule: string) =>
    database()
      .db.selectFrom("signals")
      .selectAll()
      .where("household_id", "=", await idOf(h))
      .where("rule_id", "=", rule)
      .orderBy("id", "desc")
      .executeTakeFirst();
  const setWage = async (h: typeof a, wage: number) => {
    const current = await one.registry.get(SYSTEM_ACTOR, no(h));
    await one.registry.update(
      SYSTEM_ACTOR,
      no(h),
      { version: current.household.version, changes: { wageIncome: wage } },
      { source: "ui" },
    );
  };

  it("closes a year: a record per household in scope, then nothing new on a re-run", async () => {
    one = server();
    other = server();
    await one.regions.load(SYSTEM_ACTOR, "360726");
    await one.registry.bulkCreate(SYSTEM_ACTOR, [a, b, gone], { source: "demo" });

    const first = await one.incomes.closeYear(county, { year: 2025, region: VILLAGE_A });
    expect(first).toMatchObject({
      year: 2025,
      kind: "close_year",
      region: VILLAGE_A,
      households: 1,
      created: 1,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      // 2025's rules read 2024's records.
      reevaluated: 0,
    });
    const again = await one.incomes.closeYear(county, { year: 2025, region: VILLAGE_A });
    expect(again).toMatchObject({ households: 1, created: 0, updated: 0, unchanged: 1 });

    const records = await one.incomes.recordsOf(await idOf(a));
    expect(records).toEqual([
      {
        year: 2025,
        wageIncome: 2_400_000,
        businessIncome: 600_000,
        propertyIncome: 0,
        transferIncome: 300_000,
        businessCosts: 150_000,
        netIncome: 3_150_000,
        size: 3,
        perCapitaIncome: 1_050_000,
        reportedPerCapitaIncome: a.household.perCapitaIncome ?? null,
        source: "close_year",
        recordedAt: clock.toISOString(),
        recordedBy: "xian",
      },
    ]);
    const audits = await database()
      .db.selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "income.close_year")
      .execute();
    expect(audits).toHaveLength(2);
    expect((await one.incomes.closings(county)).map((c) => c.created)).toEqual([0, 1]);
  });

  it("refuses future years, other regions and users who may not close", async () => {
    const future = await failure(one.incomes.closeYear(county, { year: 2026 }));
    expect(future).toMatchObject({ kind: "invalid_data", field: "year" });
    expect(
      (await failure(one.incomes.closeYear(county, { year: 2025, region: "3607" }))).kind,
    ).toBe("not_found");
    expect((await failure(one.incomes.closeYear(village, { year: 2025 }))).kind).toBe(
      "not_allowed",
    );
    const n = await database()
      .db.selectFrom("income_closings")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(2);
  });

  it("backfills a year from the registry as it was at the year's end", async () => {
    clock = new Date("2026-03-02T02:00:00Z");
    // b's income falls in 2026; the end-of-2025 history still shows 10,500 yuan.
    await setWage(b, 1_200_000);
    const late = household(VILLAGE_B, { seed: 74 });
    await one.registry.bulkCreate(SYSTEM_ACTOR, [late], { source: "demo" });
    // The first process reads the county into its snapshot: b has no record of 2025 yet.
    await one.monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    expect(await signal(b, "income.sharp_drop")).toBeUndefined();

    // Another process backfills 2025: a keeps its closed record, the deregistered household
    // and the one created in 2026 are skipped, b gets its end-of-2025 income.
    const r = await other.incomes.backfill(county, { year: 2025 });
    expect(r).toMatchObject({ households: 4, created: 1, updated: 0, skipped: 3, reevaluated: 1 });
    const [record] = await other.incomes.recordsOf(await idOf(b));
    expect(record).toMatchObject({ year: 2025, perCapitaIncome: 1_050_000, source: "backfill" });
    // Re-evaluated inside the run: (12,000 + 6,000 + 3,000 − 1,500) ÷ 3 = 6,500, down 38 %.
    const opened = await signal(b, "income.sharp_drop");
    expect(opened?.status).toBe("open");
    const evidence = JSON.parse(opened!.evidence!) as Record<string, number>;
    expect(evidence).toMatchObject({ lastYear: 10_500, thisYear: 6_500, monitoringLine: 7_500 });
    expect(evidence.dropPercent).toBeCloseTo(38.095, 3);

    // The first process's snapshot must read the new records: its sweep keeps the signal.
    const sweep = await one.monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    expect(sweep.openedByRule["income.sharp_drop"] ?? 0).toBe(0);
    expect((await signal(b, "income.sharp_drop"))?.status).toBe("open");

    expect(await other.incomes.backfill(county, { year: 2025 })).toMatchObject({
      created: 0,
      updated: 0,
      unchanged: 1,
    });
  });

  it("closing the year again records the changed incomes and clears the drop", async () => {
    clock = new Date("2026-03-05T02:00:00Z");
    await setWage(a, 1_200_000);
    expect((await signal(a, "income.sharp_drop"))?.status).toBe("open");

    const r = await one.incomes.closeYear(county, { year: 2025 });
    // a changed; b's backfilled record becomes a closed one; the deregistered one is skipped.
    expect(r).toMatchObject({
      households: 4,
      created: 1,
      updated: 2,
      unchanged: 0,
      skipped: 1,
      reevaluated: 3,
    });
    for (const h of [a, b])
      expect(await signal(h, "income.sharp_drop")).toMatchObject({
        status: "resolved",
        resolution: "condition_cleared",
      });
    const sweep = await other.monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    expect(sweep.openedByRule["income.sharp_drop"] ?? 0).toBe(0);
  });
});
