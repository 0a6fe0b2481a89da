/**
 * The households whose members the sample feed files in docs/formats/samples/ name: loading
 * the samples into a registry holding these households raises the signals the feed rules
 * describe. Every sample file also has one row for a person not in the registry.
 */
import { makeIdNumber } from "../src/core/id-number.ts";
import type { CreateHouseholdInput } from "../src/modules/registry/index.ts";
import { VILLAGE_A, VILLAGE_B } from "./factories.ts";

interface Person {
  name: string;
  birth: string;
  seq: number;
  relationship: string;
}

const person = (name: string, birth: string, seq: number, relationship: string): Person => ({
  name,
  birth,
  seq,
  relationship,
});

export const idOf = (p: Person) => makeIdNumber("360726", p.birth, p.seq);

/** The people of the samples by their role in them. */
export const PEOPLE = {
  /** 住院自付 3.8 万元，重大疾病 */
  patient: person("王金华", "1958-04-12", 31, "户主"),
  /** 新办残疾人证 */
  disabled: person("刘秀英", "1962-09-03", 46, "配偶"),
  /** 失业登记；名下有小型轿车 */
  jobless: person("陈志强", "1975-01-20", 53, "户主"),
  /** 初中辍学 */
  dropout: person("陈小明", "2010-06-18", 17, "之子"),
  /** 已死亡仍在册 */
  deceased: person("赖桂兰", "1940-11-02", 88, "户主"),
  /** 洪涝受灾、房屋 D 级 */
  victim: person("欧阳春生", "1966-12-12", 11, "之子"),
  /** 企业法定代表人 */
  owner: person("钟建国", "1970-05-05", 71, "户主"),
  /** 城镇商品房 */
  buyer: person("钟丽萍", "1972-08-08", 64, "配偶"),
  /** 财政供养人员 */
  clerk: person("钟海波", "1995-03-30", 95, "之子"),
} as const;

/** A person no registry holds (the unmatched row of every sample). */
export const STRANGER = person("周文斌", "1988-02-14", 135, "户主");

const sexOf = (p: Person) => (p.seq % 2 === 1 ? "male" : "female");

function household(
  number: string,
  village: string,
  extra: Record<string, unknown>,
  people: Person[],
): CreateHouseholdInput {
  return {
    household: {
      householdNumber: number,
      villageCode: village,
      groupName: "第1组",
      householdType: "ordinary",
      wageIncome: 3_600_000,
      businessIncome: 800_000,
      propertyIncome: 0,
      transferIncome: 200_000,
      businessCosts: 100_000,
      safeWater: true,
      dangerousHouse: false,
      ...extra,
    },
    members: people.map((p) => ({
      name: p.name,
      idType: "resident_id",
      idNumber: idOf(p),
      sex: sexOf(p),
      birthDate: p.birth,
      relationship: p.relationship,
      health: "healthy",
      laborSkill: "ordinary",
      insResidentMedical: true,
    })),
  } as CreateHouseholdInput;
}

/** Four households: two formerly poor, one monitored, one ordinary. */
export function sampleHouseholds(): CreateHouseholdInput[] {
  return [
    household("360726100201S001", VILLAGE_A, { householdType: "formerly_poor" }, [
      PEOPLE.patient,
      PEOPLE.disabled,
    ]),
    household(
      "360726100201S002",
      VILLAGE_A,
      { monitoringCategory: "marginal", identifiedMonth: "2024-03", riskFactors: ["illness"] },
      [PEOPLE.jobless, PEOPLE.dropout],
    ),
    household("360726101201S003", VILLAGE_B, {}, [PEOPLE.deceased, PEOPLE.victim]),
    household("360726101201S004", VILLAGE_B, { householdType: "formerly_poor" }, [
      PEOPLE.owner,
      PEOPLE.buyer,
      PEOPLE.clerk,
    ]),
  ];
}
