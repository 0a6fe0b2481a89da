/**
 * The counts of open signals and tasks that the database keeps (migration 012) against the
 * direct count over the signals themselves — the rollup's query before 012, kept here as the
 * oracle — after every step of a random mix of sweeps, edits, re-evaluations, outcomes,
 * retired rules, moved deadlines, deletions and days passing.
 */
import { type Kysely, sql } from "kysely";
import { expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { household } from "../../../test/factories.ts";
import { migrate } from "../../db/migrate.ts";
import type { DB } from "../../db/schema.ts";
import { scopeRange } from "../auth/auth.policy.ts";
import { type Actor, SYSTEM_ACTOR } from "../auth/index.ts";
import { createPolicyService } from "../policy/index.ts";
import { createRegionsService } from "../regions/index.ts";
import { createRegistryService } from "../registry/index.ts";
import { createMonitoringService, createSignalsService } from "./index.ts";
import { createMonitoringRepository } from "./monitoring.repository.ts";
import { createSignalsRepository } from "./signals.repository.ts";

/** The rollup's counts straight from `signals` and `verifications` (the query before 012). */
async function oracle(db: Kysely<DB>, range: [string, string], prefix: number, today: string) {
  const code = sql<string>`substr(village_code, 1, ${sql.lit(prefix)})`;
  const inRange = <T extends "signals" | "verifications">(t: T) =>
    db
      .selectFrom(t as "signals")
      .where("status", "=", "open")
      .where("village_code", ">=", range[0])
      .where("village_code", "<", range[1]);
  const byRule = await inRange("signals")
    .select(["rule_id", "category", "severity", (eb) => eb.fn.countAll<number>().as("n")])
    .groupBy(["rule_id", "category", "severity"])
    .execute();
  const open = await inRange("signals")
    .select([code.as("code"), (eb) => eb.fn.countAll<number>().as("n")])
    .groupBy(code)
    .execute();
  const overdue = await inRange("verifications")
    .where("deadline", "<", today)
    .select([code.as("code"), (eb) => eb.fn.countAll<number>().as("n")])
    .groupBy(code)
    .execute();
  return { byRule, open, overdue };
}

/** Rows as sorted plain tuples, so that row order and number types do not matter. */
const norm = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.values(r).map((v) => (typeof v === "string" ? v : Number(v)))).sort();

