/** Valid households for tests, deterministic for a seed. */
import { makeIdNumber } from "../src/core/id-number.ts";
import type { CreateHouseholdInput } from "../src/modules/registry/index.ts";

/** Villages of 安远县 used by tests (欣山镇 and 孔田镇). */
export const VILLAGE_A = "360726100201";
export const VILLAGE_B = "360726101201";

let serial = 0;

/** A three-person household: head, spouse and a child, with ID numbers unique per call. */
export function household(
  villageCode: string,
  overrides: { number?: string; seed?: number } = {},
): CreateHouseholdInput {
  const n = overrides.seed ?? ++serial;
  const seq = (base: number) => (n * 4 + base) % 1000;
  const male = (s: number) => (s % 2 === 1 ? s : (s + 1) % 1000);
  const female = (s: number) => (s % 2 === 0 ? s : (s + 1) % 1000);
  const year = 1960 + (n % 20);
  return {
    household: {
      householdNumber: overrides.number ?? `${villageCode}${String(n).padStart(4, "0")}`,
      villageCode,
      groupName: `第${(n % 9) + 1}组`,
      householdType: n % 10 === 0 ? "formerly_poor" : "ordinary",
      wageIncome: 2_400_000,
      businessIncome: 600_000,
      propertyIncome: 0,
      transferIncome: 300_000,
      businessCosts: 150_000,
      safeWater: true,
      dangerousHouse: false,
    },
    members: [
      {
        name: `张${n}`,
        idType: "resident_id",
        idNumber: makeIdNumber("360726", `${year}-03-15`, male(seq(1))),
        relationship: "户主",
        education: "初中",
        laborSkill: "ordinary",
        health: "healthy",
        insResidentMedical: true,
      },
      {
        name: `李${n}`,
        idType: "resident_id",
        idNumber: makeIdNumber("360726", `${year + 2}-07-01`, female(seq(2))),
        relationship: "配偶",
        education: "小学",
        laborSkill: "ordinary",
        health: "chronic",
        insResidentMedical: true,
      },
      {
        name: `张小${n}`,
        idType: "resident_id",
        idNumber: makeIdNumber("360726", `${year + 25}-11-20`, male(seq(3))),
        relationship: "之子",
        education: "高中",
        laborSkill: "skilled",
        health: "healthy",
        insResidentMedical: true,
      },
    ],
  };
}
