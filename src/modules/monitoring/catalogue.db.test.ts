/**
 * The rule catalogue, rule by rule: for every enabled rule of 安远县's 2026 policy, one household
 * that triggers it (with the evidence it should record) and one, a small step away, that does
 * not. Every household starts from the same clean household, which raises no signal at all, so
 * a tweak shows exactly what each rule reacts to. A rule without a case fails the suite.
 */
import type { Kysely } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { household, VILLAGE_A } from "../../../test/factories.ts";
import { makeIdNumber } from "../../core/id-number.ts";
import type { MemberValues } from "../../core/registry-fields.ts";
import type { DB } from "../../db/schema.ts";
import { SYSTEM_ACTOR } from "../auth/index.ts";
import { NO_COUNTS } from "../feeds/feeds.repository.ts";
import { createPolicyService } from "../policy/index.ts";
import { createRegionsService } from "../regions/index.ts";
import { type CreateHouseholdInput, createRegistryService } from "../registry/index.ts";
import { createMonitoringService } from "./index.ts";

/** 2026-06-01 in China: ages and months below count from this day. */
const NOW = new Date("2026-06-01T02:00:00Z");
const YEAR = 2026;
const policies = createPolicyService();
const policy = policies.forRegion(VILLAGE_A, YEAR);
const RULE_IDS = policy.compiled.map((c) => c.rule.id);

type Member = Partial<MemberValues>;
type Values = CreateHouseholdInput["household"];

/** A household being built: its values, its members, and the per-capita income to give it. */
interface Draft {
  h: Values;
  m: Member[];
  /** Per-capita net income in yuan, spread over the components for the final size; null: the components are set by hand. */
  pci: number | null;
  /** Reported per-capita income in yuan when it should differ from the components. */
  reported?: number;
  /** Assistance measures recorded for the household (modules/assistance). */
  measures?: { category: string; development: boolean; status?: string }[];
  /** Department data about the members (facts.<name>), stored before the sweep. */
  facts?: DraftFact[];
  /** Annual income records (per-capita yuan by year), stored as closing those years would. */
  incomes?: { year: number; pci: number }[];
}

/** A fact of a feed about member `member` (index); `removed`: the member has left since. */
interface DraftFact {
  feed: string;
  member: number;
  from: string;
  values: Record<string, string | number>;
  removed?: boolean;
}
type Tweak = (d: Draft) => void;

interface Case {
  /** Makes the household trigger the rule. */
  hit: Tweak;
  /** The evidence the signal of `hit` records. */
  evidence?: Record<string, unknown>;
  /** Makes a household that comes close but must not trigger the rule. */
  miss: Tweak;
  /** Further households that must (hit) or must not (miss) trigger it. */
  more?: { hit?: Tweak[]; miss?: Tweak[] };
}

// ── Building blocks ──────────────────────────────────────────────────────────────────────

let sequence = 0;
/** A birth date that makes the age exactly `age` on NOW. */
const born = (age: number) => `${YEAR - age}-01-10`;

/** A clean member of the given age (full years on NOW) with a fresh ID number. */
function person(age: number, relationship: string, more: Member = {}): Member {
  sequence += 2;
  return {
    name: `成员${sequence}`,
    idType: "resident_id",
    idNumber: makeIdNumber("360726", born(age), sequence),
    relationship,
    ethnicity: "汉族",
    education: age < 6 ? "学龄前儿童" : age < 12 ? "小学" : "初中",
    health: "healthy",
    laborSkill: age < 16 ? "none" : "ordinary",
    insResidentMedical: true,
    insEmployeeMedical: false,
    insSeriousIllness: true,
    medicalAssistance: false,
    insResidentPension: age >= 16 ? true : null,
    insEmployeePension: age >= 16 ? false : null,
    dibao: "none",
    tekun: "none",
    ...more,
  };
}

/** A school-age child in school (grade by age), son of the head. */
function child(age: number, more: Member = {}): Member {
  const grades = ["一", "二", "三", "四", "五", "六"];
  const schoolStatus =
    age < 6
      ? "学前教育"
      : age < 12
        ? `小学${grades[age - 6]}年级`
        : age <= 15
          ? ["七年级", "八年级", "九年级", "九年级"][age - 12]!
          : "高中一年级";
  return person(age, "之子", {
    schoolStatus,
    outOfSchool: age >= 6 && age <= 15 ? false : null,
    ...more,
  });
}

/**
 * The clean household: factory household (head 47–66, spouse 44–63 with a chronic illness, son
 * 21–40, all insured) with every field a rule looks at filled in plausibly. Per-capita income
 * 10,500 yuan: above 安远县's monitoring line (7,500) and its near-line band (9,000).
 */
function clean(seed: number): Draft {
  const base = household(VILLAGE_A, { seed });
  return {
    h: {
      ...base.household,
      householdType: "ordinary",
      phone: "13800000000",
      collectorName: "王采集",
      collectorPhone: "13900000000",
      safeWater: true,
      dangerousHouse: false,
      housingGrade: "A",
      houseArea: 120,
      electricity: true,
      hardenedRoad: true,
      roadDistance: 0.5,
      sanitaryToilet: true,
      arableLand: 3,
      forestLand: 10,
      safetyNet: false,
      compliantExpense: 0,
    },
    m: base.members.map((m) => ({
      ...m,
      ethnicity: "汉族",
      insEmployeeMedical: false,
      insSeriousIllness: true,
      medicalAssistance: false,
      insResidentPension: true,
      insEmployeePension: false,
      dibao: "none",
      tekun: "none",
    })),
    pci: 10_500,
  };
}

/**
 * The household as the registry takes it. The per-capita income is spread over the components
 * (fen), transfers first; the reported per-capita figure matches the components unless a case
 * sets `reported`.
 */
function finish(d: Draft): CreateHouseholdInput {
  const size = d.m.length;
  if (d.pci !== null) {
    const total = d.pci * size * 100;
    const transfer = Math.min(300_000, total);
    Object.assign(d.h, {
      wageIncome: total - transfer,
      businessIncome: 0,
      propertyIncome: 0,
      transferIncome: transfer,
      businessCosts: 0,
    });
  }
  const parts = [d.h.wageIncome, d.h.businessIncome, d.h.propertyIncome, d.h.transferIncome];
  const net = parts.some((v) => v !== null && v !== undefined)
    ? parts.reduce<number>((a, v) => a + (v ?? 0), 0) - (d.h.businessCosts ?? 0)
    : null;
  d.h.perCapitaIncome =
    d.reported !== undefined ? d.reported * 100 : net === null ? null : Math.round(net / size);
  return { household: d.h, members: d.m };
}

