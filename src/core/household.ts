/**
 * A household as it is at one moment (state), the events that change it, and the invariants it
 * must keep. The database rows are a projection of these events: every write computes the new
 * state with `applyEvent` and stores both, so replaying a household's events gives its rows
 * again, and replaying those up to a date shows the household as it was then.
 */
import { chinaDate, endOfChinaDay } from "./dates.ts";
import { ageOn, checkIdNumber, normalizeIdNumber } from "./id-number.ts";
import {
  HOUSEHOLD_FIELDS,
  type HouseholdValues,
  MEMBER_FIELDS,
  type MemberValues,
} from "./registry-fields.ts";
import { HEAD_RELATIONSHIP } from "./vocab.ts";

export type Extra = Record<string, unknown>;

export interface MemberState extends MemberValues {
  id: number;
  position: number;
  status: "active" | "removed";
  removedReason: string | null;
  removedOn: string | null;
  extra: Extra | null;
}

export interface HouseholdState {
  household: HouseholdValues & { extra: Extra | null };
  members: MemberState[];
}

export type Change = readonly [unknown, unknown];
export type Changes = Record<string, Change>;

export type HouseholdEvent =
  | { kind: "household.created"; household: HouseholdState["household"]; members: MemberState[] }
  | { kind: "household.updated"; changes: Changes }
  | { kind: "member.added"; member: MemberState }
  | { kind: "member.updated"; memberId: number; changes: Changes }
  | { kind: "member.removed"; memberId: number; reason: string; on: string; note?: string | null };

export const EVENT_LABELS: Record<HouseholdEvent["kind"], string> = {
  "household.created": "建档",
  "household.updated": "修改户信息",
  "member.added": "新增成员",
  "member.updated": "修改成员信息",
  "member.removed": "减少成员",
};

const EMPTY_EXTRA: { extra: Extra | null } = { extra: null };
const EMPTY_MEMBER_STATE: Pick<MemberState, "removedReason" | "removedOn" | "extra"> = {
  removedReason: null,
  removedOn: null,
  extra: null,
};

/** The state after an event. Pure: the input state is not changed. */
export function applyEvent(state: HouseholdState | null, event: HouseholdEvent): HouseholdState {
  if (event.kind === "household.created") {
    // Created events are stored without null values; absent fields are null.
    return {
      household: { ...emptyHousehold(), ...EMPTY_EXTRA, ...event.household },
      members: event.members.map((m) => ({ ...emptyMember(), ...EMPTY_MEMBER_STATE, ...m })),
    };
  }
  if (!state) throw new Error(`${event.kind} before household.created`);
  switch (event.kind) {
    case "household.updated":
      return { ...state, household: { ...state.household, ...newValues(event.changes) } };
    case "member.added":
      return { ...state, members: [...state.members, { ...event.member }] };
    case "member.updated":
      return {
        ...state,
        members: state.members.map((m) =>
          m.id === event.memberId ? { ...m, ...newValues(event.changes) } : m,
        ),
      };
    case "member.removed":
      return {
        ...state,
        members: state.members.map((m) =>
          m.id === event.memberId
            ? { ...m, status: "removed", removedReason: event.reason, removedOn: event.on }
            : m,
        ),
      };
  }
}

function newValues(changes: Changes): Record<string, unknown> {
  return Object.fromEntries(Object.entries(changes).map(([k, [, v]]) => [k, v]));
}

// ─── stored form of events ─────────────────────────────────────────────────────

/**
 * Keys of a household's values in a stored creation event, in order. APPEND ONLY: an event
 * stores its values at these positions, so a key never moves or goes away (a new field is added
 * at the end; events written before it simply have no value there, which reads as null).
 */
const CREATED_HOUSEHOLD_KEYS: readonly string[] = Object.freeze([
  "householdNumber",
  "villageCode",
  "groupName",
  "householdType",
  "monitoringCategory",
  "riskFactors",
  "identifiedMonth",
  "riskEliminated",
  "eliminatedMonth",
  "eliminationMethod",
  "safetyNet",
  "perCapitaIncome",
  "wageIncome",
  "businessIncome",
  "propertyIncome",
  "transferIncome",
  "businessCosts",
  "compliantExpense",
  "dangerousHouse",
  "housingGrade",
  "houseArea",
  "safeWater",
  "electricity",
  "hardenedRoad",
  "roadDistance",
  "sanitaryToilet",
  "arableLand",
  "forestLand",
  "grainForGreenLand",
  "orchardLand",
  "pastureLand",
  "waterSurface",
  "phone",
  "collectorName",
  "collectorPhone",
  "remarks",
  "extra",
]);

