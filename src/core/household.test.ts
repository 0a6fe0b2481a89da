import { describe, expect, it } from "vitest";
import {
  activeMembers,
  applyEvent,
  CREATED_EVENT_KEYS,
  checkHousehold,
  diff,
  emptyHousehold,
  emptyMember,
  type HouseholdEvent,
  type HouseholdState,
  headOf,
  type MemberState,
  normalizeMember,
  type Problem,
  parseEvent,
  replay,
  serializeEvent,
} from "./household.ts";
import { makeIdNumber } from "./id-number.ts";
import { HOUSEHOLD_FIELDS, MEMBER_FIELDS, type MemberValues } from "./registry-fields.ts";

/** The positions of creation events as first stored (2026-11-22): a copy, not the list itself. */
const STORED_HOUSEHOLD_KEYS =
  "householdNumber villageCode groupName householdType monitoringCategory riskFactors identifiedMonth riskEliminated eliminatedMonth eliminationMethod safetyNet perCapitaIncome wageIncome businessIncome propertyIncome transferIncome businessCosts compliantExpense dangerousHouse housingGrade houseArea safeWater electricity hardenedRoad roadDistance sanitaryToilet arableLand forestLand grainForGreenLand orchardLand pastureLand waterSurface phone collectorName collectorPhone remarks extra".split(
    " ",
  );
const STORED_MEMBER_KEYS =
  "id position status removedReason removedOn extra name idType idNumber sex ethnicity birthDate relationship phone education schoolStatus outOfSchool notEnrolledReason dropoutReason health laborSkill workLocation publicWelfareJob publicWelfareJobMonths insResidentMedical insEmployeeMedical insSeriousIllness medicalAssistance insResidentPension insEmployeePension dibao tekun".split(
    " ",
  );

