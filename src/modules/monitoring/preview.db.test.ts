import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCounty } from "../../../bench/generator.ts";
import { describeEachEngine } from "../../../test/engines.ts";
import { household } from "../../../test/factories.ts";
import { chinaDate } from "../../core/dates.ts";
import { AppError } from "../../core/errors.ts";
import type { PolicyParams } from "../../core/rules/context.ts";
import { compileSql } from "../../core/rules/sql.ts";
import { buildApp } from "../../server/app.ts";
import type { Services } from "../../server/services.ts";
import { type Actor, SYSTEM_ACTOR } from "../auth/index.ts";
import { createColumnarRepository } from "./columnar.repository.ts";
import { ColumnarSnapshot } from "./columnar.ts";
import { evaluateRule } from "./preview.ts";

const NOW = new Date("2026-06-15T02:00:00Z");
const TODAY = chinaDate(NOW);
const COUNTY = "360726";
const TOWN = "360726100";
const PASSWORD = "correct-horse-9";

const actor = (role: Actor["role"], regionCode: string | null): Actor => ({
  id: null,
  username: `${role}-${regionCode}`,
  displayName: "",
  role,
  regionCode,
});
const XIAN = actor("county", COUNTY);

const bits = (b: Uint32Array, s: ColumnarSnapshot) => {
  const ids: number[] = [];
  for (let r = 0; r < s.rows; r++)
    if (s.alive[r] && (b[r >>> 5]! >>> (r & 31)) & 1) ids.push(s.ids[r]!);
  return ids.sort((a, b) => a - b);
};