/** Keys of a member's values in a stored creation event, in order. APPEND ONLY, as above. */
const CREATED_MEMBER_KEYS: readonly string[] = Object.freeze([
  "id",
  "position",
  "status",
  "removedReason",
  "removedOn",
  "extra",
  "name",
  "idType",
  "idNumber",
  "sex",
  "ethnicity",
  "birthDate",
  "relationship",
  "phone",
  "education",
  "schoolStatus",
  "outOfSchool",
  "notEnrolledReason",
  "dropoutReason",
  "health",
  "laborSkill",
  "workLocation",
  "publicWelfareJob",
  "publicWelfareJobMonths",
  "insResidentMedical",
  "insEmployeeMedical",
  "insSeriousIllness",
  "medicalAssistance",
  "insResidentPension",
  "insEmployeePension",
  "dibao",
  "tekun",
]);

/** The stored key lists, for the test that every field has a place in them. */
export const CREATED_EVENT_KEYS = {
  household: CREATED_HOUSEHOLD_KEYS,
  member: CREATED_MEMBER_KEYS,
};

/** Values at the keys' positions, without the trailing nulls. */
function positional(keys: readonly string[], values: Record<string, unknown>): unknown[] {
  let n = keys.length;
  while (n > 0 && (values[keys[n - 1]!] ?? null) === null) n--;
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = values[keys[i]!] ?? null;
  return out;
}

/** Values read back from positions into `into` (absent positions are left as `into` has them). */
function fromPositional(
  keys: readonly string[],
  values: readonly unknown[],
  into: Record<string, unknown>,
) {
  for (let i = 0; i < values.length && i < keys.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) into[keys[i]!] = v;
  }
  return into;
}

/**
 * The stored text of an event (household_events.data). A creation event, the largest by far (it
 * holds every value of the household and its members), is stored compactly: values at fixed
 * positions (`CREATED_*_KEYS`) instead of under their names, so about a third of the size;
 * `parseEvent` reads both this and the older named form.
 */
export function serializeEvent(event: HouseholdEvent): string {
  if (event.kind !== "household.created") return JSON.stringify(event);
  return JSON.stringify({
    kind: event.kind,
    h: positional(CREATED_HOUSEHOLD_KEYS, event.household as unknown as Record<string, unknown>),
    m: event.members.map((m) =>
      positional(CREATED_MEMBER_KEYS, m as unknown as Record<string, unknown>),
    ),
  });
}

/** An event from its stored text, in either form of a creation event (absent values left out). */
export function parseEvent(data: string): HouseholdEvent {
  const e = JSON.parse(data) as
    | HouseholdEvent
    | { kind: "household.created"; h: unknown[]; m: unknown[][] };
  if (e.kind !== "household.created" || !("h" in e)) return e as HouseholdEvent;
  return {
    kind: "household.created",
    household: fromPositional(CREATED_HOUSEHOLD_KEYS, e.h, {}) as HouseholdState["household"],
    members: e.m.map((m) => fromPositional(CREATED_MEMBER_KEYS, m, {}) as unknown as MemberState),
  };
}

/** Folds events, oldest first, into a state; null when there are none. */
export function replay(events: readonly HouseholdEvent[]): HouseholdState | null {
  let state: HouseholdState | null = null;
  for (const e of events) state = applyEvent(state, e);
  return state;
}

/** The fields whose values differ, as [old, new]; values compare by JSON (lists, objects). */
export function diff(before: Record<string, unknown>, after: Record<string, unknown>): Changes {
  const changes: Changes = {};
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    const old = before[key] ?? null;
    if (old === value) continue;
    // Text, finite numbers and booleans compare as their JSON does; the rest by JSON.
    if (plain(old) && plain(value) ? old !== value : JSON.stringify(old) !== JSON.stringify(value))
      changes[key] = [old, value];
  }
  return changes;
}

const plain = (v: unknown) =>
  typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));

