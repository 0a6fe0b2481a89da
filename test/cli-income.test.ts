/**
 * The income commands' contract, on the real binary: `income close-year <Y> --json` prints one
 * JSON object with the run's counts, a re-run changes nothing, and a bad or future year exits 2.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Engine } from "../src/db/connect.ts";
import { migrate } from "../src/db/migrate.ts";
import { SYSTEM_ACTOR } from "../src/modules/auth/index.ts";
import { createRegionsService } from "../src/modules/regions/index.ts";
import { createRegistryService } from "../src/modules/registry/index.ts";
import { type Run, runFangpin } from "./cli-run.ts";
import { ENGINES, freshDatabaseUrl, PG_URL } from "./engines.ts";
import { household, VILLAGE_A, VILLAGE_B } from "./factories.ts";

const NOW = "2026-06-01T02:00:00Z";

function jsonOf(run: Run): Record<string, unknown> {
  expect(run.stdout.trim().split("\n"), `one line on stdout; stderr:\n${run.stderr}`).toHaveLength(
    1,
  );
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

for (const engine of ENGINES as readonly Engine[]) {
  describe.skipIf(engine === "postgres" && !PG_URL)(`income close-year [${engine}]`, () => {
    let db: ReturnType<typeof freshDatabaseUrl>;
    const fangpin = (...args: string[]) =>
      runFangpin([...args, "--db", db.url, "--json"], { FANGPIN_NOW: NOW });

    beforeAll(async () => {
      db = freshDatabaseUrl(engine);
      const database = await connect(db.url);
      try {
        await migrate(database);
        const deps = { db: database.db, engine: database.engine, now: () => new Date(NOW) };
        await createRegionsService(deps).load(SYSTEM_ACTOR, "360726");
        await createRegistryService(deps).bulkCreate(
          SYSTEM_ACTOR,
          [household(VILLAGE_A, { seed: 81 }), household(VILLAGE_B, { seed: 82 })],
          { source: "demo" },
        );
      } finally {
        await database.close();
      }
    }, 120_000);
    afterAll(async () => {
      await db?.cleanup();
    });

    it("records a year for a region, then again as a no-op", async () => {
      const first = await fangpin("income", "close-year", "2025", "--region", VILLAGE_A);
      expect(first.code, first.stderr).toBe(0);
      expect(jsonOf(first)).toMatchObject({
        year: 2025,
        kind: "close_year",
        region: VILLAGE_A,
        households: 1,
        created: 1,
        updated: 0,
        unchanged: 0,
        skipped: 0,
        // 2026's rules read 2025: the household was re-evaluated.
        reevaluated: 1,
      });
      const all = jsonOf(await fangpin("income", "close-year", "2025"));
      expect(all).toMatchObject({ region: null, households: 2, created: 1, unchanged: 1 });
    });

    it("exits 2 on a year that is not one, or not over yet", async () => {
      const usage = await fangpin("income", "close-year", "next");
      expect(usage.code).toBe(2);
      const future = await fangpin("income", "close-year", "2027");
      expect(future.code).toBe(2);
      expect(JSON.parse(future.stderr.trim() || future.stdout)).toMatchObject({
        error: { kind: "invalid_data", code: "income_year_invalid" },
      });
    });
  });
}
