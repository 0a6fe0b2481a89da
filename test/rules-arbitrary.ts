/**
 * Random registry rows and random well-typed rules, for the differential tests of the two rule
 * compilers (src/core/rules/differential.db.test.ts).
 *
 * Households are valid rows of the tables with NULL in every nullable column now and then;
 * rules come from a typed grammar over the household context. Integer expressions carry a
 * bound on their magnitude so that no generated rule overflows PostgreSQL's int4 (an error
 * there, a double in SQLite) or leaves the integers JS holds exactly.
 */
import fc from "fast-check";

// ─── households ───────────────────────────────────────────────────────────────────

export const TODAY = "2026-06-01";

export const PARAMS = {
  monitoringLine: 7500,
  ratio: 0.5,
  laborAgeMin: 16,
  zero: 0,
  region: "360726",
  strict: true,
} as const;

export const VILLAGES = ["360726100201", "360726100202", "360726101201", "360726102203"];

const TEXTS = ["", "第1组", "第10组", "第2组", "Ａ组", "𠀀组", "O'Brien", "a", "B"];
const MONTHS = ["2021-03", "2021-12", "2023-06", "2025-12", "2026-01", "2026-06", "2026-07"];
const DATES = [
  "1936-01-01",
  "1958-12-31",
  "1990-06-01",
  "2000-02-29",
  "2010-05-31",
  "2010-06-01",
  "2010-06-02",
  "2012-09-01",
  "2020-06-01",
  "2026-05-31",
];
const RISKS = ["illness", "disability", "schooling", "lack_of_labor", "other"];

const maybe = <T>(a: fc.Arbitrary<T>, nullFreq = 1): fc.Arbitrary<T | null> =>
  fc.option(a, { nil: null, freq: 4 / nullFreq });
const flag = maybe(fc.constantFrom(0, 1));
const fen = maybe(
  fc.oneof(
    fc.constant(0),
    fc.integer({ min: -2_000_000, max: 10_000_000 }),
    fc.constantFrom(750_000, 100, 1, -1),
  ),
);
// Two decimals, as people enter areas: no subnormal that would make a quotient overflow.
const decimal = maybe(
  fc.oneof(
    fc.constantFrom(0, 0.5, 100, 100.5, 12.25),
    fc.integer({ min: 0, max: 50_000 }).map((x) => x / 100),
  ),
);
const text = (values: readonly string[]) => maybe(fc.constantFrom(...values));
const riskList = maybe(
  fc.oneof(
    fc.constant("[]"),
    fc.uniqueArray(fc.constantFrom(...RISKS), { maxLength: 3 }).map((a) => JSON.stringify(a)),
  ),
);

export interface MemberRow {
  name: string;
  id_type: string;
  id_number: string;
  sex: string | null;
  ethnicity: string | null;
  birth_date: string | null;
  relationship: string;
  education: string | null;
  school_status: string | null;
  out_of_school: number | null;
  health: string | null;
  labor_skill: string | null;
  public_welfare_job_months: number | null;
  ins_resident_medical: number | null;
  ins_employee_medical: number | null;
  position: number;
  status: "active" | "removed";
}

const memberArb = fc.record({
  name: fc.constantFrom("张三", "李四", "王五"),
  id_type: fc.constant("resident_id"),
  id_number: fc.constant(""),
  sex: text(["male", "female"]),
  ethnicity: text(["汉族", "畲族", ""]),
  birth_date: text(DATES),
  relationship: fc.constantFrom("户主", "配偶", "之子", "之女", "孙子"),
  education: text(["小学", "初中"]),
  school_status: text(["在校", "辍学", ""]),
  out_of_school: flag,
  health: text(["healthy", "chronic", "disabled"]),
  labor_skill: text(["skilled", "ordinary", "weak", "lost", "none"]),
  public_welfare_job_months: maybe(fc.integer({ min: 0, max: 12 })),
  ins_resident_medical: flag,
  ins_employee_medical: flag,
  position: fc.constant(0),
  status: fc.constantFrom<"active" | "removed">("active", "active", "active", "removed"),
});

/**
 * Annual income records (household_incomes) of the years around TODAY's: rules read the one of
 * the year before the evaluation date's. Size 0 makes the per-capita figure NULL (NULLIF).
 */
export interface IncomeRecordRow {
  year: number;
  net_income: number | null;
  size: number;
}
const incomeRecordsArb = fc.uniqueArray(
  fc.record({
    year: fc.constantFrom(2024, 2025, 2026),
    net_income: fen,
    size: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constant(0)),
  }),
  { selector: (r) => r.year, maxLength: 3 },
);

