import { beforeAll, describe, expect, it } from "vitest";
import {
  checkHousehold,
  emptyHousehold,
  emptyMember,
  type HouseholdState,
} from "../src/core/household.ts";
import { ageOn, checkIdNumber } from "../src/core/id-number.ts";
import { COUNT_ALL_TRANSFERS, perCapitaIncome } from "../src/core/income.ts";
import { EDUCATION_LEVELS, RISK_FACTORS } from "../src/core/vocab.ts";
import { readChinaDivision } from "../src/modules/regions/index.ts";
import { chunked, type DemoHousehold, generateCounty } from "./generator.ts";

const TODAY = "2026-05-01";
const villages: string[] = [];

beforeAll(async () => {
  for await (const batch of readChinaDivision("360726")) {
    for (const r of batch) if (r.level === 5) villages.push(r.code);
  }
});

const generate = (
  households: number,
  seed: number,
  more: { serialStart?: number; isTaken?: (id: string) => boolean } = {},
) => [...generateCounty({ villages, households, seed, today: TODAY, ...more })];

/** The state `bulkCreate` builds from an input, for `checkHousehold`. */
function stateOf(h: DemoHousehold): HouseholdState {
  return {
    household: { ...emptyHousehold(), ...h.household, extra: null },
    members: h.members.map((m, i) => ({
      ...emptyMember(),
      ...m,
      id: i + 1,
      position: i,
      status: "active",
      removedReason: null,
      removedOn: null,
      extra: null,
    })),
  };
}