describeEachEngine("what-if preview", (database, engine) => {
  let app: FastifyInstance;
  let services: Services;
  let cookie = "";

  beforeAll(async () => {
    const built = await buildApp({ database: database(), webRoot: "/nonexistent", now: () => NOW });
    app = built.app;
    services = built.services;
    await services.regions.load(SYSTEM_ACTOR, COUNTY);
    const villages = (await services.regions.villagesUnder(COUNTY)).map((v) => v.code);
    const all = [...generateCounty({ villages, households: 1500, seed: 11, today: TODAY })];
    await services.registry.bulkCreate(SYSTEM_ACTOR, all, { source: "demo" });
    await sql`ANALYZE`.execute(database().db);
    await services.auth.addUser(
      { username: "xian", password: PASSWORD, role: "county", region: COUNTY },
      SYSTEM_ACTOR,
    );
    const res = await app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { username: "xian", password: PASSWORD },
    });
    cookie = `fangpin_session=${res.cookies.find((c) => c.name === "fangpin_session")!.value}`;
  });
  afterAll(async () => {
    await app?.close();
  });

  const policy = () => services.policies.forRegion(COUNTY, 2026);

  /** Households where a rule of the policy in force holds under these parameters, by SQL. */
  async function sqlHits(ruleId: string, changes: PolicyParams = {}, within = COUNTY) {
    const p = policy();
    const rule = p.compiled.find((c) => c.rule.id === ruleId)!;
    const params = { ...p.parameters, ...changes };
    const when = compileSql(rule.when, { engine, params, today: TODAY });
    const r = await sql<{ id: number; household_number: string }>`
      SELECT h.id, h.household_number FROM households h
      WHERE h.village_code >= ${within} AND h.village_code < ${`${within}\uffff`} AND ${sql.raw(when)}`.execute(
      database().db,
    );
    return new Map(r.rows.map((x) => [Number(x.id), x.household_number]));
  }

  const minus = <K, V>(a: Map<K, V>, b: Map<K, V>) => [...a].filter(([k]) => !b.has(k));

  it("counts the households a higher line brings in, per rule, by town, and lists them", async () => {
    const before = await sqlHits("income.below_line");
    const after = await sqlHits("income.below_line", { monitoringLine: 9000 });
    const gained = minus(after, before);
    expect(gained.length).toBeGreaterThan(0);

    const r = await services.monitoring.preview(XIAN, {
      parameters: { monitoringLine: 9000 },
      limit: 5,
    });
    expect(r.households).toBe(1500);
    const income = r.rules.find((x) => x.id === "income.below_line")!;
    expect(income).toMatchObject({
      before: before.size,
      after: after.size,
      gained: gained.length,
      lost: 0,
    });
    // Rules that do not read the line do not move.
    const readsLine = new Set(
      policy()
        .compiled.filter((c) => c.rule.when.includes("monitoringLine"))
        .map((c) => c.rule.id),
    );
    for (const other of r.rules.filter((x) => !readsLine.has(x.id)))
      expect(other).toMatchObject({ gained: 0, lost: 0, after: other.before });
    expect(r.rules.map((x) => x.id)).toEqual(policy().compiled.map((c) => c.rule.id));

    // Households gaining any rule: those below the new line and those the other rules gain.
    expect(r.gainedHouseholds).toBeGreaterThanOrEqual(gained.length);
    expect(r.byRegion.every((x) => x.code.length === 9 && x.name)).toBe(true);
    expect(r.byRegion.reduce((n, x) => n + x.gained, 0)).toBe(r.gainedHouseholds);
    expect(r.byRegion.reduce((n, x) => n + x.lost, 0)).toBe(r.lostHouseholds);
    expect(r.byVillage.reduce((n, x) => n + x.gained, 0)).toBe(r.gainedHouseholds);
    expect(r.gained).toHaveLength(Math.min(5, r.gainedHouseholds));
    const numbers = new Set(gained.map(([, n]) => n));
    for (const h of r.gained) {
      expect(h.rules.length).toBeGreaterThan(0);
      expect(h.rules.every((id) => readsLine.has(id))).toBe(true);
      expect(numbers.has(h.householdNumber)).toBe(h.rules.includes("income.below_line"));
      expect(h.headName).toBeTruthy();
      expect(h.villageName).toBeTruthy();
    }
    expect(r.total.gained).toBeLessThanOrEqual(r.gainedHouseholds);
    expect(r.total.after - r.total.before).toBe(r.total.gained - r.total.lost);
  });

  it("counts what a lower line lets go, within a town", async () => {
    const before = await sqlHits("income.below_line", {}, TOWN);
    const after = await sqlHits("income.below_line", { monitoringLine: 5000 }, TOWN);
    const r = await services.monitoring.preview(actor("town", TOWN), {
      parameters: { monitoringLine: 5000 },
    });
    expect(r.rules.find((x) => x.id === "income.below_line")).toMatchObject({
      before: before.size,
      after: after.size,
      gained: 0,
      lost: minus(before, after).length,
    });
    // Under a town, counts are by village.
    expect(r.byRegion.every((x) => x.code.startsWith(TOWN) && x.code.length === 12)).toBe(true);
  });

  it("previews an added rule, a changed condition and a rule switched off", async () => {
    const unsafe = await sqlHits("water.unsafe");
    const r = await services.monitoring.preview(XIAN, {
      rules: [
        {
          id: "test.big_household",
          name: "六人以上",
          category: "data_quality",
          when: "h.size >= 6",
          message: "人多",
        },
        { id: "water.unsafe", enabled: false },
        { id: "housing.unsafe", when: "false" },
      ],
    });
    const big = await database()
      .db.selectFrom("households")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("size", ">=", 6)
      .executeTakeFirstOrThrow();
    expect(r.rules.find((x) => x.id === "test.big_household")).toMatchObject({
      name: "六人以上",
      before: 0,
      after: Number(big.n),
      gained: Number(big.n),
    });
    expect(r.rules.find((x) => x.id === "water.unsafe")).toMatchObject({
      before: unsafe.size,
      after: 0,
      lost: unsafe.size,
    });
    const housing = r.rules.find((x) => x.id === "housing.unsafe")!;
    expect(housing).toMatchObject({ after: 0, lost: housing.before });
  });

  it("leaves deregistered households out of an added rule, as a sweep would", async () => {
    const d = database().db;
    const big = await d
      .selectFrom("households")
      .select(["household_number", "version"])
      .where("size", ">=", 6)
      .where("household_type", "!=", "deregistered")
      .orderBy("id")
      .executeTakeFirstOrThrow();
    await services.registry.update(
      SYSTEM_ACTOR,
      big.household_number,
      { version: Number(big.version), changes: { householdType: "deregistered" } },
      { source: "ui" },
    );
    const r = await services.monitoring.preview(XIAN, {
      rules: [
        {
          id: "test.big",
          name: "六人以上",
          category: "data_quality",
          when: "h.size >= 6",
          message: "人多",
        },
      ],
      limit: 10_000,
    });
    const watched = await d
      .selectFrom("households")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("size", ">=", 6)
      .where("household_type", "!=", "deregistered")
      .executeTakeFirstOrThrow();
    expect(r.rules.find((x) => x.id === "test.big")).toMatchObject({ after: Number(watched.n) });
    expect(r.gained.map((h) => h.householdNumber)).not.toContain(big.household_number);
  });

  it("takes a whole draft file", async () => {
    const yaml = [
      "id: draft-360726-2026",
      "level: county",
      'region: "360726"',
      "year: 2026",
      "extends: county-360726-2026",
      "title: 草稿",
      "parameters:",
      "  monitoringLine: 9000",
    ].join("\n");
    const fromYaml = await services.monitoring.preview(XIAN, { yaml });
    const fromParameters = await services.monitoring.preview(XIAN, {
      parameters: { monitoringLine: 9000 },
    });
    expect(fromYaml.rules).toEqual(fromParameters.rules);
    expect(fromYaml.gained).toEqual(fromParameters.gained);
  });

  it("points at the error in a rule that does not compile", async () => {
    const error = await services.monitoring
      .preview(XIAN, { rules: [{ id: "income.below_line", when: "h.perCapitaIncome < " }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).kind).toBe("invalid_data");
    const errors = (error as AppError).detail!.errors as { rule: string; position: number }[];
    expect(errors[0]).toMatchObject({ rule: "income.below_line" });
    expect(errors[0]!.position).toBeGreaterThan(0);
  });

  it("keeps up with registry changes between previews", async () => {
    const first = await services.monitoring.preview(XIAN, { parameters: { monitoringLine: 9000 } });
    // A household that is fine now becomes poor; a poor new household arrives.
    const fine = await sqlHits("income.below_line", { monitoringLine: 1e9 });
    const low = await sqlHits("income.below_line", { monitoringLine: 9000 });
    const [, number] = [...fine].find(([id]) => !low.has(id))!;
    const detail = await services.registry.get(SYSTEM_ACTOR, number);
    await services.registry.update(
      SYSTEM_ACTOR,
      number,
      {
        version: detail.household.version,
        changes: {
          wageIncome: 0,
          businessIncome: 0,
          propertyIncome: 0,
          transferIncome: 100_000,
          businessCosts: 0,
          perCapitaIncome: null,
        },
      },
      { source: "ui" },
    );
    const fresh = household("360726100201", { number: "360726100201P0001" });
    fresh.household.wageIncome = 0;
    fresh.household.businessIncome = 0;
    fresh.household.transferIncome = 100_000;
    await services.registry.create(SYSTEM_ACTOR, fresh, { source: "ui" });

    const second = await services.monitoring.preview(XIAN, {
      parameters: { monitoringLine: 9000 },
    });
    expect(second.households).toBe(first.households + 1);
    const before = await sqlHits("income.below_line");
    const after = await sqlHits("income.below_line", { monitoringLine: 9000 });
    expect(second.rules.find((x) => x.id === "income.below_line")).toMatchObject({
      before: before.size,
      after: after.size,
      gained: minus(after, before).length,
    });
  });

  it("answers like a fresh snapshot after updates, rule by rule", async () => {
    await services.monitoring.previews.warm(COUNTY);
    // Values that no longer fit the arrays they were loaded into (Int16 → Int32 → Float64).
    const [a, b] = await database()
      .db.selectFrom("households")
      .select("id")
      .orderBy("id", "desc")
      .limit(2)
      .execute();
    await database()
      .db.updateTable("households")
      .set({ compliant_expense: 9_000_000_000, arable_land: 150.25, size: 0 })
      .where("id", "=", a!.id)
      .execute();
    await database()
      .db.updateTable("households")
      .set({ compliant_expense: 40_000, wage_income: null, arable_land: null })
      .where("id", "=", b!.id)
      .execute();
    services.monitoring.previews.markChanged([{ id: Number(a!.id) }, { id: Number(b!.id) }]);
    const kept = await services.monitoring.previews.warm(COUNTY);
    kept.compact();
    const fresh = await ColumnarSnapshot.load(
      createColumnarRepository(database().db),
      ["360726", "360727"],
      kept.neededNow(),
    );
    const p = policy();
    for (const c of p.compiled) {
      const a = bits(evaluateRule(kept, c.when, p.parameters, TODAY), kept);
      const b = bits(evaluateRule(fresh, c.when, p.parameters, TODAY), fresh);
      expect([c.rule.id, a]).toEqual([c.rule.id, b]);
    }
  });

  it("stays within the caller's region", async () => {
    const village = (await services.regions.villagesUnder(TOWN))[0]!.code;
    const r = await services.monitoring.preview(actor("village", village), {
      parameters: { monitoringLine: 9000 },
    });
    const n = await database()
      .db.selectFrom("households")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("village_code", "=", village)
      .executeTakeFirstOrThrow();
    expect(r.households).toBe(Number(n.n));
    await expect(
      services.monitoring.preview(actor("village", village), {
        region: TOWN,
        parameters: { monitoringLine: 9000 },
      }),
    ).rejects.toMatchObject({ kind: "not_found" });
    await expect(
      services.monitoring.preview(actor("town", TOWN), {
        region: "360726101",
        parameters: { monitoringLine: 9000 },
      }),
    ).rejects.toMatchObject({ kind: "not_found" });
  });

  describe("POST /api/policy/preview", () => {
    const post = (payload: unknown, headers: Record<string, string> = { cookie }) =>
      app.inject({
        method: "POST",
        url: "/api/policy/preview",
        headers,
        payload: payload as object,
      });

    it("answers with rules, regions and households", async () => {
      const res = await post({ parameters: { monitoringLine: 9000 }, limit: 3 });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(Object.keys(body)).toEqual(
        expect.arrayContaining(["rules", "byRegion", "gained", "lost", "total"]),
      );
      expect(body.gained.length).toBeLessThanOrEqual(3);
      expect(body.rules.find((r: { id: string }) => r.id === "income.below_line").gained).toBe(
        (
          await services.monitoring.preview(XIAN, { parameters: { monitoringLine: 9000 } })
        ).rules.find((r) => r.id === "income.below_line")!.gained,
      );
      expect(body.byRegion.reduce((n: number, r: { gained: number }) => n + r.gained, 0)).toBe(
        body.gainedHouseholds,
      );
    });

    it("refuses an empty draft, a bad rule and strangers", async () => {
      expect((await post({})).statusCode).toBe(400);
      const bad = await post({ rules: [{ id: "income.below_line", when: "h.nope > 1" }] });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.detail.errors[0]).toMatchObject({ rule: "income.below_line" });
      expect((await post({ region: "360702", parameters: { x: 1 } })).statusCode).toBe(404);
      expect((await post({ parameters: { x: 1 } }, {})).statusCode).toBe(401);
    });
  });
});