export const householdArb = fc.record({
  household: fc.record({
    village_code: fc.constantFrom(...VILLAGES),
    group_name: text(TEXTS),
    household_type: fc.constantFrom("ordinary", "formerly_poor", "newly_identified"),
    monitoring_category: text(["unstable", "marginal", "sudden_hardship"]),
    risk_factors: riskList,
    identified_month: text(MONTHS),
    risk_eliminated: flag,
    eliminated_month: text(MONTHS),
    elimination_method: text(["assisted", "natural"]),
    safety_net: flag,
    per_capita_income: fen,
    wage_income: fen,
    business_income: fen,
    property_income: fen,
    transfer_income: fen,
    business_costs: fen,
    compliant_expense: fen,
    dangerous_house: flag,
    housing_grade: text(["A", "B", "C", "D"]),
    house_area: decimal,
    safe_water: flag,
    electricity: flag,
    road_distance: decimal,
    arable_land: decimal,
    phone: text(["13800000000", ""]),
  }),
  members: fc.array(memberArb, { maxLength: 6 }),
  incomes: incomeRecordsArb,
});
export type RandomHousehold = typeof householdArb extends fc.Arbitrary<infer T> ? T : never;

// ─── rules ────────────────────────────────────────────────────────────────────────

type Ty = "bool" | "int" | "double" | "string";
/** A generated expression: CEL source and, for numbers, a bound on |value|. */
interface E {
  s: string;
  b: number;
}
const e = (s: string, b = 0): E => ({ s, b });
const INT_LIMIT = 1_000_000_000;

/** Leaves of each type; member leaves only inside a macro (variable `m`). */
function leaves(t: Ty, member: boolean): E[] {
  switch (t) {
    case "bool":
      return [
        e("true"),
        e("false"),
        e("h.safeWater"),
        e("h.dangerousHouse"),
        e("h.riskEliminated"),
        e("h.safetyNet"),
        e("h.monitored"),
        e("policy.strict"),
        e("has(h.monitoringCategory)"),
        e("has(h.riskFactors)"),
        e("has(h.wageIncome)"),
        e("has(h.netIncome)"),
        e("has(h.perCapitaIncome)"),
        e("has(h.houseArea)"),
        e("has(h.groupName)"),
        e("has(h.safeWater)"),
        e("has(h.townCode)"),
        e("has(h.lastYearPerCapitaIncome)"),
        e("has(h.lastYearSize)"),
        e("has(policy.ratio)"),
        ...(member
          ? [
              e("m.outOfSchool"),
              e("m.insResidentMedical"),
              e("m.insEmployeeMedical"),
              e("m.isHead"),
              e("has(m.birthDate)"),
              e("has(m.age)"),
              e("has(m.ethnicity)"),
              e("has(m.laborSkill)"),
              e("has(m.outOfSchool)"),
              e("has(m.isHead)"),
            ]
          : []),
      ];
    case "int":
      return [
        e("0"),
        e("1"),
        e("2"),
        e("3"),
        e("-1"),
        e("-7"),
        e("16"),
        e("100", 100),
        e("1000", 1000),
        e("h.size", 10),
        e("size(members)", 10),
        e("members.size()", 10),
        e("size(h.riskFactors)", 10),
        e("size(h.groupName)", 20),
        e("h.lastYearSize", 10),
        e("policy.laborAgeMin", 16),
        e("policy.zero"),
        e("policy.monitoringLine", 7500),
        e("monthsSince(h.identifiedMonth)", 2000),
        e("monthsSince(h.eliminatedMonth)", 2000),
        e("monthsSince(today)", 0),
        e("size([1, 2, 3])", 3),
        ...(member
          ? [
              e("m.age", 200),
              e("m.publicWelfareJobMonths", 12),
              e("size(m.ethnicity)", 10),
              e("monthsSince(m.birthDate)", 2000),
            ]
          : []),
      ].map((x) => ({ ...x, b: Math.max(x.b, Math.abs(Number(x.s)) || 0, 16) }));
    case "double":
      return [
        e("0.0"),
        e("0.5", 1),
        e("2.5", 3),
        e("-1.5", 2),
        e("7500.0", 7500),
        e("h.wageIncome", 1e5),
        e("h.businessIncome", 1e5),
        e("h.businessCosts", 1e5),
        e("h.compliantExpense", 1e5),
        e("h.reportedPerCapitaIncome", 1e5),
        e("h.netIncome", 5e5),
        e("h.perCapitaIncome", 5e5),
        e("h.lastYearNetIncome", 1e5),
        e("h.lastYearPerCapitaIncome", 1e5),
        e("h.houseArea", 500),
        e("h.arableLand", 500),
        e("policy.ratio", 1),
      ];
    case "string":
      return [
        e('""'),
        e('"C"'),
        e('"第1组"'),
        e('"Ａ组"'),
        e('"𠀀组"'),
        e('"2024-01"'),
        e('"户主"'),
        e('"O\'Brien"'),
        e("h.housingGrade"),
        e("h.groupName"),
        e("h.monitoringCategory"),
        e("h.identifiedMonth"),
        e("h.eliminatedMonth"),
        e("h.householdType"),
        e("h.villageCode"),
        e("h.townCode"),
        e("today"),
        e("policy.region"),
        ...(member
          ? [
              e("m.sex"),
              e("m.laborSkill"),
              e("m.health"),
              e("m.relationship"),
              e("m.birthDate"),
              e("m.ethnicity"),
              e("m.schoolStatus"),
            ]
          : []),
      ];
  }
}