function withoutNulls(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

const TODAY = "2025-06-15";
const VILLAGE = "360726100201";

let nextId = 1;
function member(
  values: Partial<MemberValues> & { birthDate: string; sex: "male" | "female" },
): MemberState {
  const id = nextId++;
  const sequence = (values.sex === "male" ? 1 : 2) + 2 * (id % 400);
  return {
    ...emptyMember(),
    name: `成员${id}`,
    idType: "resident_id",
    idNumber: makeIdNumber("360726", values.birthDate, sequence),
    relationship: "户主",
    ...values,
    id,
    position: id,
    status: "active",
    removedReason: null,
    removedOn: null,
    extra: null,
  };
}

/** A valid household: head (1975), spouse (1977), son (2001), daughter (2005). */
function family(): HouseholdState {
  return {
    household: {
      ...emptyHousehold(),
      householdNumber: "3607261002010001",
      villageCode: VILLAGE,
      householdType: "ordinary",
      wageIncome: 3_000_000,
      extra: null,
    },
    members: [
      member({ name: "张三", relationship: "户主", birthDate: "1975-04-02", sex: "male" }),
      member({ name: "李四", relationship: "配偶", birthDate: "1977-09-10", sex: "female" }),
      member({ name: "张小一", relationship: "之子", birthDate: "2001-01-20", sex: "male" }),
      member({ name: "张小二", relationship: "之女", birthDate: "2005-11-30", sex: "female" }),
    ],
  };
}

const codes = (problems: Problem[]) => problems.map((p) => p.code);

describe("applyEvent and replay", () => {
  function events(): { initial: HouseholdState; list: HouseholdEvent[] } {
    const initial = family();
    const [head, , son] = initial.members;
    const newborn = member({
      name: "张小三",
      relationship: "之孙子",
      birthDate: "2024-02-29",
      sex: "male",
    });
    const list: HouseholdEvent[] = [
      { kind: "household.created", household: initial.household, members: initial.members },
      {
        kind: "household.updated",
        changes: { wageIncome: [3_000_000, 3_500_000], groupName: [null, "一组"] },
      },
      { kind: "member.added", member: newborn },
      {
        kind: "member.updated",
        memberId: son!.id,
        changes: { workLocation: [null, "广东省深圳市"] },
      },
      { kind: "member.removed", memberId: head!.id, reason: "death", on: "2025-01-02" },
      { kind: "household.updated", changes: { riskFactors: [null, ["illness", "disability"]] } },
    ];
    return { initial, list };
  }

  it("replay equals applying the events one by one", () => {
    const { list } = events();
    let state: HouseholdState | null = null;
    for (const e of list) state = applyEvent(state, e);
    expect(replay(list)).toEqual(state);
    // …and every prefix of the history replays to the state after that event.
    let step: HouseholdState | null = null;
    for (let i = 0; i < list.length; i++) {
      step = applyEvent(step, list[i]!);
      expect(replay(list.slice(0, i + 1))).toEqual(step);
    }
  });

  it("stores events so that they replay the same, the compact creation event and the older named one", () => {
    const { list } = events();
    const initial = list[0] as Extract<HouseholdEvent, { kind: "household.created" }>;
    initial.household.extra = { 帮扶责任人: "王五" };
    initial.members[1]!.extra = { 备注: "外出务工" };
    const stored = list.map(serializeEvent);
    expect(replay(stored.map(parseEvent))).toEqual(replay(list));
    // The creation event holds values at fixed positions, not under their names…
    expect(stored[0]).not.toContain("householdNumber");
    expect(stored[0]!.length).toBeLessThan(JSON.stringify(initial).length / 2);
    // …and a creation event written before (named values, nulls left out) still reads.
    const named = JSON.stringify({
      kind: "household.created",
      household: withoutNulls(initial.household),
      members: initial.members.map(withoutNulls),
    });
    expect(replay([named, ...stored.slice(1)].map(parseEvent))).toEqual(replay(list));
  });

  it("has a stored position for every field, and never moves one", () => {
    const { household, member } = CREATED_EVENT_KEYS;
    for (const f of HOUSEHOLD_FIELDS) expect(household).toContain(f.key);
    for (const f of MEMBER_FIELDS) expect(member).toContain(f.key);
    for (const k of ["id", "position", "status", "removedReason", "removedOn", "extra"])
      expect(member).toContain(k);
    // Events already stored read their values by these positions: the lists only grow at the end.
    expect(household.slice(0, 37)).toEqual(STORED_HOUSEHOLD_KEYS);
    expect(member.slice(0, 32)).toEqual(STORED_MEMBER_KEYS);
  });

  it("applies each kind of event", () => {
    const { initial, list } = events();
    const state = replay(list)!;
    expect(state.household.wageIncome).toBe(3_500_000);
    expect(state.household.groupName).toBe("一组");
    expect(state.household.riskFactors).toEqual(["illness", "disability"]);
    expect(state.household.householdNumber).toBe(initial.household.householdNumber);
    expect(state.members).toHaveLength(5);
    expect(state.members[4]!.name).toBe("张小三");
    expect(state.members[2]!.workLocation).toBe("广东省深圳市");
    expect(state.members[0]).toMatchObject({
      status: "removed",
      removedReason: "death",
      removedOn: "2025-01-02",
    });
    expect(activeMembers(state).map((m) => m.name)).toEqual(["李四", "张小一", "张小二", "张小三"]);
    expect(headOf(state)).toBeUndefined();
    expect(headOf(initial)!.name).toBe("张三");
  });

  it("does not change the state it is given", () => {
    const { initial, list } = events();
    const before = structuredClone(initial);
    let state: HouseholdState | null = null;
    const states: HouseholdState[] = [];
    for (const e of list) {
      state = applyEvent(state, e);
      states.push(structuredClone(state));
    }
    expect(initial).toEqual(before);
    // Later events never reach back into earlier states.
    let again: HouseholdState | null = null;
    for (let i = 0; i < list.length; i++) {
      again = applyEvent(again, list[i]!);
      expect(states[i]).toEqual(again);
    }
    const created = applyEvent(null, list[0]!);
    created.members[0]!.name = "改了";
    expect(initial.members[0]!.name).toBe("张三");
  });

  it("refuses an event before household.created, and replays nothing to null", () => {
    expect(() => applyEvent(null, { kind: "household.updated", changes: {} })).toThrow(
      /before household.created/,
    );
    expect(replay([])).toBeNull();
  });

  it("leaves other members alone when one is updated or removed", () => {
    const s = family();
    const [head, spouse] = s.members;
    const after = applyEvent(s, {
      kind: "member.updated",
      memberId: spouse!.id,
      changes: { phone: [null, "13800000000"] },
    });
    expect(after.members[0]).toEqual(head);
    expect(after.members[1]!.phone).toBe("13800000000");
    const removed = applyEvent(s, {
      kind: "member.removed",
      memberId: 999_999,
      reason: "other",
      on: TODAY,
    });
    expect(removed.members).toEqual(s.members);
  });
});

describe("diff", () => {
  it("lists changed fields as [old, new]", () => {
    expect(diff({ a: 1, b: "x", c: null }, { a: 2, b: "x", c: "y" })).toEqual({
      a: [1, 2],
      c: [null, "y"],
    });
  });

  it("compares lists and objects by value", () => {
    expect(diff({ r: ["illness"] }, { r: ["illness"] })).toEqual({});
    expect(diff({ r: ["illness"] }, { r: ["illness", "disability"] })).toEqual({
      r: [["illness"], ["illness", "disability"]],
    });
    expect(diff({ o: { k: 1 } }, { o: { k: 1 } })).toEqual({});
  });

  it("ignores undefined (not given) and treats missing old values as null", () => {
    expect(diff({ a: 1 }, { a: undefined })).toEqual({});
    expect(diff({}, { a: null })).toEqual({});
    expect(diff({}, { a: 0 })).toEqual({ a: [null, 0] });
    expect(diff({ a: 5 }, { a: null })).toEqual({ a: [5, null] });
  });

  it("produces changes that applyEvent turns back into the new values", () => {
    const s = family();
    const after = { ...s.household, wageIncome: 10, remarks: "新" };
    const changes = diff(s.household, after);
    expect(Object.keys(changes).sort()).toEqual(["remarks", "wageIncome"]);
    expect(applyEvent(s, { kind: "household.updated", changes }).household).toEqual(after);
  });
});

describe("normalizeMember", () => {
  it("derives birth date and sex from a valid ID and normalises it", () => {
    const id = makeIdNumber("360726", "1988-08-08", 124).replace("X", "x");
    const m = normalizeMember({ name: "王五", idNumber: ` ${id}`, birthDate: null, sex: null });
    expect(m.idNumber).toBe(id.toUpperCase().trim());
    expect(m.birthDate).toBe("1988-08-08");
    expect(m.sex).toBe("female");
  });

  it("folds full-width ID numbers", () => {
    const id = "11010519491231002X";
    const wide = id.replace(/[0-9X]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    expect(normalizeMember({ idNumber: wide })).toMatchObject({
      idNumber: id,
      birthDate: "1949-12-31",
      sex: "female",
    });
  });

  it("keeps birth date and sex that were given (checkHousehold reports a mismatch)", () => {
    const id = makeIdNumber("360726", "1988-08-08", 123);
    const m = normalizeMember({ idNumber: id, birthDate: "1988-08-09", sex: "female" });
    expect(m.birthDate).toBe("1988-08-09");
    expect(m.sex).toBe("female");
  });

  it("turns blank text into null and then fills it from the ID", () => {
    const id = makeIdNumber("360726", "1960-01-31", 7);
    const m = normalizeMember({ name: "  ", phone: "", idNumber: id, birthDate: " ", sex: "" });
    expect(m.name).toBeNull();
    expect(m.phone).toBeNull();
    expect(m.birthDate).toBe("1960-01-31");
    expect(m.sex).toBe("male");
  });

  it("derives nothing from an invalid ID or an ID of type other", () => {
    const bad = normalizeMember({ idNumber: "11010519491231002１", birthDate: null, sex: null });
    expect(bad).toEqual({ idNumber: "110105194912310021", birthDate: null, sex: null });
    const other = normalizeMember({
      idType: "other",
      idNumber: "11010519491231002X",
      birthDate: null,
      sex: null,
    });
    expect(other.birthDate).toBeNull();
    expect(other.sex).toBeNull();
  });

  it("derives from a disability certificate number too", () => {
    const id = `${makeIdNumber("360726", "1966-06-06", 11)}52`;
    expect(normalizeMember({ idType: "disability_cert", idNumber: id })).toMatchObject({
      birthDate: "1966-06-06",
      sex: "male",
    });
  });

  it("does not change the object it is given", () => {
    const input = { idNumber: "11010519491231002x", birthDate: null };
    normalizeMember(input);
    expect(input).toEqual({ idNumber: "11010519491231002x", birthDate: null });
  });
});

describe("checkHousehold", () => {
  it("finds nothing wrong with a valid family", () => {
    expect(checkHousehold(family(), TODAY)).toEqual([]);
  });

  it("needs a head", () => {
    const s = family();
    s.members[0]!.relationship = "其他";
    const problems = checkHousehold(s, TODAY);
    expect(codes(problems)).toContain("household_no_head");
    expect(problems.find((p) => p.code === "household_no_head")!.field).toBe("members");
  });

  it("does not count a removed head", () => {
    const s = family();
    const removed = applyEvent(s, {
      kind: "member.removed",
      memberId: s.members[0]!.id,
      reason: "death",
      on: TODAY,
    });
    expect(codes(checkHousehold(removed, TODAY))).toEqual(["household_no_head"]);
  });

  it("allows only one head, pointing at the second", () => {
    const s = family();
    s.members[1]!.relationship = "户主";
    const problems = checkHousehold(s, TODAY).filter((p) => p.code === "household_two_heads");
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe("members[1].relationship");
  });

  it("needs at least one active member", () => {
    const s = family();
    s.members = s.members.map((m) => ({ ...m, status: "removed" as const }));
    expect(codes(checkHousehold(s, TODAY))).toEqual(["household_no_members"]);
  });

  it("refuses the same ID number twice in a household", () => {
    const s = family();
    s.members[3]!.idNumber = s.members[2]!.idNumber;
    s.members[3]!.sex = "male";
    s.members[3]!.birthDate = s.members[2]!.birthDate;
    const dup = checkHousehold(s, TODAY).filter((p) => p.code === "member_id_duplicate");
    expect(dup).toHaveLength(1);
    expect(dup[0]!.field).toBe("members[3].idNumber");
  });

  it("ignores a removed member's ID when looking for duplicates", () => {
    const s = family();
    s.members[3]!.idNumber = s.members[2]!.idNumber;
    s.members[3]!.status = "removed";
    expect(checkHousehold(s, TODAY)).toEqual([]);
  });

  it("reports an invalid ID number with the validator's code", () => {
    const s = family();
    const id = s.members[1]!.idNumber!;
    s.members[1]!.idNumber = id.slice(0, 17) + (id[17] === "0" ? "1" : "0");
    const problems = checkHousehold(s, TODAY);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      code: "id_number_check_char",
      field: "members[1].idNumber",
    });
    s.members[1]!.idNumber = "";
    expect(checkHousehold(s, TODAY)[0]).toMatchObject({
      code: "id_number_empty",
      field: "members[1].idNumber",
    });
  });

  it("does not validate an ID of type other", () => {
    const s = family();
    s.members[1]!.idType = "other";
    s.members[1]!.idNumber = "M123456(7)";
    expect(checkHousehold(s, TODAY)).toEqual([]);
  });

  it("refuses a birth date that differs from the ID number", () => {
    const s = family();
    s.members[2]!.birthDate = "2001-01-21";
    const problems = checkHousehold(s, TODAY);
    expect(codes(problems)).toEqual(["member_birth_date_mismatch"]);
    expect(problems[0]!.field).toBe("members[2].birthDate");
    expect(problems[0]!.message).toContain("2001-01-20");
  });

  it("refuses a sex that differs from the ID number", () => {
    const s = family();
    s.members[3]!.sex = "male";
    const problems = checkHousehold(s, TODAY);
    expect(codes(problems)).toEqual(["member_sex_mismatch"]);
    expect(problems[0]!.field).toBe("members[3].sex");
  });

  it("refuses a disability number typed as a resident ID", () => {
    const s = family();
    s.members[1]!.idNumber = `${s.members[1]!.idNumber}13`;
    expect(codes(checkHousehold(s, TODAY))).toEqual(["id_type_mismatch"]);
    s.members[1]!.idType = "disability_cert";
    expect(checkHousehold(s, TODAY)).toEqual([]);
  });

  it("refuses a child older than the head", () => {
    const s = family();
    s.members[2] = member({
      name: "张大",
      relationship: "之子",
      birthDate: "1970-01-01",
      sex: "male",
    });
    const problems = checkHousehold(s, TODAY);
    expect(codes(problems)).toEqual(["member_age_relationship"]);
    expect(problems[0]!.field).toBe("members[2].birthDate");
  });

  it("refuses a son less than 12 years younger than the head, and accepts exactly 12", () => {
    const withSon = (birthDate: string) => {
      const s = family();
      s.members[2] = {
        ...member({ relationship: "之子", birthDate, sex: "male" }),
        id: s.members[2]!.id,
      };
      return s;
    };
    // Head born 1975-04-02.
    expect(codes(checkHousehold(withSon("1985-04-02"), TODAY))).toEqual([
      "member_age_relationship",
    ]);
    expect(codes(checkHousehold(withSon("1987-04-01"), TODAY))).toEqual([
      "member_age_relationship",
    ]);
    expect(checkHousehold(withSon("1987-04-02"), TODAY)).toEqual([]);
    expect(checkHousehold(withSon("1987-04-03"), TODAY)).toEqual([]);
    expect(checkHousehold(withSon("1990-01-01"), TODAY)).toEqual([]);
  });

  it("judges the age gap from the birth dates, whatever day it is checked", () => {
    // 11 years and 9 months younger than the head: wrong on every day of the year.
    const s = family();
    s.members[2] = {
      ...member({ relationship: "之子", birthDate: "1987-01-02", sex: "male" }),
      id: s.members[2]!.id,
    };
    for (const day of ["2025-01-01", "2025-03-01", "2025-04-02", "2025-06-15", "2025-12-31"]) {
      expect(codes(checkHousehold(s, day)), day).toEqual(["member_age_relationship"]);
    }
    // Exactly 12 years younger: right on every day.
    s.members[2] = {
      ...member({ relationship: "之子", birthDate: "1987-04-02", sex: "male" }),
      id: s.members[2]!.id,
    };
    for (const day of ["2025-01-01", "2025-04-01", "2025-04-02", "2025-12-31"]) {
      expect(checkHousehold(s, day), day).toEqual([]);
    }
  });

  it("refuses a father younger than 12 years older than the head", () => {
    const s = family();
    s.members.push(member({ relationship: "之父", birthDate: "1970-01-01", sex: "male" }));
    expect(codes(checkHousehold(s, TODAY))).toEqual(["member_age_relationship"]);
    s.members[4] = member({ relationship: "之父", birthDate: "1950-01-01", sex: "male" });
    expect(checkHousehold(s, TODAY)).toEqual([]);
  });

  it("refuses negative incomes, costs and spending", () => {
    const s = family();
    s.household.transferIncome = -1;
    s.household.businessCosts = -500;
    const problems = checkHousehold(s, TODAY);
    expect(problems.map((p) => [p.code, p.field])).toEqual([
      ["money_negative", "transferIncome"],
      ["money_negative", "businessCosts"],
    ]);
    expect(problems[0]!.message).toContain("转移性收入");
  });

  it("accepts zero income and a negative per-capita income (costs above income)", () => {
    const s = family();
    s.household.wageIncome = 0;
    s.household.perCapitaIncome = -1000;
    expect(checkHousehold(s, TODAY)).toEqual([]);
  });

  it("refuses an elimination month without the risk marked eliminated", () => {
    const s = family();
    s.household.identifiedMonth = "2024-01";
    s.household.eliminatedMonth = "2024-09";
    expect(codes(checkHousehold(s, TODAY))).toEqual(["elimination_inconsistent"]);
    s.household.riskEliminated = false;
    expect(codes(checkHousehold(s, TODAY))).toEqual(["elimination_inconsistent"]);
    s.household.riskEliminated = true;
    expect(checkHousehold(s, TODAY)).toEqual([]);
  });

  it("refuses an elimination before identification", () => {
    const s = family();
    s.household.identifiedMonth = "2024-05";
    s.household.eliminatedMonth = "2024-04";
    s.household.riskEliminated = true;
    const problems = checkHousehold(s, TODAY);
    expect(codes(problems)).toEqual(["elimination_before_identification"]);
    expect(problems[0]!.field).toBe("eliminatedMonth");
  });

  it("needs household number, village, type and member names", () => {
    const s = family();
    s.household.householdNumber = "";
    s.household.villageCode = null;
    s.household.householdType = null;
    s.members[1]!.name = null;
    s.members[1]!.relationship = null;
    expect(codes(checkHousehold(s, TODAY))).toEqual([
      "household_number_missing",
      "village_missing",
      "household_type_missing",
      "member_name_missing",
      "member_relationship_missing",
    ]);
  });

  it("uses the day of the check to refuse birth dates in the future", () => {
    const s = family();
    s.members.push(member({ relationship: "之孙女", birthDate: "2025-06-10", sex: "female" }));
    expect(checkHousehold(s, "2025-06-15")).toEqual([]);
    expect(codes(checkHousehold(s, "2025-06-01"))).toEqual(["id_number_birth_date"]);
  });
});