describe("generateCounty", () => {
  it("uses the 177 real villages of 安远县", () => {
    expect(villages.length).toBe(177);
    expect(villages.every((v) => /^360726\d{6}$/.test(v))).toBe(true);
  });

  it("is deterministic for a seed and differs between seeds", () => {
    const a = JSON.stringify(generate(2000, 7));
    expect(JSON.stringify(generate(2000, 7))).toBe(a);
    expect(JSON.stringify(generate(2000, 8))).not.toBe(a);
  });

  it("gives exactly the number of households asked for, in chunks", () => {
    const chunks = [
      ...chunked(generateCounty({ villages, households: 1234, seed: 1, today: TODAY }), 500),
    ];
    expect(chunks.map((c) => c.length)).toEqual([500, 500, 234]);
    expect(generate(0, 1)).toEqual([]);
  });

  it("skips taken ID numbers and starts serials where asked", () => {
    const first = generate(300, 3);
    const taken = new Set(first.flatMap((h) => h.members.map((m) => m.idNumber!.slice(0, 18))));
    const second = generate(300, 3, { serialStart: 100, isTaken: (id) => taken.has(id) });
    for (const h of second) {
      expect(Number(h.household.householdNumber!.slice(12))).toBeGreaterThan(100);
      for (const m of h.members) expect(taken.has(m.idNumber!.slice(0, 18))).toBe(false);
    }
  });

  describe("20,000 households", () => {
    let county: DemoHousehold[] = [];
    let members: DemoHousehold["members"] = [];
    const share = (n: number, of: number) => n / of;
    beforeAll(() => {
      county = generate(20_000, 42);
      members = county.flatMap((h) => h.members);
    });

    it("passes checkHousehold with no problems", () => {
      const failing = county
        .map((h) => ({
          number: h.household.householdNumber,
          problems: checkHousehold(stateOf(h), TODAY),
        }))
        .filter((r) => r.problems.length > 0);
      expect(failing.slice(0, 3)).toEqual([]);
    });

    it("has valid, unique ID numbers and unique household numbers", () => {
      const ids = new Set<string>();
      const wrong: string[] = [];
      for (const m of members) {
        const check = checkIdNumber(m.idNumber!, TODAY);
        const ok =
          check.valid &&
          (check.residentId.startsWith("3607") || check.residentId.startsWith("362126")) &&
          check.sex === m.sex &&
          check.birthDate === m.birthDate;
        if (!ok) wrong.push(m.idNumber!);
        if (check.valid) ids.add(check.residentId);
      }
      expect(wrong).toEqual([]);
      expect(ids.size).toBe(members.length);
      expect(new Set(county.map((h) => h.household.householdNumber)).size).toBe(county.length);
      const anyuan = members.filter((m) => m.idNumber!.startsWith("360726")).length;
      expect(share(anyuan, members.length)).toBeGreaterThan(0.75);
    });

    it("spreads households over every village, unevenly", () => {
      const perVillage = new Map<string, number>();
      for (const h of county)
        perVillage.set(
          h.household.villageCode!,
          (perVillage.get(h.household.villageCode!) ?? 0) + 1,
        );
      expect(perVillage.size).toBe(177);
      const counts = [...perVillage.values()];
      expect(Math.max(...counts) / Math.min(...counts)).toBeGreaterThan(2);
      expect(county.every((h) => /^第\d+组$/.test(h.household.groupName!))).toBe(true);
    });

    it("has realistic household sizes and ages", () => {
      const sizes = county.map((h) => h.members.length);
      expect(Math.min(...sizes)).toBe(1);
      expect(Math.max(...sizes)).toBe(8);
      const mean = members.length / county.length;
      expect(mean).toBeGreaterThan(3.0);
      expect(mean).toBeLessThan(3.4);
      expect(share(sizes.filter((s) => s <= 2).length, county.length)).toBeGreaterThan(0.3);
      const ages = members.map((m) => ageOn(m.birthDate!, TODAY));
      expect(share(ages.filter((a) => a >= 60).length, ages.length)).toBeGreaterThan(0.18);
      expect(share(ages.filter((a) => a >= 60).length, ages.length)).toBeLessThan(0.32);
      expect(share(ages.filter((a) => a < 15).length, ages.length)).toBeGreaterThan(0.12);
      expect(share(ages.filter((a) => a < 15).length, ages.length)).toBeLessThan(0.26);
      const heads = county.map((h) => h.members[0]!);
      expect(heads.every((m) => m.relationship === "户主")).toBe(true);
      expect(share(heads.filter((m) => m.sex === "male").length, heads.length)).toBeGreaterThan(
        0.8,
      );
      const headAges = heads.map((m) => ageOn(m.birthDate!, TODAY));
      expect(
        share(headAges.filter((a) => a >= 35 && a <= 75).length, heads.length),
      ).toBeGreaterThan(0.6);
      // Among one- and two-person households the old dominate.
      const small = county
        .filter((h) => h.members.length <= 2)
        .map((h) => ageOn(h.members[0]!.birthDate!, TODAY));
      expect(share(small.filter((a) => a >= 60).length, small.length)).toBeGreaterThan(0.5);
    });

    it("gives children the head's surname when the head is a man", () => {
      for (const h of county) {
        const head = h.members[0]!;
        if (head.sex !== "male") continue;
        for (const m of h.members) {
          if (["之子", "之女", "之孙子", "之孙女"].includes(m.relationship!))
            expect(m.name![0]).toBe(head.name![0]);
        }
      }
      expect(
        share(members.filter((m) => m.ethnicity === "汉族").length, members.length),
      ).toBeGreaterThan(0.98);
    });

    it("has household types and monitoring in the stated ranges", () => {
      const poor = county.filter((h) => h.household.householdType === "formerly_poor");
      expect(share(poor.length, county.length)).toBeGreaterThan(0.08);
      expect(share(poor.length, county.length)).toBeLessThan(0.1);
      expect(
        county.every(
          (h) =>
            h.household.householdType === "formerly_poor" ||
            h.household.householdType === "ordinary",
        ),
      ).toBe(true);
      const monitored = county.filter((h) => h.household.monitoringCategory !== null);
      expect(share(monitored.length, county.length)).toBeGreaterThan(0.01);
      expect(share(monitored.length, county.length)).toBeLessThan(0.02);
      const codes = new Set<string>(RISK_FACTORS.map((r) => r.code));
      for (const { household: h, members: ms } of monitored) {
        expect(h.monitoringCategory === "unstable").toBe(h.householdType === "formerly_poor");
        expect(h.riskFactors!.length).toBeGreaterThanOrEqual(1);
        expect(h.riskFactors!.length).toBeLessThanOrEqual(3);
        expect(new Set(h.riskFactors).size).toBe(h.riskFactors!.length);
        expect(h.riskFactors!.every((r) => codes.has(r))).toBe(true);
        expect(h.identifiedMonth! >= "2021-01" && h.identifiedMonth! <= TODAY.slice(0, 7)).toBe(
          true,
        );
        if (h.riskFactors!.includes("illness"))
          expect(ms.some((m) => m.health === "chronic" || m.health === "serious_illness")).toBe(
            true,
          );
        if (h.riskFactors!.includes("disability"))
          expect(ms.some((m) => m.health === "disabled")).toBe(true);
        if (h.riskEliminated) {
          const months = (s: string) => Number(s.slice(0, 4)) * 12 + Number(s.slice(5, 7));
          expect(months(h.eliminatedMonth!) - months(h.identifiedMonth!)).toBeGreaterThanOrEqual(6);
          expect(["assisted", "natural"]).toContain(h.eliminationMethod);
        } else {
          expect(h.eliminatedMonth).toBeNull();
        }
      }
      const eliminated = monitored.filter((h) => h.household.riskEliminated).length;
      expect(share(eliminated, monitored.length)).toBeGreaterThan(0.3);
      expect(share(eliminated, monitored.length)).toBeLessThan(0.85);
      expect(
        county
          .filter((h) => h.household.monitoringCategory === null)
          .every((h) => h.household.riskFactors === null),
      ).toBe(true);
    });

    it("has incomes in fen that agree with the per-capita formula", () => {
      const line = 7_500_00;
      const wrong = county.filter(({ household: h, members: ms }) => {
        const amounts = [
          h.wageIncome,
          h.businessIncome,
          h.propertyIncome,
          h.transferIncome,
          h.businessCosts,
          h.compliantExpense,
        ];
        return (
          !amounts.every((v) => Number.isSafeInteger(v) && v! >= 0) ||
          h.perCapitaIncome !== perCapitaIncome(h, ms.length, COUNT_ALL_TRANSFERS)
        );
      });
      expect(wrong.slice(0, 3)).toEqual([]);
      const below = (hs: DemoHousehold[]) =>
        share(hs.filter((h) => h.household.perCapitaIncome! < line).length, hs.length);
      const median = (hs: DemoHousehold[]) => {
        const v = hs.map((h) => h.household.perCapitaIncome!).sort((a, b) => a - b);
        return v[Math.floor(v.length / 2)]!;
      };
      const ordinary = county.filter(
        (h) => h.household.householdType === "ordinary" && h.household.monitoringCategory === null,
      );
      const poor = county.filter(
        (h) =>
          h.household.householdType === "formerly_poor" && h.household.monitoringCategory === null,
      );
      const atRisk = county.filter(
        (h) => h.household.monitoringCategory !== null && !h.household.riskEliminated,
      );
      expect(median(ordinary)).toBeGreaterThan(median(poor));
      expect(median(poor)).toBeGreaterThan(median(atRisk));
      expect(below(ordinary)).toBeLessThan(0.1);
      expect(below(atRisk)).toBeGreaterThan(0.3);
      expect(
        share(county.filter((h) => h.household.compliantExpense! > 0).length, county.length),
      ).toBeGreaterThan(0.05);
    });

    it("describes members consistently with their age", () => {
      const levels = new Set<string>(EDUCATION_LEVELS);
      let schoolAge = 0;
      let dropouts = 0;
      const wrong: string[] = [];
      for (const m of members) {
        const age = ageOn(m.birthDate!, TODAY);
        const fail = (why: string) => wrong.push(`${m.name} ${age}: ${why}`);
        if (!levels.has(m.education!)) fail(`education ${m.education}`);
        if (age < 6 && m.education !== "学龄前儿童") fail("preschool education");
        if (age >= 7 && age <= 14 && !m.outOfSchool && m.schoolStatus === null)
          fail("no school status");
        if (age >= 6 && age <= 15) {
          schoolAge++;
          if (m.outOfSchool) {
            dropouts++;
            if (m.schoolStatus !== null) fail("dropout in school");
          }
        } else if (m.outOfSchool !== null) fail("outOfSchool outside 6–15");
        if (age < 16 && m.laborSkill !== "none") fail("labour under 16");
        if (m.insEmployeeMedical && m.insResidentMedical) fail("both medical schemes");
      }
      expect(wrong.slice(0, 5)).toEqual([]);
      expect(dropouts).toBeGreaterThan(0);
      expect(share(dropouts, schoolAge)).toBeLessThan(0.01);
      const old = members.filter((m) => ageOn(m.birthDate!, TODAY) > 65);
      expect(
        share(
          old.filter(
            (m) => m.laborSkill === "none" || m.laborSkill === "weak" || m.laborSkill === "lost",
          ).length,
          old.length,
        ),
      ).toBeGreaterThan(0.8);
      const uninsured = members.filter(
        (m) => !m.insResidentMedical && !m.insEmployeeMedical,
      ).length;
      expect(uninsured).toBeGreaterThan(0);
      expect(share(uninsured, members.length)).toBeLessThan(0.02);
      expect(members.some((m) => m.health === "disabled")).toBe(true);
      expect(members.some((m) => m.dibao === "rural")).toBe(true);
      expect(members.some((m) => m.tekun === "dispersed")).toBe(true);
      expect(members.some((m) => m.idType === "disability_cert" && m.idNumber!.length === 20)).toBe(
        true,
      );
    });

    it("has mostly safe housing and water", () => {
      const dangerous = county.filter((h) => h.household.dangerousHouse).length;
      expect(dangerous).toBeGreaterThan(0);
      expect(share(dangerous, county.length)).toBeLessThan(0.02);
      const wrong = county.filter(
        ({ household: h }) =>
          h.dangerousHouse !== (h.housingGrade === "C" || h.housingGrade === "D") ||
          ![h.arableLand, h.forestLand, h.orchardLand, h.grainForGreenLand, h.waterSurface].every(
            (land) => land! >= 0 && land! < 100,
          ),
      );
      expect(wrong.slice(0, 3)).toEqual([]);
      const unsafeWater = county.filter((h) => !h.household.safeWater).length;
      expect(unsafeWater).toBeGreaterThan(0);
      expect(share(unsafeWater, county.length)).toBeLessThan(0.02);
    });
  });
});
