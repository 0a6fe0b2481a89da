/**
 * Two compilers, one meaning: random rules over random households in the real databases must
 * select the same households through SQL (SQLite, PostgreSQL) as through JS over the columnar
 * snapshot, and give the same evidence values. Then every rule shipped in `policies/` on a
 * generated county. sql.ts is the reference.
 */
import fc from "fast-check";
import { type Kysely, sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { generateCounty } from "../../../bench/generator.ts";
import { describeEachEngine } from "../../../test/engines.ts";
import {
  conditionArb,
  evidenceArb,
  householdArb,
  PARAMS,
  type RandomHousehold,
  TODAY,
} from "../../../test/rules-arbitrary.ts";
import type { DB } from "../../db/schema.ts";
import { SYSTEM_ACTOR } from "../../modules/auth/index.ts";
import { createColumnarRepository } from "../../modules/monitoring/columnar.repository.ts";
import { ColumnarSnapshot } from "../../modules/monitoring/columnar.ts";
import { compilePolicy, loadPolicyFiles, resolvePolicy } from "../../modules/policy/index.ts";
import { createRegionsService } from "../../modules/regions/index.ts";
import { createRegistryService } from "../../modules/registry/index.ts";
import { parseRule } from "./ast.ts";
import { type Checked, checkRule } from "./check.ts";
import type { PolicyParams } from "./context.ts";
import { compileJs } from "./js.ts";
import { compileSql, MemberAggregates, type SqlEngine } from "./sql.ts";

const SEED = Number(process.env.FANGPIN_FC_SEED ?? 20260601);
const RUNS = Number(process.env.FANGPIN_FC_RUNS ?? 200);
/** Time for a property: FANGPIN_FC_RUNS=5000 runs a long search. */
const PROPERTY_TIMEOUT = 60_000 + RUNS * 100;
const ALL: readonly [string, string] = ["", "\uffff"];

async function insertHouseholds(db: Kysely<DB>, households: RandomHousehold[]) {
  let serial = 0;
  const at = "2026-06-01T00:00:00.000Z";
  const closing = await insertClosing(db, at);
  for (const [n, h] of households.entries()) {
    const size = h.members.filter((m) => m.status === "active").length;
    const row = await db
      .insertInto("households")
      .values({
        ...h.household,
        household_number: `${h.household.village_code}${String(n).padStart(5, "0")}`,
        size,
        version: 1,
        created_at: at,
        updated_at: at,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    for (const r of h.incomes)
      await db
        .insertInto("household_incomes")
        .values({
          ...r,
          household_id: Number(row.id),
          village_code: h.household.village_code,
          wage_income: r.net_income,
          source: "close_year",
          closing_id: closing,
          recorded_at: at,
          recorded_by: "test",
        })
        .execute();
    if (h.members.length === 0) continue;
    await db
      .insertInto("members")
      .values(
        h.members.map((m, position) => ({
          ...m,
          id_number: `T${String(++serial).padStart(17, "0")}`,
          position,
          household_id: Number(row.id),
        })),
      )
      .execute();
  }
}

/** The run that income records of a test belong to. */
async function insertClosing(db: Kysely<DB>, at: string): Promise<number> {
  const r = await db
    .insertInto("income_closings")
    .values({
      year: 2025,
      kind: "close_year",
      region_code: null,
      actor_id: null,
      actor_name: "test",
      at,
      households: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      skipped: 0,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return Number(r.id);
}

/**
 * Last year's records for four households in five: this year's income times 1/2, 1, 3/2 or 3
 * (so that some incomes dropped sharply and some rose), the size now or one more.
 */
async function insertLastYearIncomes(db: Kysely<DB>) {
  const at = `${TODAY}T00:00:00.000Z`;
  const closing = await insertClosing(db, at);
  const rows = await db
    .selectFrom("households")
    .select([
      "id",
      "village_code",
      "size",
      "wage_income",
      "business_income",
      "property_income",
      "transfer_income",
      "business_costs",
    ])
    .execute();
  const factors = [null, 0.5, 1, 1.5, 3];
  const records = rows.flatMap((h) => {
    const factor = factors[Number(h.id) % factors.length]!;
    if (factor === null) return [];
    const parts = [h.wage_income, h.business_income, h.property_income, h.transfer_income];
    const net =
      parts.every((v) => v === null) && h.business_costs === null
        ? null
        : parts.reduce<number>((a, v) => a + Number(v ?? 0), 0) - Number(h.business_costs ?? 0);
    return [
      {
        household_id: Number(h.id),
        year: Number(TODAY.slice(0, 4)) - 1,
        village_code: h.village_code,
        net_income: net === null ? null : Math.round(net * factor),
        size: Number(h.size) + (Number(h.id) % 2),
        source: "close_year" as const,
        closing_id: closing,
        recorded_at: at,
        recorded_by: "test",
      },
    ];
  });
  for (let i = 0; i < records.length; i += 1000)
    await db
      .insertInto("household_incomes")
      .values(records.slice(i, i + 1000))
      .execute();
}

/**
 * Compares SQL and JS on one database; `snapshot` holds the same households. SQL runs in both
 * of its forms: a subquery per household, and (as sweeps run it) member-only conditions as
 * columns of one grouped aggregate joined as `a`.
 */
function comparer(db: () => Kysely<DB>, engine: SqlEngine, snapshot: () => ColumnarSnapshot) {
  async function sqlRows(
    checked: Checked,
    params: PolicyParams,
    today: string,
    grouped: boolean,
    as: "when" | "value",
  ): Promise<{ id: number; v: unknown }[]> {
    const aggregates = grouped ? new MemberAggregates() : undefined;
    const expr = compileSql(checked, { engine, params, today, aggregates });
    const select = aggregates?.select(null);
    const from = select
      ? `households h LEFT JOIN (${select}) a ON a.household_id = h.id`
      : "households h";
    const query =
      as === "when"
        ? `SELECT h.id AS id, NULL AS v FROM ${from} WHERE ${expr}`
        : `SELECT h.id AS id, ${expr} AS v FROM ${from}`;
    const r = await sql<{ id: number; v: unknown }>`${sql.raw(query)}`.execute(db());
    return r.rows.map((x) => ({ id: Number(x.id), v: x.v }));
  }

  async function jsBound(checked: Checked, params: PolicyParams, today: string) {
    const rule = compileJs(checked, { params, today });
    const s = snapshot();
    const stale = await s.ensure(rule.needs);
    expect(stale).toEqual([]);
    return rule.bind(s);
  }

  return {
    /** The households each side selects: by subquery, grouped, and in JS. */
    async condition(checked: Checked, params: PolicyParams = PARAMS, today = TODAY) {
      const ids = async (grouped: boolean) =>
        (await sqlRows(checked, params, today, grouped, "when"))
          .map((r) => r.id)
          .sort((a, b) => a - b);
      const expected = await ids(false);
      const grouped = await ids(true);
      const bound = await jsBound(checked, params, today);
      const s = snapshot();
      const out = new Uint8Array(s.rows);
      bound.run(out);
      const bits = new Uint32Array((s.rows + 31) >>> 5);
      bound.runBits(bits);
      const actual: number[] = [];
      for (let r = 0; r < s.rows; r++) {
        const fires = out[r] === 2;
        // run() and runBits() agree row by row.
        if (fires !== (((bits[r >>> 5]! >>> (r & 31)) & 1) === 1))
          throw new Error(`runBits row ${r}`);
        if (fires && s.alive[r]) actual.push(s.ids[r]!);
      }
      actual.sort((a, b) => a - b);
      return { expected, grouped, actual };
    },

    /** Rows where a value differs between SQL (either form) and JS. */
    async values(checked: Checked, params: PolicyParams = PARAMS, today = TODAY) {
      const bound = await jsBound(checked, params, today);
      const s = snapshot();
      const bool = checked.type.kind === "bool";
      const mismatches: { id: number; grouped: boolean; sql: unknown; js: unknown }[] = [];
      for (const grouped of [false, true]) {
        for (const row of await sqlRows(checked, params, today, grouped, "value")) {
          // SQLite answers a boolean as 0/1, PostgreSQL as false/true.
          const sqlValue = row.v === null ? null : bool ? Boolean(row.v) : row.v;
          const jsValue = bound.value(s.rowOf(row.id));
          if (sqlValue !== jsValue)
            mismatches.push({ id: row.id, grouped, sql: sqlValue, js: jsValue });
        }
      }
      return mismatches;
    },
  };
}

const check = (source: string, params: PolicyParams = PARAMS) =>
  checkRule(parseRule(source), params);

/** Rules that once told the compilers apart, and the corners of the semantics. */
const EDGE_CASES = [
  "h.safeWater == false",
  "!(h.safeWater)",
  "h.safeWater == null",
  "h.perCapitaIncome < policy.monitoringLine",
  "!h.monitored && h.perCapitaIncome < policy.monitoringLine",
  "h.netIncome / 0.0 > 1.0 || true",
  "h.size / 0 == 0",
  "(h.size - 7) / 2 == -2",
  "(h.size - 7) % 2 == -1",
  "(h.size > 2 ? 1 : 2.5) / 2 > 0.25",
  "h.groupName.endsWith('')",
  "h.groupName.startsWith('')",
  "h.groupName.contains('')",
  "h.groupName < 'Ａ'",
  "h.groupName > '𠀀'",
  "size(h.groupName) == 3",
  "h.housingGrade in ['C', 'D']",
  "h.housingGrade in ['C', null]",
  "!(h.housingGrade in ['C', null])",
  "h.size in [1, null]",
  "!(h.size in [1, null])",
  "h.housingGrade in []",
  "'illness' in h.riskFactors",
  "!('illness' in h.riskFactors)",
  "h.housingGrade in h.riskFactors",
  "size(h.riskFactors) == 0",
  "has(h.riskFactors) && size(h.riskFactors) == 0",
  "members.exists(m, m.age >= 6 && m.age <= 15 && m.outOfSchool == true)",
  "members.all(m, m.laborSkill in ['lost', 'none'])",
  "members.all(m, m.insResidentMedical)",
  "members.exists_one(m, m.isHead)",
  "size(members.filter(m, m.age < 16)) >= 2",
  "sum(members.map(m, m.publicWelfareJobMonths)) > 3",
  "sum(members.map(m, m.age >= 60, 1)) == 0",
  "min(members.map(m, m.age)) < 18",
  "max(members.map(m, m.age)) == null",
  "!(max(members.map(m, m.age)) > 0)",
  "sum(members.map(m, m.age * 0.25)) > 20.5",
  "monthsSince(h.identifiedMonth) - monthsSince(h.eliminatedMonth) < policy.minMonths",
  "int(h.arableLand) == 100",
  "int(-2.5) == -2",
  "h.townCode == '360726100'",
  "has(h.perCapitaIncome)",
  "has(h.netIncome) == false",
  "(h.riskEliminated ? h.identifiedMonth : today) < '2026'",
  "policy.strict && (h.dangerousHouse || null)",
  "h.perCapitaIncome < h.lastYearPerCapitaIncome * (1.0 - policy.ratio)",
  "!has(h.lastYearPerCapitaIncome) && has(h.lastYearNetIncome)",
  "h.lastYearSize == 0",
  "h.lastYearNetIncome / double(h.lastYearSize) == h.lastYearPerCapitaIncome",
  "(h.lastYearPerCapitaIncome - h.perCapitaIncome) * 100.0 / h.lastYearPerCapitaIncome > 30.0",
];

describeEachEngine("rule compilers agree on random rules", (database, engine) => {
  let snapshot: ColumnarSnapshot;
  const households = fc.sample(householdArb, { seed: SEED, numRuns: 400 });
  const compare = comparer(
    () => database().db,
    engine,
    () => snapshot,
  );

  beforeAll(async () => {
    await insertHouseholds(database().db, households);
    snapshot = await ColumnarSnapshot.load(createColumnarRepository(database().db), ALL);
  });

  it("loads every household and active member into the snapshot", () => {
    const stats = snapshot.stats();
    expect(stats.households).toBe(households.length);
    expect(stats.members).toBe(
      households.reduce((n, h) => n + h.members.filter((m) => m.status === "active").length, 0),
    );
  });

  it.each(EDGE_CASES)("%s", async (source) => {
    const params = { ...PARAMS, minMonths: 6 };
    const { expected, grouped, actual } = await compare.condition(check(source, params), params);
    expect(grouped).toEqual(expected);
    expect(actual).toEqual(expected);
  });

  it("reads the income record of the year before the evaluation date's", async () => {
    const withRecord = (year: number) =>
      households.filter((h) =>
        h.incomes.some((r) => r.year === year && r.size > 0 && r.net_income !== null),
      ).length;
    for (const today of ["2025-03-01", "2026-06-01", "2027-12-31"]) {
      const year = Number(today.slice(0, 4)) - 1;
      const { expected, grouped, actual } = await compare.condition(
        check("has(h.lastYearPerCapitaIncome)"),
        PARAMS,
        today,
      );
      expect(grouped).toEqual(expected);
      expect(actual).toEqual(expected);
      expect(expected.length, today).toBe(withRecord(year));
      expect(await compare.values(check("h.lastYearPerCapitaIncome"), PARAMS, today)).toEqual([]);
    }
  });

  it(
    "selects the same households for random rules",
    async () => {
      await fc.assert(
        fc.asyncProperty(conditionArb(3), async (source) => {
          const { expected, grouped, actual } = await compare.condition(check(source));
          expect(grouped).toEqual(expected);
          expect(actual).toEqual(expected);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "gives the same evidence values for random expressions",
    async () => {
      await fc.assert(
        fc.asyncProperty(evidenceArb(2), async (source) => {
          expect(await compare.values(check(source))).toEqual([]);
        }),
        { seed: SEED + 1, numRuns: RUNS },
      );
    },
    PROPERTY_TIMEOUT,
  );
});

describeEachEngine("rule compilers agree on every shipped rule", (database, engine) => {
  let snapshot: ColumnarSnapshot;
  const compare = comparer(
    () => database().db,
    engine,
    () => snapshot,
  );
  const files = loadPolicyFiles();
  // Every policy file as resolved for its own region, each distinct rule once.
  const cases = new Map<
    string,
    {
      policy: string;
      rule: string;
      checked: Checked;
      params: PolicyParams;
      evidence: Record<string, Checked>;
    }
  >();
  for (const file of files.values()) {
    const effective = resolvePolicy(files, file);
    const { rules, errors } = compilePolicy(effective);
    if (errors.length > 0) throw new Error(`${file.id}: ${JSON.stringify(errors)}`);
    for (const r of rules) {
      const key =
        compileSql(r.when, { engine: "sqlite", params: effective.parameters, today: TODAY }) +
        JSON.stringify(
          Object.entries(r.evidence).map(([k, c]) => [
            k,
            compileSql(c, { engine: "sqlite", params: effective.parameters, today: TODAY }),
          ]),
        );
      if (!cases.has(key))
        cases.set(key, {
          policy: file.id,
          rule: r.rule.id,
          checked: r.when,
          params: effective.parameters,
          evidence: r.evidence,
        });
    }
  }

  beforeAll(async () => {
    const d = database();
    const now = () => new Date(`${TODAY}T02:00:00Z`);
    const regions = createRegionsService({ db: d.db, now });
    const registry = createRegistryService({ db: d.db, engine: d.engine, now });
    await regions.load(SYSTEM_ACTOR, "360726");
    const villages = (await regions.villagesUnder("360726")).map((v) => v.code);
    const all = [...generateCounty({ villages, households: 2000, seed: 7, today: TODAY })];
    for (let i = 0; i < all.length; i += 1000)
      await registry.bulkCreate(SYSTEM_ACTOR, all.slice(i, i + 1000), { source: "demo" });
    await insertLastYearIncomes(d.db);
    // Fresh tables have no statistics; PostgreSQL would scan members once per household.
    await sql`ANALYZE`.execute(d.db);
    snapshot = await ColumnarSnapshot.load(createColumnarRepository(d.db), ALL);
  });

  describe.each([...cases.values()].map((c) => [`${c.policy} ${c.rule}`, c] as const))(
    "%s",
    (_name, c) => {
      it("selects the same households and gives the same evidence", async () => {
        const { expected, actual } = await compare.condition(c.checked, c.params);
        expect(actual).toEqual(expected);
        for (const ev of Object.values(c.evidence))
          expect(await compare.values(ev, c.params)).toEqual([]);
      });
    },
  );
});