export const activeMembers = (s: HouseholdState) => s.members.filter((m) => m.status === "active");
export const headOf = (s: HouseholdState) =>
  activeMembers(s).find((m) => m.relationship === HEAD_RELATIONSHIP);

/** A rule broken by a household, with the field at fault (`members[1].idNumber`). */
export interface Problem {
  code: string;
  field: string;
  message: string;
}

/** Empty values for every household field. */
const EMPTY_HOUSEHOLD = Object.freeze(
  Object.fromEntries(HOUSEHOLD_FIELDS.map((f) => [f.key, null])),
) as unknown as HouseholdValues;
const EMPTY_MEMBER = Object.freeze(
  Object.fromEntries(MEMBER_FIELDS.map((f) => [f.key, null])),
) as unknown as MemberValues;

export function emptyHousehold(): HouseholdValues {
  return { ...EMPTY_HOUSEHOLD };
}

/** Empty values for every member field. */
export function emptyMember(): MemberValues {
  return { ...EMPTY_MEMBER };
}

/**
 * Cleans a member's values the way every input path should: the ID number normalised
 * (half-width, upper-case X), blank text as null, and birth date and sex taken from a valid
 * resident ID number when they were left empty.
 */
export function normalizeMember<T extends Partial<MemberValues>>(m: T): T {
  return normalizeInto({}, m) as T;
}

/** Today in China (the default of `checkIdNumber`), worked out again when the day is over. */
let today = { day: "", until: 0 };
function chinaToday(): string {
  const now = Date.now();
  if (now >= today.until) {
    const day = chinaDate(new Date(now));
    today = { day, until: Date.parse(endOfChinaDay(day)) };
  }
  return today.day;
}

/** `normalizeMember`, writing into `out` (after what it holds). */
function normalizeInto(out: Record<string, unknown>, m: object): Record<string, unknown> {
  const values = m as Record<string, unknown>;
  for (const k in values) {
    const v = values[k];
    out[k] = typeof v === "string" && v.trim() === "" ? null : v;
  }
  if (typeof out.idNumber === "string") {
    // Birth date and sex given (as a national file gives them): the check would only normalise.
    if (out.birthDate != null && out.sex != null) out.idNumber = normalizeIdNumber(out.idNumber);
    else {
      const check = checkIdNumber(out.idNumber, chinaToday());
      out.idNumber = check.normalized;
      if (check.valid && (out.idType ?? "resident_id") !== "other") {
        out.birthDate ??= check.birthDate;
        out.sex ??= check.sex;
      }
    }
  }
  return out;
}

const NEW_MEMBER = Object.freeze({ ...EMPTY_MEMBER, extra: null });

/**
 * The state of a new member from input values: every field (absent ones null), the values
 * normalised as by `normalizeMember`, active, at `position`, id 0 until stored.
 */
export function newMemberState(m: Partial<MemberValues>, position: number): MemberState {
  const out = normalizeInto({ ...NEW_MEMBER }, m);
  out.id = 0;
  out.position = position;
  out.status = "active";
  out.removedReason = null;
  out.removedOn = null;
  return out as unknown as MemberState;
}

/** Minimum age gaps between a member and the head, by relationship. */
const GAPS: Record<string, { older: boolean; years: number }> = {
  之子: { older: false, years: 12 },
  之女: { older: false, years: 12 },
  之孙子: { older: false, years: 24 },
  之孙女: { older: false, years: 24 },
  之外孙子: { older: false, years: 24 },
  之外孙女: { older: false, years: 24 },
  之曾孙子: { older: false, years: 36 },
  之曾孙女: { older: false, years: 36 },
  之父: { older: true, years: 12 },
  之母: { older: true, years: 12 },
  之祖父: { older: true, years: 24 },
  之祖母: { older: true, years: 24 },
  之外祖父: { older: true, years: 24 },
  之外祖母: { older: true, years: 24 },
};

const MONEY_NON_NEGATIVE = [
  "wageIncome",
  "businessIncome",
  "propertyIncome",
  "transferIncome",
  "businessCosts",
  "compliantExpense",
] as const;

