/**
 * The `fangpin case` commands on the real binary, on both engines: a household taken through
 * identification by three users (village, town, county) with the clock moved by FANGPIN_NOW to
 * end the notice, and a refused opening that exits 2 with its reasons.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../src/db/connect.ts";
import { type Run, runFangpin } from "./cli-run.ts";
import { ENGINES, freshDatabaseUrl, PG_URL } from "./engines.ts";

const DAY1 = "2026-07-01T10:00:00+08:00";
const DAY6 = "2026-07-06T10:00:00+08:00";

const fangpin = (now: string, ...args: string[]): Promise<Run> =>
  runFangpin(args, { FANGPIN_NOW: now });

/** stdout as exactly one JSON object on one line. */
function jsonOf(run: Run): Record<string, unknown> {
  const lines = run.stdout.trim().split("\n");
  expect(lines, `${run.stdout}\n${run.stderr}`).toHaveLength(1);
  const value = JSON.parse(lines[0]!) as unknown;
  expect(typeof value === "object" && value !== null && !Array.isArray(value)).toBe(true);
  return value as Record<string, unknown>;
}

for (const engine of ENGINES) {
  describe.skipIf(engine === "postgres" && !PG_URL)(`fangpin case [${engine}]`, () => {
    let db: { url: string; cleanup: () => Promise<void> };
    let householdNumber = "";
    let village = "";
    const cli = (now: string, ...args: string[]) => fangpin(now, ...args, "--db", db.url);

    beforeAll(async () => {
      db = freshDatabaseUrl(engine);
      const demo = await cli(
        DAY1,
        "demo",
        "--county",
        "360726",
        "--households",
        "30",
        "--seed",
        "7",
        "--json",
      );
      expect(demo.code, demo.stderr).toBe(0);
      const database = await connect(db.url);
      try {
        const row = await database.db
          .selectFrom("households")
          .select(["household_number", "village_code"])
          .where("household_type", "=", "ordinary")
          .where("monitoring_category", "is", null)
          .orderBy("id")
          .limit(1)
          .executeTakeFirstOrThrow();
        householdNumber = row.household_number;
        village = row.village_code;
      } finally {
        await database.close();
      }
      for (const [username, role, region] of [
        ["cun", "village", village],
        ["xiang", "town", village.slice(0, 9)],
        ["xian", "county", "360726"],
      ]) {
        const run = await cli(
          DAY1,
          "user",
          "add",
          "--username",
          username!,
          "--password",
          "correct-horse-9",
          "--role",
          role!,
          "--region",
          region!,
          "--json",
        );
        expect(run.code, run.stdout).toBe(0);
      }
    }, 300_000);
    afterAll(async () => {
      await db?.cleanup();
    });

    it("takes a household through identification and shows the case", async () => {
      const opened = await cli(
        DAY1,
        "case",
        "open",
        "--household",
        householdNumber,
        "--type",
        "identification",
        "--category",
        "边缘易致贫户",
        "--risk",
        "因病",
        "--risk",
        "因学",
        "--as",
        "cun",
        "--json",
      );
      expect(opened.code, opened.stdout + opened.stderr).toBe(0);
      const { case: id, ...rest } = jsonOf(opened);
      expect(id).toMatch(/^360726-2026-\d{6}$/);
      expect(rest).toEqual({ state: "visit", deadline: "2026-07-16" });
      const caseId = String(id);

      const states: unknown[] = [];
      for (let i = 0; i < 5; i++) {
        const run = await cli(DAY1, "case", "advance", caseId, "--as", "cun", "--json");
        expect(run.code, run.stdout).toBe(0);
        states.push(jsonOf(run).state);
      }
      // The fifth advance posts the notice; the step stays until the period is over.
      expect(states).toEqual(["consent", "comparison", "deliberation", "notice", "notice"]);
      const early = await cli(DAY1, "case", "advance", caseId, "--as", "cun", "--json");
      expect(early.code).toBe(1);
      expect(jsonOf(early).error).toMatchObject({
        kind: "unexpected_state",
        code: "notice_period",
      });
      const wrongRole = await cli(DAY6, "case", "advance", caseId, "--as", "xiang", "--json");
      expect(wrongRole.code).toBe(1);
      expect(jsonOf(wrongRole).error).toMatchObject({ code: "step_role" });

      for (const [user, to] of [
        ["cun", "review"],
        ["xiang", "approval"],
        ["xian", "announcement"],
        ["xian", "completed"],
      ] as const) {
        const run = await cli(DAY6, "case", "advance", caseId, "--as", user, "--to", to, "--json");
        expect(run.code, run.stdout).toBe(0);
        expect(jsonOf(run).state).toBe(to);
      }

      const show = await cli(DAY6, "case", "show", caseId, "--json");
      expect(show.code).toBe(0);
      const shown = jsonOf(show);
      expect(Object.keys(shown)).toEqual([
        "case",
        "type",
        "state",
        "household",
        "steps",
        "deadline",
      ]);
      expect(shown).toMatchObject({
        case: caseId,
        type: "identification",
        state: "completed",
        household: householdNumber,
        deadline: "2026-07-16",
      });
      expect(shown.steps).toEqual([
        { step: "visit", state: "done", actor: "cun", at: "2026-07-01T02:00:00.000Z" },
        { step: "consent", state: "done", actor: "cun", at: "2026-07-01T02:00:00.000Z" },
        { step: "comparison", state: "done", actor: "cun", at: "2026-07-01T02:00:00.000Z" },
        { step: "deliberation", state: "done", actor: "cun", at: "2026-07-01T02:00:00.000Z" },
        { step: "notice", state: "done", actor: "cun", at: "2026-07-06T02:00:00.000Z" },
        { step: "review", state: "done", actor: "xiang", at: "2026-07-06T02:00:00.000Z" },
        { step: "approval", state: "done", actor: "xian", at: "2026-07-06T02:00:00.000Z" },
        { step: "announcement", state: "done", actor: "xian", at: "2026-07-06T02:00:00.000Z" },
      ]);

      // The household is monitored now, through an event whose source is the case.
      const database = await connect(db.url);
      try {
        const h = await database.db
          .selectFrom("households")
          .select([
            "id",
            "monitoring_category",
            "risk_factors",
            "identified_month",
            "risk_eliminated",
          ])
          .where("household_number", "=", householdNumber)
          .executeTakeFirstOrThrow();
        expect(h).toMatchObject({
          monitoring_category: "marginal",
          identified_month: "2026-07",
          risk_eliminated: 0,
        });
        expect(JSON.parse(h.risk_factors!)).toEqual(["illness", "schooling"]);
        const event = await database.db
          .selectFrom("household_events")
          .select(["source", "source_ref", "actor_name"])
          .where("household_id", "=", h.id)
          .orderBy("version", "desc")
          .executeTakeFirstOrThrow();
        expect(event).toEqual({ source: "case", source_ref: caseId, actor_name: "xian" });
      } finally {
        await database.close();
      }

      // A second identification is refused with its reason: exit 2, reasons in the error.
      const refused = await cli(
        DAY6,
        "case",
        "open",
        "--household",
        householdNumber,
        "--type",
        "identification",
        "--category",
        "marginal",
        "--risk",
        "因病",
        "--as",
        "cun",
        "--json",
      );
      expect(refused.code).toBe(2);
      expect(jsonOf(refused)).toEqual({
        error: {
          kind: "unexpected_state",
          code: "case_refused",
          message: expect.stringContaining("该户已是监测对象"),
          reasons: ["该户已是监测对象且风险未消除，不能重复识别"],
        },
      });
      // Risk elimination a week after identification: too early, with the reason.
      const early2 = await cli(
        DAY6,
        "case",
        "open",
        "--household",
        householdNumber,
        "--type",
        "risk_elimination",
        "--as",
        "cun",
        "--json",
      );
      expect(early2.code).toBe(2);
      expect((jsonOf(early2).error as { reasons: string[] }).reasons).toContain(
        "识别监测未满 6 个月",
      );
    }, 600_000);

    it("reports usage errors and unknown cases", async () => {
      const [noAs, badType, missing, human] = await Promise.all([
        cli(
          DAY1,
          "case",
          "open",
          "--household",
          householdNumber,
          "--type",
          "identification",
          "--json",
        ),
        cli(
          DAY1,
          "case",
          "open",
          "--household",
          householdNumber,
          "--type",
          "nothing",
          "--as",
          "cun",
          "--json",
        ),
        cli(DAY1, "case", "show", "360726-2026-999999", "--json"),
        cli(DAY1, "case", "open", "--help"),
      ]);
      expect(noAs.code).toBe(2);
      expect(jsonOf(noAs).error).toMatchObject({ code: "usage" });
      expect(badType.code).toBe(2);
      expect(missing.code).toBe(1);
      expect(jsonOf(missing).error).toMatchObject({ kind: "not_found", code: "case_not_found" });
      expect(human.code).toBe(0);
      expect(human.stdout).toContain("--green-channel");
    }, 300_000);
  });
}
