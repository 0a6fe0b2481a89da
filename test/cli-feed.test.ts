/**
 * The feed command's contract, on the real binary in a child process: `feed load TYPE FILE
 * --json` prints exactly {rows, matched, unmatched, ambiguous, rejected, facts{created,
 * unchanged, superseded}, errors[{row, column, code, message}]}, exits 0 also when rows are
 * refused, 2 for an unknown type or a file without a header.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Engine } from "../src/db/connect.ts";
import { migrate } from "../src/db/migrate.ts";
import { SYSTEM_ACTOR } from "../src/modules/auth/index.ts";
import { createRegionsService } from "../src/modules/regions/index.ts";
import { createRegistryService } from "../src/modules/registry/index.ts";
import { type Run, runFangpin } from "./cli-run.ts";
import { ENGINES, freshDatabaseUrl, PG_URL } from "./engines.ts";
import { idOf, PEOPLE, sampleHouseholds } from "./feed-samples.ts";

const sample = (type: string) =>
  fileURLToPath(new URL(`../docs/formats/samples/${type}.csv`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "fangpin-cli-feed-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function jsonOf(run: Run): Record<string, unknown> {
  expect(run.stdout.trim().split("\n"), `one line on stdout; stderr:\n${run.stderr}`).toHaveLength(
    1,
  );
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

for (const engine of ENGINES as readonly Engine[]) {
  describe.skipIf(engine === "postgres" && !PG_URL)(`feed load [${engine}]`, () => {
    let db: ReturnType<typeof freshDatabaseUrl>;
    const fangpin = (...args: string[]) => runFangpin([...args, "--db", db.url, "--json"]);

    beforeAll(async () => {
      db = freshDatabaseUrl(engine);
      const database = await connect(db.url);
      try {
        await migrate(database);
        const deps = { db: database.db, engine: database.engine, now: () => new Date() };
        await createRegionsService(deps).load(SYSTEM_ACTOR, "360726");
        await createRegistryService(deps).bulkCreate(SYSTEM_ACTOR, sampleHouseholds(), {
          source: "demo",
        });
      } finally {
        await database.close();
      }
    }, 120_000);
    afterAll(async () => {
      await db?.cleanup();
    });

    it("loads a sample, then loads it again as a no-op", async () => {
      const first = await fangpin("feed", "load", "medical", sample("medical"));
      expect(first.code, first.stderr).toBe(0);
      const body = jsonOf(first);
      expect(Object.keys(body)).toEqual([
        "rows",
        "matched",
        "unmatched",
        "ambiguous",
        "rejected",
        "facts",
        "errors",
      ]);
      expect(body).toEqual({
        rows: 3,
        matched: 2,
        unmatched: 1,
        ambiguous: 0,
        rejected: 0,
        facts: { created: 2, unchanged: 0, superseded: 0 },
        errors: [],
      });
      const again = jsonOf(await fangpin("feed", "load", "medical", sample("medical")));
      expect(again).toMatchObject({ facts: { created: 0, unchanged: 2, superseded: 0 } });
    });

    it("withdraws a load with a reason, and refuses without one", async () => {
      const bare = await fangpin("feed", "withdraw", "1");
      expect(bare.code).toBe(2);
      expect(jsonOf(bare)).toMatchObject({ error: { code: "reason_required" } });
      const run = await fangpin("feed", "withdraw", "1", "--reason", "误传");
      expect(run.code, run.stderr).toBe(0);
      expect(jsonOf(run)).toEqual({
        loadId: 1,
        feedType: "medical",
        ended: 2,
        restored: 0,
        households: 2,
        signalsRefreshed: true,
      });
      // The same file loads again once its load is withdrawn.
      const reload = jsonOf(await fangpin("feed", "load", "medical", sample("medical")));
      expect(reload).toMatchObject({ facts: { created: 2, unchanged: 0, superseded: 0 } });
    });

    it("exits 0 with refused rows, each with its row, column, code and message", async () => {
      const path = join(dir, `death-${engine}.csv`);
      writeFileSync(path, `证件号码,姓名,死亡日期\n${idOf(PEOPLE.deceased)},赖桂兰,2026-02-30\n`);
      const run = await fangpin("feed", "load", "death", path);
      expect(run.code, run.stderr).toBe(0);
      const body = jsonOf(run);
      expect(body).toMatchObject({ rows: 1, rejected: 1, facts: { created: 0 } });
      expect(body.errors).toEqual([
        {
          row: 2,
          column: "死亡日期",
          code: "date_invalid",
          message: expect.stringContaining("不是有效日期"),
        },
      ]);
    });

    it("exits 2 for an unknown feed type and for a file without a header", async () => {
      const unknown = await fangpin("feed", "load", "tax", sample("medical"));
      expect(unknown.code).toBe(2);
      expect(jsonOf(unknown)).toMatchObject({ error: { code: "feed_type_unknown" } });
      const path = join(dir, `noheader-${engine}.csv`);
      writeFileSync(path, "姓名,地址\n张三,某地\n");
      const headerless = await fangpin("feed", "load", "death", path);
      expect(headerless.code).toBe(2);
      expect(jsonOf(headerless)).toMatchObject({ error: { code: "header_not_found" } });
    });
  });
}