const [HEAD, SPOUSE, SON] = [0, 1, 2];
const set =
  (i: number, values: Member): Tweak =>
  (d) => {
    Object.assign(d.m[i]!, values);
  };
const setAll =
  (values: Member): Tweak =>
  (d) => {
    for (const m of d.m) Object.assign(m, values);
  };
const hh =
  (values: Values): Tweak =>
  (d) => {
    Object.assign(d.h, values);
  };
const add =
  (...members: (() => Member)[]): Tweak =>
  (d) => {
    d.m.push(...members.map((f) => f()));
  };
const pci =
  (yuan: number): Tweak =>
  (d) => {
    d.pci = yuan;
  };
/** Sets the income components by hand (yuan; absent = 0, null = not surveyed). */
const income =
  (c: {
    wage?: number | null;
    business?: number | null;
    property?: number | null;
    transfer?: number | null;
    costs?: number | null;
  }): Tweak =>
  (d) => {
    const fen = (v: number | null | undefined) => (v === null ? null : (v ?? 0) * 100);
    d.pci = null;
    Object.assign(d.h, {
      wageIncome: fen(c.wage),
      businessIncome: fen(c.business),
      propertyIncome: fen(c.property),
      transferIncome: fen(c.transfer),
      businessCosts: fen(c.costs),
    });
  };
const NOT_SURVEYED = { wage: null, business: null, property: null, transfer: null, costs: null };
const all =
  (...tweaks: Tweak[]): Tweak =>
  (d) => {
    for (const t of tweaks) t(d);
  };
/** An ordinary household identified as 边缘易致贫户 (risk not eliminated). */
const monitored = (identifiedMonth = "2026-01", riskFactors = ["illness"]): Tweak =>
  hh({
    monitoringCategory: "marginal",
    identifiedMonth,
    riskFactors,
    riskEliminated: false,
  });
/** A household identified in 2025-03 whose risk was eliminated in 2025-12 with assistance. */
const eliminated = (values: Values = {}): Tweak =>
  hh({
    monitoringCategory: "marginal",
    identifiedMonth: "2025-03",
    riskFactors: ["illness"],
    riskEliminated: true,
    eliminatedMonth: "2025-12",
    eliminationMethod: "assisted",
    ...values,
  });
/** Records an assistance measure for the household. */
const measure =
  (category: string, development: boolean, status = "delivered"): Tweak =>
  (d) => {
    d.measures = [...(d.measures ?? []), { category, development, status }];
  };
/** A department fact about a member (money in fen, flags 0/1, as the loader stores them). */
const fact =
  (
    feed: string,
    member: number,
    from: string,
    values: DraftFact["values"] = {},
    removed = false,
  ): Tweak =>
  (d) => {
    d.facts ??= [];
    d.facts.push({ feed, member, from, values, removed });
  };
/** An annual income record: per-capita net income `pci` yuan in `year` (default last year). */
const recorded =
  (pci: number, year = YEAR - 1): Tweak =>
  (d) => {
    d.incomes = [...(d.incomes ?? []), { year, pci }];
  };
const formerlyPoor = hh({ householdType: "formerly_poor" });
/** The evidence `sources` of facts stored as rows 2, 3 … of catalogue.csv. */
const sources = (rows: number) =>
  Array.from({ length: rows }, (_, k) => `catalogue.csv 第 ${k + 2} 行`).join("；");
const dibao = { dibao: "rural" };
const tekun = { tekun: "dispersed" };
/** Head and spouse weak labour: the son (21–40, skilled) is the only full worker. */
const onlySonWorks = all(set(HEAD, { laborSkill: "weak" }), set(SPOUSE, { laborSkill: "weak" }));

// ── One case per rule ─────────────────────────────────────────────────────────────────────