/** A small deterministic generator (mulberry32). */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describeEachEngine("kept counts of open signals", (database, engine) => {
  let clock = new Date("2026-07-01T02:00:00Z");
  const policies = createPolicyService();
  const today = () => clock.toISOString().slice(0, 10);
  const county: Actor = {
    id: 1,
    username: "xian",
    displayName: "县",
    role: "county",
    regionCode: "360726",
  };

  it("equal the direct count after every step of a random mix of writes", async () => {
    const d = database();
    const deps = { db: d.db, engine: d.engine, now: () => clock };
    const monitoring = createMonitoringService({ ...deps, policies });
    const registry = createRegistryService({ ...deps, onChanged: monitoring.reevaluate });
    const signals = createSignalsService({ ...deps, policies });
    await createRegionsService(deps).load(SYSTEM_ACTOR, "360726");
    // Two villages in each of two towns.
    const towns = ["360726100", "360726101"];
    const villages: string[] = [];
    for (const town of towns) {
      const rows = await d.db
        .selectFrom("regions")
        .select("code")
        .where("parent_code", "=", town)
        .orderBy("code")
        .limit(2)
        .execute();
      villages.push(...rows.map((r) => r.code));
    }
    expect(villages).toHaveLength(4);
    const next = random(engine === "sqlite" ? 12 : 34);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
    const households = Array.from({ length: 60 }, (_, k) => {
      const h = household(villages[k % 4]!, { seed: 500 + k });
      h.household.wageIncome = next() < 0.3 ? 100_000 : 2_400_000;
      h.household.safeWater = next() < 0.7;
      h.household.dangerousHouse = next() < 0.2;
      return h;
    });
    await registry.bulkCreate(SYSTEM_ACTOR, households, { source: "demo" });
    const numbers = households.map((h) => h.household.householdNumber!);

    const ranges: [string, number][] = [
      ["", 2],
      ["360726", 9],
      ...towns.map((t): [string, number] => [t, 12]),
      ...villages.map((v): [string, number] => [v, 12]),
    ];
    const check = async (step: string) => {
      for (const [root, prefix] of ranges) {
        const range: [string, string] = root ? scopeRange(root) : ["", "\uffff"];
        const repo = createSignalsRepository(d.db);
        const kept = {
          byRule: await repo.byRule(range),
          ...(await repo.byRegion(range, prefix, today())),
        };
        const direct = await oracle(d.db, range, prefix, today());
        for (const part of ["byRule", "open", "overdue"] as const)
          expect(norm(kept[part]), `${step}: ${part} of ${root || "all"}`).toEqual(
            norm(direct[part]),
          );
        // What a sweep reports as open per rule.
        const perRule: Record<string, number> = {};
        for (const r of direct.byRule) perRule[r.rule_id] = (perRule[r.rule_id] ?? 0) + Number(r.n);
        expect(
          await createMonitoringRepository(d.db, d.engine).openByRule(range),
          `${step}: sweep's open per rule of ${root || "all"}`,
        ).toEqual(perRule);
      }
    };

    const edit = async () => {
      const number = pick(numbers);
      const { household: row } = await registry.get(SYSTEM_ACTOR, number);
      const changes = pick([
        { wageIncome: next() < 0.5 ? 100_000 : 2_400_000 },
        { safeWater: next() < 0.5 },
        { dangerousHouse: next() < 0.5 },
        { householdType: "deregistered" as const },
      ]);
      await registry.update(
        SYSTEM_ACTOR,
        number,
        { version: row.version, changes },
        { source: "ui" },
      );
      return `edit ${number} ${JSON.stringify(changes)}`;
    };
    /** Many households changed at once behind the registry's back, then re-evaluated set-based. */
    const bulk = async () => {
      const village = pick(villages);
      const water = next() < 0.5;
      await d.db.transaction().execute(async (trx) => {
        await trx
          .updateTable("households")
          .set({ safe_water: water ? 1 : 0 })
          .where("village_code", "=", village)
          .execute();
        const rows = await trx.selectFrom("households").select(["id", "village_code"]).execute();
        // More than a handful of households: the set-based path of reevaluate.
        await monitoring.reevaluate(
          trx,
          rows.map((r) => ({ id: Number(r.id), villageCode: r.village_code })),
        );
      });
      return `bulk ${village} safeWater=${water}`;
    };
    const sweep = async () => {
      const region = pick(["360726", ...towns]);
      await monitoring.sweep(SYSTEM_ACTOR, { region });
      return `sweep ${region}`;
    };
    const retire = async () => {
      const policy = policies.forRegion("360726", 2026);
      const gone = pick(policy.compiled).rule.id;
      await monitoring.sweep(SYSTEM_ACTOR, {
        region: "360726",
        policy: { ...policy, compiled: policy.compiled.filter((c) => c.rule.id !== gone) },
      });
      return `sweep without ${gone}`;
    };
    const outcome = async () => {
      const open = await signals.list(county, { status: "open", limit: 200 });
      const task = open.items.find((i) => i.verification?.status === "open")?.verification;
      if (!task) return "outcome (no open task)";
      await signals.recordOutcome(county, task.id, {
        version: task.version,
        outcome: "dismissed",
        reason: "核实无误",
      });
      return `outcome ${task.id}`;
    };
    /** A writer the services do not have (a repair by hand): moved deadlines, deleted tasks. */
    const byHand = async () => {
      const task = await d.db
        .selectFrom("verifications")
        .select("id")
        .where("status", "=", "open")
        .orderBy("id")
        .limit(1)
        .offset(Math.floor(next() * 5))
        .executeTakeFirst();
      if (!task) return "by hand (no open task)";
      if (next() < 0.5) {
        await d.db
          .updateTable("verifications")
          .set({ deadline: `2026-0${6 + Math.floor(next() * 3)}-15` })
          .where("id", "=", Number(task.id))
          .execute();
        return `deadline of task ${task.id} moved`;
      }
      await d.db.deleteFrom("verification_events").where("verification_id", "=", task.id).execute();
      await d.db.deleteFrom("verifications").where("id", "=", Number(task.id)).execute();
      return `task ${task.id} deleted`;
    };
    const days = async () => {
      clock = new Date(clock.getTime() + Math.ceil(next() * 10) * 86_400_000);
      return `now ${today()}`;
    };
    const compact = async () => {
      await createMonitoringRepository(d.db, d.engine).compactCounts();
      return "compact";
    };

    await check("before any signal");
    await check(await sweep());
    const steps = [edit, edit, edit, bulk, sweep, retire, outcome, outcome, byHand, days, compact];
    for (let i = 0; i < 40; i++) await check(`step ${i}: ${await pick(steps)()}`);
    const open = await d.db
      .selectFrom("signals")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("status", "=", "open")
      .executeTakeFirstOrThrow();
    expect(Number(open.n)).toBeGreaterThan(0);
    expect((await signals.summary(county)).overdue).toBeGreaterThan(0);

    // Compacted, every key has one row, and no key a count of zero or less.
    await compact();
    for (const [table, key] of [
      ["signal_counts", "village_code, rule_id, category, severity"],
      ["verification_counts", "village_code, deadline"],
    ] as const) {
      const { rows } = await sql
        .raw<{ keys: number; rows: number; low: number }>(
          `SELECT count(DISTINCT ${key.replaceAll(", ", " || '|' || ")}) AS keys, count(*) AS rows,
             sum(CASE WHEN n <= 0 THEN 1 ELSE 0 END) AS low FROM ${table}`,
        )
        .execute(d.db);
      expect(Number(rows[0]!.rows), table).toBe(Number(rows[0]!.keys));
      expect(Number(rows[0]!.low ?? 0), table).toBe(0);
    }

    // A rollback leaves the counts as they were.
    await d.db
      .transaction()
      .execute(async (trx) => {
        await trx.updateTable("signals").set({ status: "resolved" }).execute();
        throw new Error("undo");
      })
      .catch(() => undefined);
    await check("after a rollback");

    // A database whose signals predate 012 gets its counts when it migrates.
    const before = await signals.summary(county);
    await dropCounts(d.db, d.engine);
    await migrate(d);
    await check("after migrating again");
    expect(await signals.summary(county)).toEqual(before);
  });
});

/** Undoes migration 012, as on a database that never had it. */
async function dropCounts(db: Kysely<DB>, engine: string) {
  for (const counts of ["signal_counts", "verification_counts"]) {
    if (engine === "postgres") {
      await sql.raw(`DROP TABLE ${counts}`).execute(db);
      await sql.raw(`DROP FUNCTION ${counts}_apply() CASCADE`).execute(db);
    } else {
      for (const t of ["insert", "update_old", "update_new", "delete"])
        await sql.raw(`DROP TRIGGER ${counts}_${t}`).execute(db);
      await sql.raw(`DROP TABLE ${counts}`).execute(db);
    }
  }
  await sql`DELETE FROM kysely_migration WHERE name = '012-signal-counts'`.execute(db);
}