const NUM_OPS = ["==", "!=", "<", "<=", ">", ">="] as const;

/**
 * Expressions of a type, `depth` levels of operators deep at most. `member` is true inside a
 * macro (no nested macros); `dyadic` keeps doubles to sums of quarters so that SQL's and JS's
 * summation agree to the bit whatever the order (SQLite compensates, PostgreSQL does not).
 */
export function expr(t: Ty, depth: number, member = false): fc.Arbitrary<E> {
  const leaf = fc.constantFrom(...leaves(t, member));
  if (depth <= 0) return leaf;
  const sub = (u: Ty) => expr(u, depth - 1, member);
  const num = fc.oneof(sub("int"), sub("double"));
  const bool = sub("bool");
  const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
  switch (t) {
    case "bool": {
      const options: fc.Arbitrary<E>[] = [
        leaf,
        fc.tuple(bool, bool, pick("&&", "||")).map(([a, b, op]) => e(`(${a.s} ${op} ${b.s})`)),
        bool.map((a) => e(`!${a.s}`)),
        fc.tuple(num, num, pick(...NUM_OPS)).map(([a, b, op]) => e(`(${a.s} ${op} ${b.s})`)),
        fc
          .tuple(sub("string"), sub("string"), pick(...NUM_OPS))
          .map(([a, b, op]) => e(`(${a.s} ${op} ${b.s})`)),
        fc.tuple(bool, bool, pick("==", "!=")).map(([a, b, op]) => e(`(${a.s} ${op} ${b.s})`)),
        fc.tuple(num, pick("==", "!=")).map(([a, op]) => e(`(${a.s} ${op} null)`)),
        fc.tuple(bool, bool, bool).map(([c, a, b]) => e(`(${c.s} ? ${a.s} : ${b.s})`)),
        fc
          .tuple(num, fc.array(fc.oneof(num, fc.constant(e("null"))), { maxLength: 3 }))
          .map(([x, items]) => e(`(${x.s} in [${items.map((i) => i.s).join(", ")}])`)),
        fc
          .tuple(
            sub("string"),
            fc.array(fc.oneof(sub("string"), fc.constant(e("null"))), { maxLength: 3 }),
          )
          .map(([x, items]) => e(`(${x.s} in [${items.map((i) => i.s).join(", ")}])`)),
        fc
          .tuple(fc.oneof(sub("string"), pick(e('"illness"'), e('"other"'), e('"x"'))))
          .map(([x]) => e(`(${x.s} in h.riskFactors)`)),
        fc
          .tuple(
            sub("string"),
            pick("startsWith", "endsWith", "contains"),
            pick("", "第", "组", "2", "C", "𠀀"),
          )
          .map(([x, fn, lit]) => e(`${x.s}.${fn}(${JSON.stringify(lit)})`)),
      ];
      if (!member) {
        const mb = expr("bool", depth - 1, true);
        options.push(
          fc
            .tuple(pick("exists", "all", "exists_one"), mb)
            .map(([fn, b]) => e(`members.${fn}(m, ${b.s})`)),
        );
      }
      return fc.oneof(...options);
    }
    case "int": {
      const int = sub("int");
      const options: fc.Arbitrary<E>[] = [
        leaf,
        fc
          .tuple(int, int, pick("+", "-"))
          .filter(([a, b]) => a.b + b.b < INT_LIMIT)
          .map(([a, b, op]) => e(`(${a.s} ${op} ${b.s})`, a.b + b.b)),
        fc
          .tuple(int, int)
          .filter(([a, b]) => a.b * b.b < INT_LIMIT)
          .map(([a, b]) => e(`(${a.s} * ${b.s})`, a.b * b.b)),
        fc.tuple(int, int, pick("/", "%")).map(([a, b, op]) => e(`(${a.s} ${op} ${b.s})`, a.b)),
        int.map((a) => e(`-${a.s}`, a.b)),
        fc
          .tuple(bool, int, int)
          .map(([c, a, b]) => e(`(${c.s} ? ${a.s} : ${b.s})`, Math.max(a.b, b.b))),
        sub("double")
          .filter((d) => d.b < INT_LIMIT)
          .map((d) => e(`int(${d.s})`, d.b)),
      ];
      if (!member) {
        const mb = expr("bool", depth - 1, true);
        const mi = expr("int", depth - 1, true);
        options.push(
          mb.map((b) => e(`size(members.filter(m, ${b.s}))`, 10)),
          fc.tuple(mb, mi).map(([b, x]) => e(`size(members.map(m, ${b.s}, ${x.s}))`, 10)),
          mi
            .filter((x) => x.b * 10 < INT_LIMIT)
            .map((x) => e(`sum(members.map(m, ${x.s}))`, x.b * 10)),
          fc
            .tuple(mb, mi)
            .filter(([, x]) => x.b * 10 < INT_LIMIT)
            .map(([b, x]) => e(`sum(members.map(m, ${b.s}, ${x.s}))`, x.b * 10)),
          fc
            .tuple(mi, pick("min", "max"))
            .map(([x, fn]) => e(`${fn}(members.map(m, ${x.s}))`, x.b)),
        );
      }
      return fc.oneof(...options);
    }
    case "double": {
      const dbl = sub("double");
      const options: fc.Arbitrary<E>[] = [
        leaf,
        fc.tuple(dbl, num, pick("+", "-", "*", "/"), fc.boolean()).map(([a, b, op, swap]) => {
          const [x, y] = swap ? [b, a] : [a, b];
          return e(`(${x.s} ${op} ${y.s})`, op === "*" ? a.b * b.b : op === "/" ? 1e12 : a.b + b.b);
        }),
        dbl.map((a) => e(`-${a.s}`, a.b)),
        sub("int").map((a) => e(`double(${a.s})`, a.b)),
        fc
          .tuple(bool, dbl, dbl)
          .map(([c, a, b]) => e(`(${c.s} ? ${a.s} : ${b.s})`, Math.max(a.b, b.b))),
        // Branches of different numeric types: the result is a double in both databases.
        fc
          .tuple(bool, sub("int"), dbl)
          .map(([c, a, b]) => e(`(${c.s} ? ${a.s} : ${b.s})`, Math.max(a.b, b.b))),
      ];
      if (!member) {
        const mi = expr("int", depth - 1, true);
        const mb = expr("bool", depth - 1, true);
        const md = expr("double", depth - 1, true);
        options.push(
          // Quarters sum exactly in any order.
          fc
            .tuple(mi, pick("0.25", "0.5", "1.5"))
            .map(([x, q]) => e(`sum(members.map(m, ${x.s} * ${q}))`, x.b * 20)),
          fc
            .tuple(mb, mi)
            .map(([b, x]) => e(`sum(members.map(m, ${b.s}, double(${x.s})))`, x.b * 10)),
          fc
            .tuple(md, pick("min", "max"))
            .map(([x, fn]) => e(`${fn}(members.map(m, ${x.s}))`, x.b)),
        );
      }
      return fc.oneof(...options);
    }
    case "string": {
      const str = sub("string");
      return fc.oneof(
        leaf,
        fc.tuple(bool, str, str).map(([c, a, b]) => e(`(${c.s} ? ${a.s} : ${b.s})`)),
      );
    }
  }
}

/** A random rule condition. */
export const conditionArb = (depth = 3) => expr("bool", depth).map((x) => x.s);

/** A random evidence expression of any type. */
export const evidenceArb = (depth = 2) =>
  fc
    .oneof(expr("int", depth), expr("double", depth), expr("string", depth), expr("bool", depth))
    .map((x) => x.s);
