/**
 * The assistance commands on the real binary, on both engines: a cadre added, paired within the
 * policy's quota and refused over it (exit 2 with the reason), a measure added from the
 * catalogue and listed in the contract's shape.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../src/db/connect.ts";
import { type Run, runFangpin } from "./cli-run.ts";
import { ENGINES, freshDatabaseUrl, PG_URL } from "./engines.ts";

const NOW = "2026-07-01T10:00:00+08:00";

function jsonOf(run: Run): Record<string, unknown> {
  const lines = run.stdout.trim().split("\n");
  expect(lines, `${run.stdout}\n${run.stderr}`).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

for (const engine of ENGINES) {
  describe.skipIf(engine === "postgres" && !PG_URL)(`fangpin pair and measures [${engine}]`, () => {
    let db: { url: string; cleanup: () => Promise<void> };
    let households: string[] = [];
    const cli = (...args: string[]) => runFangpin([...args, "--db", db.url], { FANGPIN_NOW: NOW });

    beforeAll(async () => {
      db = freshDatabaseUrl(engine);
      const demo = await cli(
        "demo",
        "--county",
        "360726",
        "--households",
        "20",
        "--seed",
        "3",
        "--json",
      );
      expect(demo.code, demo.stderr).toBe(0);
      const database = await connect(db.url);
      try {
        households = (
          await database.db
            .selectFrom("households")
            .select("household_number")
            .orderBy("id")
            .limit(3)
            .execute()
        ).map((r) => r.household_number);
      } finally {
        await database.close();
      }
      const user = await cli(
        "user",
        "add",
        "--username",
        "xian",
        "--password",
        "correct-horse-9",
        "--role",
        "county",
        "--region",
        "360726",
        "--json",
      );
      expect(user.code, user.stdout).toBe(0);
    }, 300_000);
    afterAll(async () => {
      await db?.cleanup();
    });

    it("pairs within the quota, refuses over it, and lists measures", async () => {
      const added = await cli(
        "cadre",
        "add",
        "--name",
        "刘其他",
        "--unit",
        "县供电公司",
        "--rank",
        "other",
        "--phone",
        "13800000002",
        "--as",
        "xian",
        "--json",
      );
      expect(added.code, added.stdout + added.stderr).toBe(0);
      const cadre = jsonOf(added);
      expect(cadre).toMatchObject({ name: "刘其他", rank: "other", quota: 1 });
      const cadreId = String(cadre.cadre);

      const paired = await cli(
        "pair",
        "--cadre",
        cadreId,
        "--household",
        households[0]!,
        "--as",
        "xian",
        "--json",
      );
      expect(paired.code, paired.stdout + paired.stderr).toBe(0);
      expect(jsonOf(paired)).toEqual({
        pairing: expect.stringMatching(/^\d+$/),
        cadre: cadreId,
        household: households[0],
      });
      const over = await cli(
        "pair",
        "--cadre",
        cadreId,
        "--household",
        households[1]!,
        "--as",
        "xian",
        "--json",
      );
      expect(over.code).toBe(2);
      const error = jsonOf(over).error as Record<string, unknown>;
      expect(error).toMatchObject({ kind: "invalid_data", code: "over_quota" });
      expect(String(error.message)).toContain("其他人员最多结对帮扶 1 户");

      const measure = await cli(
        "measure",
        "add",
        "--household",
        households[0]!,
        "--code",
        "finance.microloan",
        "--amount",
        "50000",
        "--date",
        "2026-06-30",
        "--status",
        "delivered",
        "--as",
        "xian",
        "--json",
      );
      expect(measure.code, measure.stdout + measure.stderr).toBe(0);
      const bad = await cli(
        "measure",
        "add",
        "--household",
        households[0]!,
        "--code",
        "no.such",
        "--as",
        "xian",
        "--json",
      );
      expect(bad.code).toBe(2);
      const list = await cli("measures", "--household", households[0]!, "--json");
      expect(list.code, list.stdout + list.stderr).toBe(0);
      expect(jsonOf(list)).toEqual({
        measures: [
          {
            category: "金融帮扶",
            name: "小额信贷（贴息）",
            developmentType: true,
            amountFen: 5_000_000,
            status: "delivered",
            date: "2026-06-30",
          },
        ],
      });
      const empty = await cli("measures", "--household", households[2]!, "--json");
      expect(jsonOf(empty)).toEqual({ measures: [] });
      const missing = await cli("measures", "--household", "000", "--json");
      expect(missing.code).toBe(1);
    });
  });
}