const CASES: Record<string, Case> = {
  // Income
  "income.below_line": {
    hit: pci(7_000),
    evidence: { perCapitaIncome: 7000, monitoringLine: 7500 },
    miss: pci(7_500),
    more: { miss: [all(monitored(), pci(7_000))] },
  },
  "income.near_line": {
    hit: pci(8_999),
    evidence: { perCapitaIncome: 8999, monitoringLine: 7500, nearLimit: 9000 },
    miss: pci(9_000),
    more: { miss: [pci(7_499), all(monitored(), pci(8_000))] },
  },
  "income.formerly_poor_below_poverty_line": {
    hit: all(hh({ householdType: "formerly_poor" }), pci(3_999)),
    evidence: { perCapitaIncome: 3999, povertyLine: 4000 },
    miss: all(hh({ householdType: "formerly_poor" }), pci(4_000)),
    more: { miss: [pci(3_999)] },
  },
  "income.sharp_drop": {
    // 12,500 → 8,000: down 36 % (more than 30 %), under 1.5 × 7,500 = 11,250.
    hit: all(recorded(12_500), pci(8_000)),
    evidence: {
      lastYear: 12500,
      thisYear: 8000,
      dropPercent: 36,
      monitoringLine: 7500,
      watchMultiple: 1.5,
    },
    // Down 28 %: not sharp enough.
    miss: all(recorded(12_500), pci(9_000)),
    more: {
      hit: [all(recorded(12_500), pci(7_000)), all(eliminated(), recorded(12_500), pci(8_000))],
      miss: [
        // Down 60 %, but still above 1.5 times the line.
        all(recorded(30_000), pci(12_000)),
        // Already monitored.
        all(monitored(), recorded(12_500), pci(8_000)),
        // No record of last year: only of the year before, or of this year.
        pci(8_000),
        all(recorded(12_500, YEAR - 2), pci(8_000)),
        all(recorded(12_500, YEAR), pci(8_000)),
        // Last year's income was nothing.
        all(recorded(0), pci(8_000)),
      ],
    },
  },
  "food_clothing.below_subsistence": {
    hit: pci(3_000),
    evidence: { perCapitaIncome: 3000, povertyLine: 4000 },
    miss: all(pci(3_000), setAll(dibao)),
    more: { hit: [all(pci(3_000), setAll({ dibao: null }))], miss: [pci(4_000)] },
  },

  // Education
  "education.out_of_school": {
    hit: add(() => child(12, { schoolStatus: null, outOfSchool: true, dropoutReason: "厌学" })),
    evidence: { children: 1 },
    miss: add(() => child(16, { schoolStatus: null, outOfSchool: true, dropoutReason: "厌学" })),
    more: {
      hit: [add(() => child(6, { schoolStatus: null, outOfSchool: true, dropoutReason: "因病" }))],
      miss: [add(() => child(12))],
    },
  },
  "education.not_enrolled": {
    hit: add(() => child(8, { schoolStatus: null, notEnrolledReason: "重度残疾" })),
    evidence: { children: 1 },
    miss: add(() => child(5, { schoolStatus: null, notEnrolledReason: "重度残疾" })),
  },

  // Medical
  "medical.uninsured": {
    hit: set(HEAD, { insResidentMedical: false, insEmployeeMedical: null }),
    evidence: { uninsured: 1 },
    miss: set(HEAD, { insResidentMedical: false, insEmployeeMedical: true }),
    more: {
      hit: [setAll({ insResidentMedical: false, insEmployeeMedical: false })],
      miss: [set(HEAD, { insResidentMedical: null, insEmployeeMedical: null })],
    },
  },
  "medical.serious_illness_insurance_missing": {
    hit: all(monitored(), set(SPOUSE, { insSeriousIllness: false })),
    evidence: { members: 1 },
    miss: set(SPOUSE, { insSeriousIllness: false }),
  },
  "medical.assistance_missing": {
    hit: all(monitored(), set(SPOUSE, { health: "serious_illness", medicalAssistance: false })),
    evidence: { members: 1 },
    miss: all(monitored(), set(SPOUSE, { health: "serious_illness", medicalAssistance: true })),
  },

  // Housing and water
  "housing.unsafe": {
    hit: hh({ dangerousHouse: true, housingGrade: "D" }),
    evidence: { grade: "D" },
    miss: hh({ dangerousHouse: false, housingGrade: "B" }),
    more: { hit: [hh({ dangerousHouse: null, housingGrade: "C" })] },
  },
  "water.unsafe": {
    hit: hh({ safeWater: false }),
    miss: hh({ safeWater: null }),
  },

  // Expense (安远县 2026: 22,000 × 0.5 = 11,000 yuan; household net income 31,500 yuan)
  "expense.medical_burden": {
    hit: hh({ compliantExpense: 1_100_100 }),
    evidence: { expense: 11001, percent: 50, limit: 11000 },
    miss: hh({ compliantExpense: 1_100_000 }),
  },
  "expense.burden_over_income": {
    hit: hh({ compliantExpense: 1_575_100 }),
    evidence: { expense: 15751, netIncome: 31500, percent: 50 },
    miss: hh({ compliantExpense: 1_575_000 }),
  },
  "expense.income_after_expense_below_line": {
    hit: hh({ compliantExpense: 930_000 }),
    evidence: { expense: 9300, afterExpense: 7400, monitoringLine: 7500 },
    miss: hh({ compliantExpense: 900_000 }),
    more: { miss: [all(monitored(), hh({ compliantExpense: 930_000 }))] },
  },

  // Labour
  "labor.none_without_safety_net": {
    hit: all(
      hh({ householdType: "formerly_poor", safetyNet: null }),
      setAll({ laborSkill: "none" }),
      set(HEAD, { laborSkill: "lost" }),
    ),
    evidence: { size: 3 },
    miss: all(
      hh({ householdType: "formerly_poor", safetyNet: true }),
      setAll({ laborSkill: "none" }),
    ),
    more: {
      hit: [all(monitored(), setAll({ laborSkill: "none" }))],
      miss: [
        all(
          hh({ householdType: "formerly_poor" }),
          setAll({ laborSkill: "none" }),
          set(SON, { laborSkill: "weak" }),
        ),
        setAll({ laborSkill: "none" }),
      ],
    },
  },
  "labor.no_working_age_labor": {
    hit: all(setAll({ laborSkill: "weak" }), pci(8_000)),
    evidence: { minAge: 16, maxAge: 59, perCapitaIncome: 8000 },
    miss: all(setAll({ laborSkill: "weak" }), set(SON, { laborSkill: "ordinary" }), pci(8_000)),
    more: {
      // Labour outside working age does not count.
      hit: [
        all(
          setAll({ laborSkill: "weak" }),
          add(() => person(60, "其他", { laborSkill: "ordinary" })),
          add(() => child(15, { laborSkill: "ordinary" })),
          pci(8_000),
        ),
      ],
      miss: [all(setAll({ laborSkill: "weak" }), pci(9_000))],
    },
  },

  // Eligibility
  "eligibility.employee_pension_member": {
    hit: all(monitored(), set(SON, { insEmployeePension: true, insResidentPension: false })),
    evidence: { members: 1 },
    miss: all(
      monitored(),
      add(() => person(60, "其他", { insEmployeePension: true, insResidentPension: false })),
    ),
    more: { miss: [set(SON, { insEmployeePension: true, insResidentPension: false })] },
  },
  "eligibility.tekun_with_supporter": {
    hit: all(onlySonWorks, set(SPOUSE, { ...tekun, laborSkill: "none" })),
    evidence: { workers: 1 },
    miss: all(onlySonWorks, set(SON, { laborSkill: "weak" }), set(SPOUSE, tekun)),
  },
  "eligibility.elimination_unjustified": {
    hit: all(eliminated(), pci(7_000)),
    evidence: { eliminated: "2025-12", perCapitaIncome: 7000, monitoringLine: 7500 },
    miss: all(eliminated(), pci(7_500)),
    more: {
      hit: [
        all(eliminated(), hh({ safeWater: false })),
        all(eliminated(), hh({ housingGrade: "D", dangerousHouse: true })),
        all(eliminated(), set(SON, { insResidentMedical: false })),
        all(
          eliminated(),
          add(() => child(9, { schoolStatus: null, outOfSchool: true })),
        ),
      ],
      miss: [all(monitored(), pci(7_000))],
    },
  },
  "eligibility.monitored_income_far_above_line": {
    hit: all(monitored(), pci(15_000)),
    evidence: { perCapitaIncome: 15000, multiple: 2 },
    miss: all(monitored(), pci(14_999)),
    more: {
      miss: [
        all(monitored(), pci(15_000), hh({ compliantExpense: 1_100_100 })),
        all(monitored(), hh({ monitoringCategory: "sudden_hardship" }), pci(15_000)),
      ],
    },
  },

  // Assistance
  "assistance.safety_net_without_benefit": {
    hit: all(hh({ safetyNet: true }), setAll({ laborSkill: "none" })),
    miss: all(hh({ safetyNet: true }), setAll({ laborSkill: "none", ...dibao })),
  },
  "assistance.labor_without_development": {
    hit: all(monitored("2025-12"), onlySonWorks, income({ business: 28_500, transfer: 3_000 })),
    evidence: { months: 6, workers: 1 },
    miss: all(monitored("2026-01"), onlySonWorks, income({ business: 28_500, transfer: 3_000 })),
    more: {
      miss: [
        all(
          monitored("2025-12"),
          onlySonWorks,
          set(SON, { workLocation: "广东省深圳市" }),
          income({ business: 28_500, transfer: 3_000 }),
        ),
        all(
          monitored("2025-12"),
          onlySonWorks,
          set(SON, { publicWelfareJob: "护林员", publicWelfareJobMonths: 10 }),
          income({ business: 28_500, transfer: 3_000 }),
        ),
        all(monitored("2025-12"), onlySonWorks),
      ],
    },
  },
  "assistance.no_measure": {
    hit: monitored("2026-04"),
    evidence: { months: 2 },
    miss: monitored("2026-06"),
    more: {
      hit: [all(monitored("2026-04"), measure("健康帮扶", false, "stopped"))],
      miss: [all(monitored("2026-01"), measure("健康帮扶", false, "planned"))],
    },
  },
  "assistance.labor_no_development_measure": {
    hit: all(monitored("2025-12"), measure("健康帮扶", false)),
    evidence: { months: 6, workers: 3 },
    miss: all(monitored("2025-12"), measure("就业帮扶", true)),
    more: {
      hit: [all(monitored("2025-12"), measure("金融帮扶", true, "stopped"))],
      miss: [
        all(monitored("2026-01"), measure("健康帮扶", false)),
        all(monitored("2025-12"), setAll({ laborSkill: "lost" })),
      ],
    },
  },
  "assistance.income_still_below_line": {
    hit: all(monitored("2025-06"), pci(7_000)),
    evidence: { months: 12, perCapitaIncome: 7000, monitoringLine: 7500 },
    miss: all(monitored("2025-07"), pci(7_000)),
  },
  "assistance.pension_missing": {
    hit: all(monitored(), set(HEAD, { insResidentPension: false, insEmployeePension: null })),
    evidence: { members: 1, age: 16 },
    miss: all(monitored(), set(HEAD, { insResidentPension: false, insEmployeePension: true })),
    more: {
      miss: [
        all(
          monitored(),
          add(() => child(15, { insResidentPension: false })),
        ),
        all(
          monitored(),
          add(() => child(17, { insResidentPension: false })),
        ),
      ],
    },
  },

  // Data quality: identity and ID documents
  "dq.ethnicity_missing": {
    hit: set(SPOUSE, { ethnicity: "" }),
    miss: set(SPOUSE, { ethnicity: "畲族" }),
  },
  "dq.birth_or_sex_missing": {
    hit: add(() => person(30, "其他", { idType: "other", idNumber: "E12345678" })),
    evidence: { members: 1 },
    miss: add(() =>
      person(30, "其他", {
        idType: "other",
        idNumber: "E12345679",
        birthDate: "1996-01-10",
        sex: "female",
      }),
    ),
  },
  "dq.disability_cert_not_disabled": {
    hit: (d) =>
      set(SPOUSE, { idType: "disability_cert", idNumber: `${d.m[SPOUSE]!.idNumber}12` })(d),
    miss: (d) =>
      set(SPOUSE, {
        idType: "disability_cert",
        idNumber: `${d.m[SPOUSE]!.idNumber}12`,
        health: "disabled",
      })(d),
  },
  "dq.disability_cert_short_number": {
    hit: set(SPOUSE, { idType: "disability_cert", health: "disabled" }),
    miss: (d) =>
      set(SPOUSE, {
        idType: "disability_cert",
        idNumber: `${d.m[SPOUSE]!.idNumber}12`,
        health: "disabled",
      })(d),
  },
  "dq.other_id_with_resident_length": {
    hit: set(SPOUSE, { idType: "other" }),
    miss: set(SPOUSE, { idType: "other", idNumber: "E87654321" }),
  },
  "dq.head_minor": {
    hit: (d) => {
      d.m = [person(15, "户主", { laborSkill: "weak" })];
    },
    evidence: { age: 15, minAge: 16 },
    miss: (d) => {
      d.m = [person(16, "户主")];
    },
  },
  "dq.two_spouses": {
    hit: add(() => person(40, "配偶")),
    evidence: { spouses: 2 },
    miss: add(() => person(40, "兄弟姐妹")),
  },
  "dq.age_over_limit": {
    hit: add(() => person(111, "其他", { laborSkill: "none" })),
    evidence: { age: 111, limit: 110 },
    miss: add(() => person(110, "其他", { laborSkill: "none" })),
  },

  // Data quality: education
  "dq.education_missing": {
    hit: set(SON, { education: null }),
    evidence: { members: 1 },
    miss: set(SON, { education: "大专" }),
  },
  "dq.school_age_status_missing": {
    hit: add(() => child(10, { schoolStatus: null, outOfSchool: null })),
    miss: add(() => child(10, { schoolStatus: null, outOfSchool: true, dropoutReason: "厌学" })),
    more: { hit: [add(() => child(15, { schoolStatus: null, outOfSchool: false }))] },
  },
  "dq.school_age_preschool_status": {
    hit: add(() => child(7, { schoolStatus: "学龄前儿童" })),
    evidence: { age: 7 },
    miss: add(() => child(6, { schoolStatus: "学前教育" })),
  },
  "dq.student_overage": {
    hit: add(() => child(21, { schoolStatus: "九年级" })),
    evidence: { limit: 20 },
    miss: add(() => child(20, { schoolStatus: "九年级" })),
    more: { hit: [add(() => child(25, { schoolStatus: "小学六年级" }))] },
  },
  "dq.out_of_school_outside_age": {
    hit: add(() => child(16, { schoolStatus: null, outOfSchool: true, dropoutReason: "厌学" })),
    evidence: { minAge: 6, maxAge: 15 },
    miss: add(() => child(15, { schoolStatus: null, outOfSchool: true, dropoutReason: "厌学" })),
  },
  "dq.out_of_school_without_reason": {
    hit: add(() => child(12, { schoolStatus: null, outOfSchool: true })),
    miss: add(() => child(12, { schoolStatus: null, outOfSchool: true, dropoutReason: "厌学" })),
  },
  "dq.dropout_reason_without_flag": {
    hit: add(() => child(12, { schoolStatus: null, outOfSchool: null, dropoutReason: "厌学" })),
    miss: add(() => child(12, { schoolStatus: null, outOfSchool: true, dropoutReason: "厌学" })),
  },
  "dq.out_of_school_but_enrolled": {
    hit: add(() => child(12, { outOfSchool: true, dropoutReason: "厌学" })),
    miss: add(() => child(12, { schoolStatus: null, outOfSchool: true, dropoutReason: "厌学" })),
  },
  "dq.schooling_risk_without_student": {
    hit: monitored("2026-01", ["schooling"]),
    miss: all(
      monitored("2026-01", ["schooling"]),
      add(() => child(17)),
    ),
  },

  // Data quality: health and insurance
  "dq.health_missing": {
    hit: set(SON, { health: null }),
    evidence: { members: 1 },
    miss: set(SON, { health: "disabled" }),
  },
  "dq.disability_risk_without_disabled": {
    hit: monitored("2026-01", ["disability"]),
    miss: all(monitored("2026-01", ["disability"]), set(SPOUSE, { health: "disabled" })),
  },
  "dq.illness_risk_without_ill": {
    hit: all(monitored("2026-01", ["illness"]), set(SPOUSE, { health: "healthy" })),
    miss: monitored("2026-01", ["illness"]),
  },
  "dq.medical_insurance_unknown": {
    hit: set(SON, { insResidentMedical: null, insEmployeeMedical: null }),
    evidence: { members: 1 },
    miss: set(SON, { insResidentMedical: null, insEmployeeMedical: true }),
  },
  "dq.both_medical_schemes": {
    hit: set(SON, { insResidentMedical: true, insEmployeeMedical: true }),
    miss: set(SON, { insResidentMedical: false, insEmployeeMedical: true }),
  },
  "dq.minor_employee_medical": {
    hit: add(() => child(15, { insEmployeeMedical: true, insResidentMedical: false })),
    evidence: { age: 16 },
    miss: add(() => child(16, { insEmployeeMedical: true, insResidentMedical: false })),
  },
  "dq.serious_illness_without_basic": {
    hit: set(SON, { insResidentMedical: false, insEmployeeMedical: null, insSeriousIllness: true }),
    miss: set(SON, {
      insResidentMedical: false,
      insEmployeeMedical: true,
      insSeriousIllness: true,
    }),
  },
  "dq.both_pension_schemes": {
    hit: set(SON, { insResidentPension: true, insEmployeePension: true }),
    miss: set(SON, { insResidentPension: false, insEmployeePension: true }),
  },

  // Data quality: labour and employment
  "dq.labor_skill_missing": {
    hit: set(SON, { laborSkill: null }),
    miss: set(SON, { laborSkill: "weak" }),
  },
  "dq.child_marked_labor": {
    hit: add(() => child(15, { laborSkill: "ordinary" })),
    evidence: { age: 16 },
    miss: add(() => child(16, { laborSkill: "ordinary" })),
  },
  "dq.elderly_skilled_labor": {
    hit: add(() => person(71, "其他", { laborSkill: "skilled" })),
    evidence: { age: 70 },
    miss: add(() => person(70, "其他", { laborSkill: "skilled" })),
  },
  "dq.work_location_without_labor": {
    hit: set(SPOUSE, { laborSkill: "lost", workLocation: "广东省深圳市" }),
    miss: set(SPOUSE, { laborSkill: "weak", workLocation: "广东省深圳市" }),
  },
  "dq.welfare_job_without_labor": {
    hit: set(SPOUSE, {
      laborSkill: "none",
      publicWelfareJob: "护林员",
      publicWelfareJobMonths: 10,
    }),
    miss: set(SPOUSE, {
      laborSkill: "weak",
      publicWelfareJob: "护林员",
      publicWelfareJobMonths: 10,
    }),
  },
  "dq.welfare_job_months_without_job": {
    hit: set(SPOUSE, { publicWelfareJob: null, publicWelfareJobMonths: 6 }),
    miss: set(SPOUSE, { publicWelfareJob: null, publicWelfareJobMonths: 0 }),
  },
  "dq.welfare_job_without_months": {
    hit: set(SPOUSE, { publicWelfareJob: "保洁员", publicWelfareJobMonths: null }),
    miss: set(SPOUSE, { publicWelfareJob: "保洁员", publicWelfareJobMonths: 1 }),
    more: { hit: [set(SPOUSE, { publicWelfareJob: "保洁员", publicWelfareJobMonths: 0 })] },
  },
  "dq.welfare_job_months_over_limit": {
    hit: set(SPOUSE, { publicWelfareJob: "保洁员", publicWelfareJobMonths: 13 }),
    evidence: { months: 13, limit: 12 },
    miss: set(SPOUSE, { publicWelfareJob: "保洁员", publicWelfareJobMonths: 12 }),
  },
  "dq.lack_of_labor_with_workers": {
    hit: monitored("2026-01", ["lack_of_labor"]),
    evidence: { workers: 3 },
    miss: all(monitored("2026-01", ["lack_of_labor"]), onlySonWorks),
  },
  "dq.safety_net_with_labor": {
    hit: hh({ safetyNet: true }),
    evidence: { workers: 3 },
    miss: all(hh({ safetyNet: true }), setAll({ laborSkill: "weak" })),
  },

  // Data quality: social assistance
  "dq.dibao_partial": {
    hit: set(HEAD, dibao),
    evidence: { recipients: 1 },
    miss: setAll(dibao),
    more: { hit: [all(set(HEAD, dibao), set(SON, { dibao: null }))] },
  },
  "dq.dibao_and_tekun": {
    hit: set(HEAD, { ...dibao, ...tekun }),
    miss: set(HEAD, tekun),
  },
  "dq.transfer_missing_with_benefit": {
    hit: all(setAll(dibao), income({ wage: 31_500, transfer: 0 })),
    miss: setAll(dibao),
    more: { hit: [all(set(HEAD, tekun), income({ wage: 31_500, transfer: null }))] },
  },

  // Data quality: monitoring status
  "dq.category_type_mismatch": {
    hit: all(monitored(), hh({ monitoringCategory: "unstable" })),
    miss: all(monitored(), hh({ monitoringCategory: "unstable", householdType: "formerly_poor" })),
    more: {
      hit: [all(monitored(), hh({ householdType: "formerly_poor" }))],
      miss: [all(monitored(), hh({ monitoringCategory: "sudden_hardship" }))],
    },
  },
  "dq.monitored_without_risk": {
    hit: monitored("2026-01", []),
    miss: monitored("2026-01", ["illness"]),
  },
  "dq.monitored_without_month": {
    hit: all(monitored(), hh({ identifiedMonth: null })),
    miss: monitored(),
  },
  "dq.monitoring_data_without_category": {
    hit: hh({ identifiedMonth: "2025-03" }),
    miss: hh({ riskEliminated: false }),
    more: { hit: [hh({ riskFactors: ["illness"] })] },
  },
  "dq.identified_before_mechanism": {
    hit: monitored("2020-02"),
    evidence: { identified: "2020-02", start: "2020-03" },
    miss: monitored("2020-03"),
  },
  "dq.month_in_future": {
    hit: monitored("2026-07"),
    evidence: { identified: "2026-07", eliminated: null },
    miss: monitored("2026-06"),
  },
  "dq.eliminated_month_missing": {
    hit: eliminated({ eliminatedMonth: null }),
    miss: eliminated(),
  },
  "dq.eliminated_without_method": {
    hit: eliminated({ eliminationMethod: null }),
    miss: eliminated({ eliminationMethod: "natural" }),
  },
  "dq.eliminated_too_soon": {
    hit: eliminated({ identifiedMonth: "2025-06", eliminatedMonth: "2025-11" }),
    evidence: { identified: "2025-06", eliminated: "2025-11", months: 6 },
    miss: eliminated({ identifiedMonth: "2025-06", eliminatedMonth: "2025-12" }),
  },
  "dq.water_risk_but_safe": {
    hit: monitored("2026-01", ["water"]),
    miss: all(monitored("2026-01", ["water"]), hh({ safeWater: false })),
  },
  "dq.housing_risk_but_safe": {
    hit: monitored("2026-01", ["housing"]),
    evidence: { grade: "A" },
    miss: all(monitored("2026-01", ["housing"]), hh({ dangerousHouse: true, housingGrade: "D" })),
  },

  // Data quality: income
  "dq.income_not_surveyed": {
    hit: all(hh({ householdType: "formerly_poor" }), income(NOT_SURVEYED)),
    miss: hh({ householdType: "formerly_poor" }),
    more: { hit: [all(monitored(), income(NOT_SURVEYED))], miss: [income(NOT_SURVEYED)] },
  },
  "dq.income_all_zero": {
    hit: income({}),
    miss: income({ transfer: 300 }),
  },
  "dq.per_capita_mismatch": {
    hit: (d) => {
      d.reported = 10_502;
    },
    evidence: { reported: 10502, computed: 10500 },
    miss: (d) => {
      d.reported = 10_501;
    },
    more: {
      hit: [
        (d) => {
          d.reported = 10_498.5;
        },
      ],
    },
  },

  // Data quality: living conditions and land
  "dq.guarantee_fields_missing": {
    hit: hh({ safeWater: null }),
    miss: hh({ dangerousHouse: null }),
    more: { hit: [hh({ dangerousHouse: null, housingGrade: null })] },
  },
  "dq.housing_flag_inconsistent": {
    hit: hh({ dangerousHouse: true, housingGrade: "A" }),
    evidence: { grade: "A" },
    miss: hh({ dangerousHouse: true, housingGrade: "C" }),
    more: { hit: [hh({ dangerousHouse: false, housingGrade: "D" })] },
  },
  "dq.house_area_implausible": {
    hit: hh({ houseArea: 9 }),
    evidence: { area: 9, min: 10, max: 1000 },
    miss: hh({ houseArea: 10 }),
    more: { hit: [hh({ houseArea: 1001 })], miss: [hh({ houseArea: 1000 })] },
  },
  "dq.road_distance_implausible": {
    hit: hh({ roadDistance: 20.5 }),
    evidence: { distance: 20.5, limit: 20 },
    miss: hh({ roadDistance: 20 }),
  },
  "dq.land_over_limit": {
    hit: hh({ arableLand: 100.5 }),
    evidence: { land: 100.5, limit: 100 },
    miss: hh({ arableLand: 100 }),
  },

  // Data quality: contacts and collection
  "dq.phone_missing": {
    hit: hh({ phone: null }),
    miss: hh({ phone: "07975555555" }),
  },
  "dq.collector_missing": {
    hit: hh({ collectorPhone: null }),
    miss: hh({ collectorName: "赵采集", collectorPhone: "13700000000" }),
    more: { hit: [hh({ collectorName: null })] },
  },

  // ── 部门数据 Department data (facts.<name>) ───────────────────────────────────────────
  "feed.medical_out_of_pocket_year": {
    hit: all(
      fact("medical", HEAD, "2026-03-10", { outOfPocket: 800_000 }),
      fact("medical", HEAD, "2025-09-01", { outOfPocket: 400_000 }),
    ),
    evidence: { months: 12, outOfPocket: 12_000, limit: 11_000, sources: sources(2) },
    miss: all(
      fact("medical", HEAD, "2026-03-10", { outOfPocket: 800_000 }),
      fact("medical", HEAD, "2025-05-01", { outOfPocket: 400_000 }),
    ),
  },
  "feed.medical_out_of_pocket_stay": {
    hit: fact("medical", SPOUSE, "2026-04-01", { outOfPocket: 1_050_000 }),
    evidence: { maxStay: 10_500, limit: 10_000, sources: sources(1) },
    miss: fact("medical", SPOUSE, "2026-04-01", { outOfPocket: 950_000 }),
    more: {
      hit: [all(monitored(), fact("medical", SPOUSE, "2026-04-01", { outOfPocket: 650_000 }))],
      miss: [fact("medical", SPOUSE, "2025-04-01", { outOfPocket: 1_050_000 })],
    },
  },
  "feed.serious_illness": {
    hit: fact("medical", HEAD, "2026-02-01", { outOfPocket: 100_000, seriousIllness: 1 }),
    evidence: { months: 6, sources: sources(1) },
    miss: fact("medical", HEAD, "2025-10-01", { outOfPocket: 100_000, seriousIllness: 1 }),
    more: {
      miss: [fact("medical", HEAD, "2026-02-01", { outOfPocket: 100_000, seriousIllness: 0 })],
    },
  },
  "feed.new_disability": {
    hit: fact("disability", SPOUSE, "2026-01-15", { category: "肢体", grade: "二级" }),
    evidence: { months: 6, sources: sources(1) },
    miss: fact("disability", SPOUSE, "2025-06-15", { category: "肢体", grade: "二级" }),
  },
  "feed.disaster_victim": {
    hit: fact("emergency", HEAD, "2026-05-01", {
      disaster: "洪涝",
      loss: 4_500_000,
      houseDamaged: 1,
    }),
    evidence: { months: 6, loss: 45_000, sources: sources(1) },
    miss: fact("emergency", HEAD, "2025-11-01", { disaster: "洪涝", loss: 4_500_000 }),
  },
  "feed.unsafe_housing": {
    hit: fact("housing", HEAD, "2026-03-10", { appraisalNumber: "JD2026031", grade: "D" }),
    evidence: { months: 12, sources: sources(1) },
    miss: fact("housing", HEAD, "2026-03-10", { appraisalNumber: "JD2026031", grade: "B" }),
    more: {
      miss: [
        // An appraisal older than the window, and one the registry already records.
        fact("housing", HEAD, "2025-04-10", { appraisalNumber: "JD2025041", grade: "D" }),
        all(
          hh({ housingGrade: "D" }),
          fact("housing", HEAD, "2026-03-10", { appraisalNumber: "JD2026032", grade: "D" }),
        ),
      ],
    },
  },
  "feed.social_assistance_not_recorded": {
    hit: fact("civil_affairs", SPOUSE, "2026-05", { benefit: "农村低保", month: "2026-05" }),
    evidence: { months: 6, sources: sources(1) },
    miss: all(
      set(SPOUSE, dibao),
      fact("civil_affairs", SPOUSE, "2026-05", { benefit: "农村低保", month: "2026-05" }),
    ),
    more: {
      miss: [
        fact("civil_affairs", SPOUSE, "2026-05", { benefit: "临时救助", month: "2026-05" }),
        fact("civil_affairs", SPOUSE, "2025-10", { benefit: "特困供养", month: "2025-10" }),
      ],
    },
  },
  "feed.job_loss": {
    hit: fact("employment", SON, "2026-04-30", { event: "失业登记" }),
    evidence: { months: 6, sources: sources(1) },
    miss: fact("employment", SON, "2026-04-30", { event: "就业登记" }),
  },
  "feed.school_dropout": {
    hit: all(
      add(() => child(14)),
      fact("education", 3, "2026-03-01", { status: "辍学", schoolYear: "2025-2026" }),
    ),
    evidence: { sources: sources(1) },
    miss: all(
      add(() => child(14)),
      fact("education", 3, "2026-03-01", { status: "在读", schoolYear: "2025-2026" }),
    ),
  },
  "feed.deceased_still_listed": {
    hit: fact("death", HEAD, "2026-05-20", { diedOn: "2026-05-20" }),
    evidence: { count: 1, sources: sources(1) },
    miss: fact("death", SPOUSE, "2026-05-20", { diedOn: "2026-05-20" }, true),
  },
  "feed.vehicle_owner": {
    hit: all(
      formerlyPoor,
      fact("vehicle", SON, "2024-05-16", { vehicleType: "小型轿车", status: "正常" }),
    ),
    evidence: { count: 1, sources: sources(1) },
    miss: fact("vehicle", SON, "2024-05-16", { vehicleType: "小型轿车", status: "正常" }),
    more: {
      miss: [
        all(
          formerlyPoor,
          fact("vehicle", SON, "2024-05-16", { vehicleType: "轻型货车", status: "正常" }),
        ),
        all(
          formerlyPoor,
          fact("vehicle", SON, "2024-05-16", { vehicleType: "小型轿车", status: "报废" }),
        ),
      ],
    },
  },
  "feed.company_owner": {
    hit: all(
      monitored(),
      fact("company", HEAD, "2022-04-11", { role: "法定代表人", status: "存续" }),
    ),
    evidence: { count: 1, sources: sources(1) },
    miss: all(
      monitored(),
      fact("company", HEAD, "2022-04-11", { role: "法定代表人", status: "注销" }),
    ),
  },
  "feed.town_property": {
    hit: all(formerlyPoor, fact("property", SPOUSE, "2025-12-19", { urban: 1, use: "住宅" })),
    evidence: { count: 1, sources: sources(1) },
    miss: all(formerlyPoor, fact("property", SPOUSE, "2024-03-08", { urban: 0, use: "住宅" })),
  },
  "feed.payroll_member": {
    hit: all(monitored(), fact("payroll", SON, "2026-05-01", { month: "2026-05", gross: 563_000 })),
    evidence: { months: 6, sources: sources(1) },
    miss: fact("payroll", SON, "2026-05-01", { month: "2026-05", gross: 563_000 }),
  },
};

