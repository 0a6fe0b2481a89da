/**
 * A committed load re-evaluates the households whose facts it created or superseded: the
 * medical sample opens its screening signals at once, a corrected file that supersedes them
 * resolves them at once, withdrawing that file opens them again, progress is reported per
 * chunk, and a load above the threshold
 * sweeps the county instead. Nothing happens for a dry run or a file that changed nothing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine, type TestDatabase } from "../../../test/engines.ts";
import { sampleHouseholds } from "../../../test/feed-samples.ts";
import { type Actor, SYSTEM_ACTOR } from "../auth/index.ts";
import { createMonitoringService } from "../monitoring/index.ts";
import { createPolicyService } from "../policy/index.ts";
import { createRegionsService } from "../regions/index.ts";
import { createRegistryService } from "../registry/index.ts";
import { createFeedsService } from "./feeds.service.ts";
import { type SignalRefreshProgress, withSignalRefresh } from "./feeds.signals.ts";

const sample = (type: string) =>
  new URL(`../../../docs/formats/samples/${type}.csv`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "fangpin-feed-signals-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = new Date("2026-11-20T02:00:00Z");
const policies = createPolicyService();
const department: Actor = {
  id: null,
  username: "dept",
  displayName: "部门数据专员",
  role: "department",
  regionCode: "360726",
};

describeEachEngine("signals after a feed load", (database) => {
  let monitoring: ReturnType<typeof createMonitoringService>;
  let base: ReturnType<typeof createFeedsService>;
  const progress: SignalRefreshProgress[] = [];
  let correctedLoad = 0;

  const openRules = async (householdNumber: string) => {
    const rows = await database()
      .db.selectFrom("signals")
      .innerJoin("households", "households.id", "signals.household_id")
      .select("signals.rule_id")
      .where("households.household_number", "=", householdNumber)
      .where("signals.status", "=", "open")
      .execute();
    return rows.map((r) => r.rule_id).sort();
  };
  const sweeps = async (db: TestDatabase) =>
    (await db.db.selectFrom("sweeps").select("id").execute()).length;

  beforeAll(async () => {
    const deps = { db: database().db, engine: database().engine, now: () => NOW };
    await createRegionsService(deps).load(SYSTEM_ACTOR, "360726");
    await createRegistryService(deps).bulkCreate(SYSTEM_ACTOR, sampleHouseholds(), {
      source: "demo",
    });
    monitoring = createMonitoringService({ ...deps, policies });
    base = createFeedsService({ ...deps, policies });
  });

  const refreshed = (options: { chunk?: number; sweepAbove?: number } = {}) =>
    withSignalRefresh(base, {
      db: database().db,
      reevaluate: monitoring.reevaluate,
      sweep: (county) => monitoring.sweep(SYSTEM_ACTOR, { region: county }),
      onError: (e) => {
        throw e;
      },
      ...options,
    });

  it("opens the medical sample's signals at once, one chunk at a time", async () => {
    const feeds = refreshed({ chunk: 1 });
    const dry = await feeds.load(department, "medical", sample("medical"), { dryRun: true });
    expect(dry.signals).toBeUndefined();
    expect(await openRules("360726100201S001")).not.toContain("feed.serious_illness");

    const r = await feeds.load(department, "medical", sample("medical"), {
      onSignals: (p) => progress.push(p),
    });
    expect(r.committed).toBe(true);
    expect(r.signals).toEqual({ households: 2, method: "households", done: true });
    expect(progress.map((p) => `${p.done}/${p.total}`)).toEqual(["0/2", "1/2", "2/2", "2/2"]);
    expect(await openRules("360726100201S001")).toEqual(
      expect.arrayContaining(["feed.medical_out_of_pocket_stay", "feed.serious_illness"]),
    );
    expect(await sweeps(database())).toBe(0);

    // The same file again changes no fact: nothing to re-evaluate.
    const again = await feeds.load(department, "medical", sample("medical"));
    expect(again.committed).toBe(false);
    expect(again.signals).toBeUndefined();
  });

  it("resolves them at once when a corrected file supersedes the facts", async () => {
    const corrected = readFileSync(sample("medical"), "utf8")
      .replace("肺恶性肿瘤,126500.00,38200.50,是", "肺部感染,12650.00,382.05,否")
      .replace("JS3607262026100231,安远县人民医院", "JS3607262026100231,安远县第二人民医院");
    const path = join(dir, "medical-corrected.csv");
    writeFileSync(path, corrected);
    const r = await refreshed().load(department, "medical", path);
    correctedLoad = r.loadId!;
    expect(r.facts.superseded).toBe(2);
    expect(r.signals).toEqual({ households: 2, method: "households", done: true });
    const open = await openRules("360726100201S001");
    expect(open).not.toContain("feed.serious_illness");
    expect(open).not.toContain("feed.medical_out_of_pocket_stay");
  });

  it("withdrawing the corrected load restores the facts and opens the signals again", async () => {
    const w = await refreshed().withdraw(department, correctedLoad, "误传了未核实的更正文件");
    expect({ ended: w.ended, restored: w.restored }).toEqual({ ended: 2, restored: 2 });
    expect(w.signals).toEqual({ households: 2, method: "households", done: true });
    expect(await openRules("360726100201S001")).toEqual(
      expect.arrayContaining(["feed.medical_out_of_pocket_stay", "feed.serious_illness"]),
    );
  });

  it("sweeps the county instead when a load touches more households than the threshold", async () => {
    const before = await sweeps(database());
    const r = await refreshed({ sweepAbove: 0 }).load(department, "death", sample("death"));
    expect(r.signals).toEqual({ households: 1, method: "sweep", done: true });
    expect(await sweeps(database())).toBe(before + 1);
    expect(await openRules("360726101201S003")).toContain("feed.deceased_still_listed");
  });
});