/** Every invariant of a household that can be checked without the rest of the registry. */
export function checkHousehold(state: HouseholdState, today: string): Problem[] {
  const problems: Problem[] = [];
  const h = state.household;
  const add = (code: string, field: string, message: string) =>
    problems.push({ code, field, message });

  if (!h.householdNumber) add("household_number_missing", "householdNumber", "户编号不能为空");
  if (!h.villageCode) add("village_missing", "villageCode", "所属行政村不能为空");
  if (!h.householdType) add("household_type_missing", "householdType", "户类型不能为空");
  for (const key of MONEY_NON_NEGATIVE) {
    const v = h[key];
    if (v !== null && v < 0)
      add("money_negative", key, `${HOUSEHOLD_FIELDS.find((f) => f.key === key)?.zh}不能为负数`);
  }
  if (h.eliminatedMonth && h.riskEliminated !== true) {
    add(
      "elimination_inconsistent",
      "eliminatedMonth",
      "填写了消除监测时间，但“风险是否已消除”不是“是”",
    );
  }
  if (h.eliminatedMonth && h.identifiedMonth && h.eliminatedMonth < h.identifiedMonth) {
    add("elimination_before_identification", "eliminatedMonth", "消除监测时间早于识别监测时间");
  }

  const active = state.members.map((m, i) => ({ m, i })).filter(({ m }) => m.status === "active");
  if (active.length === 0) add("household_no_members", "members", "家庭至少要有一名成员");
  const heads = active.filter(({ m }) => m.relationship === HEAD_RELATIONSHIP);
  if (active.length > 0 && heads.length === 0)
    add("household_no_head", "members", "家庭没有户主（与户主关系为“户主”的成员）");
  if (heads.length > 1) {
    add(
      "household_two_heads",
      `members[${heads[1]!.i}].relationship`,
      `家庭有 ${heads.length} 名户主，只能有一名`,
    );
  }

  const seen = new Map<string, number>();
  for (const { m, i } of active) {
    const at = (f: string) => `members[${i}].${f}`;
    if (!m.name) add("member_name_missing", at("name"), `第 ${i + 1} 名成员没有姓名`);
    if (!m.relationship)
      add(
        "member_relationship_missing",
        at("relationship"),
        `${m.name ?? "成员"}的“与户主关系”为空`,
      );
    if (!m.idNumber) {
      add("id_number_empty", at("idNumber"), `${m.name ?? "成员"}的证件号码为空`);
      continue;
    }
    const dup = seen.get(m.idNumber);
    if (dup !== undefined)
      add("member_id_duplicate", at("idNumber"), `${m.name}与第 ${dup + 1} 名成员证件号码相同`);
    seen.set(m.idNumber, i);
    if (m.idType === "other") continue;
    const check = checkIdNumber(m.idNumber, today);
    if (!check.valid) {
      add(check.error, at("idNumber"), `${m.name ?? "成员"}：${check.message}`);
      continue;
    }
    if (m.idType === "resident_id" && check.kind !== "resident") {
      add(
        "id_type_mismatch",
        at("idType"),
        `${m.name}的证件号码是残疾人证号码，证件类型应为“残疾人证”`,
      );
    }
    if (m.birthDate && m.birthDate !== check.birthDate) {
      add(
        "member_birth_date_mismatch",
        at("birthDate"),
        `${m.name}的出生日期 ${m.birthDate} 与证件号码中的 ${check.birthDate} 不一致`,
      );
    }
    if (m.sex && m.sex !== check.sex) {
      add(
        "member_sex_mismatch",
        at("sex"),
        `${m.name}的性别与证件号码不一致（证件号码为${check.sex === "male" ? "男" : "女"}）`,
      );
    }
  }

  const head = heads[0]?.m;
  if (head?.birthDate) {
    const headAge = ageOn(head.birthDate, today);
    for (const { m, i } of active) {
      const gap = m.relationship ? GAPS[m.relationship] : undefined;
      if (!gap || !m.birthDate) continue;
      const age = ageOn(m.birthDate, today);
      // The gap between the birth dates: a difference of current ages depends on the day.
      const years = gap.older
        ? ageOn(m.birthDate, head.birthDate)
        : ageOn(head.birthDate, m.birthDate);
      if (years < gap.years) {
        add(
          "member_age_relationship",
          `members[${i}].birthDate`,
          `${m.name}（${age} 岁）与户主${head.name}（${headAge} 岁）的年龄不符合“${m.relationship}”关系`,
        );
      }
    }
  }
  return problems;
}