// ── The households: a clean one, then each rule's hits and misses ────────────────────────

interface Built {
  measures: NonNullable<Draft["measures"]>;
  rule: string | null;
  kind: "hit" | "miss";
  /** Position among the rule's hits or misses (0 is the case's main one). */
  index: number;
  input: CreateHouseholdInput;
  facts: DraftFact[];
  incomes: NonNullable<Draft["incomes"]>;
}

let seed = 0;
function build(rule: string | null, kind: "hit" | "miss", index: number, tweak: Tweak): Built {
  const d = clean(++seed);
  tweak(d);
  return {
    rule,
    kind,
    index,
    input: finish(d),
    measures: d.measures ?? [],
    facts: d.facts ?? [],
    incomes: d.incomes ?? [],
  };
}

const BUILT: Built[] = [build(null, "miss", 0, () => {})];
for (const [rule, c] of Object.entries(CASES)) {
  [c.hit, ...(c.more?.hit ?? [])].forEach((t, i) => {
    BUILT.push(build(rule, "hit", i, t));
  });
  [c.miss, ...(c.more?.miss ?? [])].forEach((t, i) => {
    BUILT.push(build(rule, "miss", i, t));
  });
}

const numberOf = (b: Built) => b.input.household.householdNumber!;

/** Stores the built households' facts as one load of catalogue.csv, rows 2, 3 … per household. */
async function insertFacts(db: Kysely<DB>, built: readonly Built[]) {
  const withFacts = built.filter((b) => b.facts.length > 0);
  if (withFacts.length === 0) return;
  const at = NOW.toISOString();
  const load = await db
    .insertInto("feed_loads")
    .values({
      feed_type: "catalogue",
      file_hash: "0".repeat(64),
      file_name: "catalogue.csv",
      format: "csv",
      policy_id: policy.id,
      region_code: null,
      actor_id: null,
      actor_name: "test",
      loaded_at: at,
      ...NO_COUNTS,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  let key = 0;
  for (const b of withFacts) {
    for (const [k, f] of b.facts.entries()) {
      const idNumber = b.input.members[f.member]!.idNumber!;
      const m = await db
        .selectFrom("members")
        .innerJoin("households", "households.id", "members.household_id")
        .select(["members.id", "members.household_id", "households.village_code"])
        .where("members.id_number", "=", idNumber)
        .executeTakeFirstOrThrow();
      await db
        .insertInto("facts")
        .values({
          feed_type: f.feed,
          row_key: JSON.stringify([++key]),
          id_number: idNumber,
          member_id: Number(m.id),
          household_id: Number(m.household_id),
          village_code: m.village_code,
          effective_from: f.from,
          effective_to: null,
          period: null,
          vals: JSON.stringify(f.values),
          load_id: Number(load.id),
          row_number: k + 2,
          superseded_by: null,
          superseded_load: null,
          superseded_at: null,
        })
        .execute();
      if (f.removed)
        await db
          .updateTable("members")
          .set({ status: "removed", removed_reason: "death", removed_on: f.from })
          .where("id", "=", Number(m.id))
          .execute();
    }
  }
}

/** Stores the built households' income records as one closing of each year would. */
async function insertIncomes(db: Kysely<DB>, built: readonly Built[], ids: Map<string, number>) {
  const withIncomes = built.filter((b) => b.incomes.length > 0);
  if (withIncomes.length === 0) return;
  const at = NOW.toISOString();
  const closing = await db
    .insertInto("income_closings")
    .values({
      year: YEAR - 1,
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
  for (const b of withIncomes)
    for (const r of b.incomes) {
      const size = b.input.members.length;
      await db
        .insertInto("household_incomes")
        .values({
          household_id: ids.get(numberOf(b))!,
          year: r.year,
          village_code: VILLAGE_A,
          wage_income: r.pci * size * 100,
          business_income: 0,
          property_income: 0,
          transfer_income: 0,
          business_costs: 0,
          net_income: r.pci * size * 100,
          size,
          reported_per_capita: r.pci * 100,
          source: "close_year",
          closing_id: Number(closing.id),
          recorded_at: at,
          recorded_by: "test",
        })
        .execute();
    }
}

describe("rule catalogue cases", () => {
  it("covers every enabled rule of 安远县's 2026 policy, and only those", () => {
    expect(RULE_IDS.filter((id) => !(id in CASES))).toEqual([]);
    expect(Object.keys(CASES).filter((id) => !RULE_IDS.includes(id))).toEqual([]);
  });

  it("names only evidence that the rule records in its message", () => {
    for (const { rule } of policy.compiled) {
      const names = [...rule.message.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      expect(
        names.filter((n) => !(n in rule.evidence)),
        rule.id,
      ).toEqual([]);
    }
  });
});

describeEachEngine("rule catalogue", (database) => {
  /** Open signals by household number, then rule id, with their evidence. */
  const open = new Map<string, Map<string, Record<string, unknown> | null>>();

  beforeAll(async () => {
    const d = database();
    const now = () => NOW;
    await createRegionsService({ db: d.db, now }).load(SYSTEM_ACTOR, "360726");
    const registry = createRegistryService({ db: d.db, engine: d.engine, now });
    await registry.bulkCreate(
      SYSTEM_ACTOR,
      BUILT.map((b) => b.input),
      { source: "demo" },
    );
    // Assistance measures, as the assistance module stores them.
    const ids = new Map(
      (await d.db.selectFrom("households").select(["id", "household_number"]).execute()).map(
        (r) => [r.household_number, Number(r.id)],
      ),
    );
    for (const b of BUILT)
      for (const m of b.measures)
        await d.db
          .insertInto("assistance_measures")
          .values({
            household_id: ids.get(numberOf(b))!,
            village_code: VILLAGE_A,
            code: "test.measure",
            category: m.category,
            name: m.category,
            development: m.development ? 1 : 0,
            amount_fen: 0,
            date: "2026-05-01",
            status: m.status ?? "delivered",
            source: "test",
            created_at: "2026-05-01T00:00:00Z",
            created_by: "test",
            updated_at: "2026-05-01T00:00:00Z",
          })
          .execute();
    await insertFacts(d.db, BUILT);
    await insertIncomes(d.db, BUILT, ids);
    const monitoring = createMonitoringService({ db: d.db, engine: d.engine, now, policies });
    const sweep = await monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    expect(sweep.households).toBe(BUILT.length);
    const rows = await d.db
      .selectFrom("signals")
      .innerJoin("households", "households.id", "signals.household_id")
      .select(["households.household_number as number", "signals.rule_id", "signals.evidence"])
      .where("signals.status", "=", "open")
      .execute();
    for (const r of rows) {
      const byRule = open.get(r.number) ?? new Map();
      byRule.set(r.rule_id, r.evidence ? JSON.parse(r.evidence) : null);
      open.set(r.number, byRule);
    }
  });

  it("raises no signal for the clean household", () => {
    expect([...(open.get(numberOf(BUILT[0]!))?.keys() ?? [])]).toEqual([]);
  });

  for (const id of RULE_IDS) {
    it(id, () => {
      const c = CASES[id];
      if (!c) throw new Error(`规则 ${id} 没有测试用例：请在 CASES 中加入触发和不触发的两户`);
      for (const b of BUILT.filter((x) => x.rule === id)) {
        const signals = open.get(numberOf(b));
        const what = `${id} ${b.kind} #${b.index}: ${[...(signals?.keys() ?? [])].join(", ") || "no signals"}`;
        if (b.kind === "miss") {
          expect(signals?.has(id) ?? false, what).toBe(false);
          continue;
        }
        expect(signals?.has(id), what).toBe(true);
        if (b.index === 0) expect(signals!.get(id), what).toEqual(c.evidence ?? null);
      }
    });
  }
});
