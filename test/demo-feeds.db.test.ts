/**
 * The demo county's department data (src/cli/demo-feeds.ts): one file per feed type of the
 * policy, loaded through feeds.load, mostly matched, a few strangers unmatched, and the sweep
 * that follows raises department screening signals. Loading again changes nothing.
 */
import { expect, it } from "vitest";
import { demoIncomeYear, loadDemo } from "../src/cli/demo.ts";
import { loadDemoFeeds } from "../src/cli/demo-feeds.ts";
import { chinaDate } from "../src/core/dates.ts";
import { SYSTEM_ACTOR } from "../src/modules/auth/index.ts";
import { createServices } from "../src/server/services.ts";
import { describeEachEngine } from "./engines.ts";

describeEachEngine("demo department data", (database) => {
  it("loads every feed type, matched to demo members, and the sweep raises screening signals", async () => {
    const db = database();
    await loadDemo(db, { county: "360726", households: 600, seed: 3 });
    const services = createServices({ database: db });
    const options = { county: "360726", households: 600, seed: 1, today: chinaDate(new Date()) };
    const results = await loadDemoFeeds(db, services, options);

    const types = Object.keys(services.feeds.definitions(SYSTEM_ACTOR));
    expect(results.map((r) => r.feedType).sort()).toEqual([...types].sort());
    for (const r of results) {
      expect(r.matched, r.feedType).toBeGreaterThan(0);
      expect(r.unmatched, r.feedType).toBeGreaterThan(0);
      expect(r.matched + r.unmatched, r.feedType).toBe(r.rows);
    }

    const sweep = await services.monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    const feedRules = Object.entries(sweep.byRule).filter(([rule]) => rule.startsWith("feed."));
    expect(feedRules.length).toBeGreaterThan(3);

    // The same files again: nothing new.
    const again = await loadDemoFeeds(db, services, options);
    expect(again.map((r) => r.matched)).toEqual(results.map((r) => r.matched));
    const loads = await services.feeds.loads({ ...SYSTEM_ACTOR, regionCode: "360726" }, 100);
    expect(loads.length).toBe(types.length);
  });

  it("closes last year's incomes and some households' wages drop: the sharp-drop rule finds them", async () => {
    const db = database();
    const services = createServices({ database: db });
    const year = Number(chinaDate(new Date()).slice(0, 4)) - 1;
    const dropped = await demoIncomeYear(db, services, { county: "360726", year, every: 20 });
    expect(dropped).toBeGreaterThan(0);
    const sweep = await services.monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    expect(sweep.byRule["income.sharp_drop"] ?? 0).toBeGreaterThan(0);
    expect(sweep.byRule["income.sharp_drop"]).toBeLessThanOrEqual(dropped);
  });
});
