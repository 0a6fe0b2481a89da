/**
 * Facts in the rule context, both compilers: rules over `facts.<name>` lists (size, macros,
 * aggregates, fact fields of every kind, NULL values, members no longer listed, superseded
 * facts) select the same households and give the same values through SQL on both engines as
 * through JS over the columnar snapshot. sql.ts is the reference.
 */
import fc from "fast-check";
import { type Kysely, sql } from "kysely";
import { beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { household, VILLAGE_A, VILLAGE_B } from "../../../test/factories.ts";
import type { DB } from "../../db/schema.ts";
import { SYSTEM_ACTOR } from "../../modules/auth/index.ts";
import { NO_COUNTS } from "../../modules/feeds/feeds.repository.ts";
import { createColumnarRepository } from "../../modules/monitoring/columnar.repository.ts";
import { ColumnarSnapshot } from "../../modules/monitoring/columnar.ts";
import { createPolicyService } from "../../modules/policy/index.ts";
import { createRegionsService } from "../../modules/regions/index.ts";
import { createRegistryService } from "../../modules/registry/index.ts";
import { parseRule } from "./ast.ts";
import { type Checked, checkRule, RuleTypeError } from "./check.ts";
import { factContext } from "./context.ts";
import { compileJs } from "./js.ts";
import { compileSql, type SqlEngine } from "./sql.ts";

const TODAY = "2026-11-20";
const PARAMS = { threshold: 9000, area: 100 };
const FACTS = factContext(createPolicyService().forRegion("360726", 2026).feeds);
const ALL: readonly [string, string] = ["", "\uffff"];

const check = (source: string) => checkRule(parseRule(source), PARAMS, FACTS);

const RULES = [
  "facts.medical.size() > 0",
  "size(facts.medical) >= 2",
  "facts.medical.exists(f, f.outOfPocket > 5000.0)",
  "facts.medical.exists(f, f.seriousIllness)",
  "facts.medical.all(f, f.seriousIllness == false)",
  "facts.medical.exists_one(f, has(f.diagnosis))",
  "sum(facts.medical.map(f, f.outOfPocket)) > 10000.0",
  "sum(facts.medical.map(f, monthsSince(f.effectiveFrom) < 12, f.outOfPocket)) > policy.threshold",
  "max(facts.medical.map(f, f.outOfPocket)) > 1000.0",
  "min(facts.properties.map(f, f.area)) < policy.area",
  "facts.properties.exists(f, f.urban && f.use == '住宅')",
  "facts.vehicles.exists(f, f.status == '正常' && f.vehicleType.contains('轿车'))",
  "facts.vehicles.exists(f, size(f.plateNumber) > 8)",
  "size(facts.vehicles.filter(f, has(f.model))) > 0",
  "facts.deaths.exists(f, f.memberListed)",
  "facts.deaths.exists_one(f, !f.memberListed)",
  "h.monitored || facts.payroll.size() > 0",
  "members.exists(m, m.age > 60) && facts.deaths.size() > 0",
  "facts.medical.exists(f, f.effectiveFrom >= '2026-06-01' && !has(f.effectiveTo))",
  "facts.medical.exists(f, f.outOfPocket / 2.0 > h.perCapitaIncome)",
];
const VALUES = [
  "sum(facts.medical.map(f, f.outOfPocket))",
  "facts.medical.size()",
  "max(facts.medical.map(f, f.outOfPocket))",
  "min(facts.properties.map(f, f.area))",
  "sum(facts.properties.map(f, f.urban, 1))",
  "facts.deaths.exists(f, f.memberListed)",
];

/** Inserts random facts for the households' members; some NULL values, some superseded. */
async function insertFacts(db: Kysely<DB>, seed: number) {
  const members = await db.selectFrom("members").select(["id", "household_id"]).execute();
  const households = await db.selectFrom("households").select(["id", "village_code"]).execute();
  const village = new Map(households.map((h) => [Number(h.id), h.village_code]));
  const load = await db
    .insertInto("feed_loads")
    .values({
      feed_type: "mixed",
      file_hash: "0".repeat(64),
      file_name: "random.csv",
      format: "csv",
      policy_id: "national-2021",
      region_code: null,
      actor_id: null,
      actor_name: "test",
      loaded_at: `${TODAY}T00:00:00Z`,
      ...NO_COUNTS,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { freq: 5, nil: undefined });
  const valuesArb = fc.record({
    outOfPocket: maybe(fc.integer({ min: 0, max: 5_000_000 })),
    seriousIllness: maybe(fc.constantFrom(0, 1)),
    diagnosis: maybe(fc.constantFrom("肺恶性肿瘤", "急性阑尾炎")),
    area: maybe(fc.constantFrom(35, 88.5, 100, 156, 240.25)),
    urban: maybe(fc.constantFrom(0, 1)),
    use: maybe(fc.constantFrom("住宅", "商业")),
    status: maybe(fc.constantFrom("正常", "注销")),
    vehicleType: maybe(fc.constantFrom("小型轿车", "轻型货车", "摩托车")),
    plateNumber: maybe(fc.constantFrom("赣B·7K3M9", "赣B·2Q8L1X", "贵A12345")),
    model: maybe(fc.constantFrom("大众牌SVW7155")),
  });
  const factArb = fc.record({
    member: fc.nat({ max: members.length - 1 }),
    type: fc.constantFrom("medical", "property", "vehicle", "death", "payroll"),
    from: fc.constantFrom("2025-01-15", "2025-11-20", "2026-06-01", "2026-10-09"),
    to: maybe(fc.constantFrom("2026-12-31")),
    values: valuesArb,
  });
  const facts = fc.sample(factArb, { seed, numRuns: 400 });
  let key = 0;
  for (const [n, f] of facts.entries()) {
    const m = members[f.member]!;
    await db
      .insertInto("facts")
      .values({
        feed_type: f.type,
        row_key: JSON.stringify([++key]),
        id_number: "X",
        member_id: Number(m.id),
        household_id: Number(m.household_id),
        village_code: village.get(Number(m.household_id))!,
        effective_from: f.from,
        effective_to: f.to ?? null,
        period: null,
        vals: JSON.stringify(f.values),
        load_id: Number(load.id),
        row_number: n + 2,
        superseded_by: null,
        superseded_load: null,
        // Every seventh fact was corrected since: no rule may see it.
        superseded_at: n % 7 === 0 ? `${TODAY}T00:00:00Z` : null,
      })
      .execute();
  }
}

describeEachEngine("rule compilers agree on facts", (database, engine) => {
  let snapshot: ColumnarSnapshot;

  beforeAll(async () => {
    const d = database();
    const now = () => new Date(`${TODAY}T02:00:00Z`);
    await createRegionsService({ db: d.db, now }).load(SYSTEM_ACTOR, "360726");
    const registry = createRegistryService({ db: d.db, engine: d.engine, now });
    const inputs = Array.from({ length: 60 }, (_, n) =>
      household(n % 2 ? VILLAGE_A : VILLAGE_B, { seed: 9000 + n }),
    );
    for (const [n, h] of inputs.entries())
      if (n % 5 === 0)
        Object.assign(h.household, { monitoringCategory: "marginal", identifiedMonth: "2025-03" });
    await registry.bulkCreate(SYSTEM_ACTOR, inputs, { source: "demo" });
    await insertFacts(d.db, 20261120);
    // Members that left (died, moved): facts about them stay, f.memberListed is false.
    await d.db
      .updateTable("members")
      .set({ status: "removed" })
      .where(sql<boolean>`id % 4 = 0`)
      .execute();
    snapshot = await ColumnarSnapshot.load(createColumnarRepository(d.db), ALL);
  });

  async function sqlIds(checked: Checked): Promise<number[]> {
    const expr = compileSql(checked, { engine: engine as SqlEngine, params: PARAMS, today: TODAY });
    const r = await sql<{
      id: number;
    }>`${sql.raw(`SELECT h.id AS id FROM households h WHERE ${expr}`)}`.execute(database().db);
    return r.rows.map((x) => Number(x.id)).sort((a, b) => a - b);
  }

  async function jsBound(checked: Checked) {
    const rule = compileJs(checked, { params: PARAMS, today: TODAY });
    expect(await snapshot.ensure(rule.needs)).toEqual([]);
    return rule.bind(snapshot);
  }

  it.each(RULES)("%s", async (source) => {
    const checked = check(source);
    const expected = await sqlIds(checked);
    const bound = await jsBound(checked);
    const out = new Uint8Array(snapshot.rows);
    bound.run(out);
    const actual: number[] = [];
    for (let r = 0; r < snapshot.rows; r++) if (out[r] === 2) actual.push(snapshot.ids[r]!);
    actual.sort((a, b) => a - b);
    expect(actual).toEqual(expected);
    // Not a rule that selects nothing or everything by accident of the data.
    if (!source.includes("exists_one") && !source.includes("||"))
      expect(expected.length, "selects some households").toBeGreaterThan(0);
  });

  /**
   * Equal values; sums of doubles on PostgreSQL to 1e-12 relative: it adds them in scan order,
   * where SQLite and the JS compiler compensate (47701.4 against 47701.399999999994).
   */
  const same = (a: unknown, b: unknown) =>
    a === b ||
    (engine === "postgres" &&
      typeof a === "number" &&
      typeof b === "number" &&
      Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)));

  it.each(VALUES)("value %s", async (source) => {
    const checked = check(source);
    const expr = compileSql(checked, { engine: engine as SqlEngine, params: PARAMS, today: TODAY });
    const r = await sql<{
      id: number;
      v: unknown;
    }>`${sql.raw(`SELECT h.id AS id, ${expr} AS v FROM households h`)}`.execute(database().db);
    const bound = await jsBound(checked);
    const bool = checked.type.kind === "bool";
    const mismatches = r.rows
      .map((row) => ({
        id: row.id,
        sql: row.v === null ? null : bool ? Boolean(row.v) : Number(row.v),
        js: bound.value(snapshot.rowOf(Number(row.id))),
      }))
      .filter((m) => !same(m.sql, m.js));
    expect(mismatches).toEqual([]);
  });

  it("type-checks fact fields and lists, naming what is wrong", () => {
    expect(() => check("facts.taxes.size() > 0")).toThrow(RuleTypeError);
    expect(() => check("facts.taxes.size() > 0")).toThrow(/部门数据中没有“taxes”/);
    expect(() => check("facts.medical.exists(f, f.salary > 1.0)")).toThrow(/没有字段“salary”/);
    expect(() => check("facts.medical.exists(f, f.hospital > 1.0)")).toThrow(RuleTypeError);
    expect(() => check("has(facts.medical)")).toThrow(/size\(\)/);
  });
});
