/**
 * API shapes of the registry, built from the field table so that every field has one
 * definition. Money is integer fen, dates ISO, vocabularies their English codes.
 */
import { z } from "zod";
import { isRealDate } from "../../core/id-number.ts";
import {
  type FieldDef,
  HOUSEHOLD_FIELDS,
  type HouseholdValues,
  MEMBER_FIELDS,
  type MemberValues,
} from "../../core/registry-fields.ts";
import { MEMBER_REMOVAL_REASONS } from "../../core/vocab.ts";

/** The zod type of one field's value, with messages that name the field in Chinese. */
export function fieldSchema(def: FieldDef): z.ZodType {
  const label = def.zh;
  switch (def.kind) {
    case "text":
      return z
        .string({ message: `${label}应为文字` })
        .max(def.maxLength ?? 200, `${label}最多 ${def.maxLength ?? 200} 个字`)
        .nullable();
    case "flag":
      return z.boolean({ message: `${label}应为 是/否` }).nullable();
    case "money":
      return z
        .number({ message: `${label}应为金额（分）` })
        .int(`${label}应为整数分`)
        .nullable();
    case "int":
      return z
        .number({ message: `${label}应为整数` })
        .int(`${label}应为整数`)
        .min(0, `${label}不能为负数`)
        .nullable();
    case "decimal":
      return z
        .number({ message: `${label}应为数字` })
        .min(0, `${label}不能为负数`)
        .nullable();
    case "date":
      return z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/, `${label}应为 YYYY-MM-DD 格式的日期`)
        .refine(isRealDate, `${label}不是有效日期`)
        .nullable();
    case "month":
      return z
        .string()
        .regex(/^\d{4}-(0[1-9]|1[0-2])$/, `${label}应为 YYYY-MM 格式的年月`)
        .nullable();
    case "enum": {
      const codes = def.vocab!.map((v) => v.code) as [string, ...string[]];
      return z
        .enum(codes, { message: `${label}应为 ${def.vocab!.map((v) => v.zh).join("、")} 之一` })
        .nullable();
    }
    case "enum_list": {
      const codes = def.vocab!.map((v) => v.code) as [string, ...string[]];
      return z
        .array(z.enum(codes, { message: `${label}的取值无效` }))
        .max(5, `${label}最多 5 项`)
        .nullable();
    }
  }
}

function shape(defs: readonly FieldDef[]) {
  return Object.fromEntries(defs.map((d) => [d.key, fieldSchema(d).describe(d.zh)]));
}

const householdShape = shape(HOUSEHOLD_FIELDS);
const memberShape = shape(MEMBER_FIELDS);
const extra = z.record(z.string(), z.unknown()).nullable();

/** Household values as sent by clients: every field optional (absent = unchanged / unknown). */
// The field table decides the shape at run time; the casts give it its static type.
/** Attributes without a field of their own (unknown import columns), kept as they came. */
const extraInput = z.record(z.string(), z.unknown()).nullable().optional();
export type ExtraInput = { extra?: Record<string, unknown> | null };
export const householdValuesInput = z
  .object({ ...householdShape, extra: extraInput })
  .partial()
  .strict() as unknown as z.ZodType<Partial<HouseholdValues> & ExtraInput>;
export const memberValuesInput = z
  .object({ ...memberShape, extra: extraInput })
  .partial()
  .strict() as unknown as z.ZodType<Partial<MemberValues> & ExtraInput>;

/** Why a change was made; shown in the history. */
const reason = z.string().trim().max(500, "修改原因最多 500 字").optional();
/** The version the client read; a stale one is refused with a conflict. */
const version = z.number({ message: "缺少版本号 version" }).int().min(1);

export const createHouseholdInput = z.object({
  household: householdValuesInput,
  members: z.array(memberValuesInput).min(1, "家庭至少要有一名成员").max(50),
  reason,
});
export type CreateHouseholdInput = z.infer<typeof createHouseholdInput>;

export const updateHouseholdInput = z.object({ version, changes: householdValuesInput, reason });
export type UpdateHouseholdInput = z.infer<typeof updateHouseholdInput>;

export const addMemberInput = z.object({ version, member: memberValuesInput, reason });
export type AddMemberInput = z.infer<typeof addMemberInput>;

export const updateMemberInput = z.object({ version, changes: memberValuesInput, reason });
export type UpdateMemberInput = z.infer<typeof updateMemberInput>;

const removalCodes = MEMBER_REMOVAL_REASONS.map((r) => r.code) as [string, ...string[]];
export const removeMemberInput = z.object({
  version,
  /** 减员原因 */
  reason: z.enum(removalCodes, {
    message: `减员原因应为 ${MEMBER_REMOVAL_REASONS.map((r) => r.zh).join("、")} 之一`,
  }),
  /** The date it happened (death, move); defaults to today. */
  on: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "日期应为 YYYY-MM-DD")
    .refine(isRealDate, "日期无效")
    .optional(),
  note: z.string().trim().max(500).optional(),
});
export type RemoveMemberInput = z.infer<typeof removeMemberInput>;

export const householdListQuery = z.object({
  /** A village (or any region) code; only households below it. */
  village: z
    .string()
    .regex(/^\d{2,12}$/, "区划代码应为数字")
    .optional(),
  region: z
    .string()
    .regex(/^\d{2,12}$/, "区划代码应为数字")
    .optional(),
  /** Name of the head or any member, household number, or a whole ID number. */
  q: z.string().trim().max(60).optional(),
  /** A whole ID number (matched exactly after normalising). */
  idNumber: z.string().trim().max(30).optional(),
  householdType: z.string().max(30).optional(),
  monitoringCategory: z.string().max(30).optional(),
  /** true: households under monitoring whose risk is not eliminated. */
  monitored: z.enum(["true", "false"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: z.string().max(40).optional(),
});
export type HouseholdListQuery = z.infer<typeof householdListQuery>;

export const householdListItem = z.object({
  householdNumber: z.string(),
  villageCode: z.string(),
  villageName: z.string().nullable(),
  townCode: z.string(),
  townName: z.string().nullable(),
  groupName: z.string().nullable(),
  headName: z.string().nullable(),
  size: z.number(),
  householdType: z.string().nullable(),
  monitoringCategory: z.string().nullable(),
  riskEliminated: z.boolean().nullable(),
  perCapitaIncome: z.number().nullable(),
  version: z.number(),
  updatedAt: z.string(),
});
export type HouseholdListItem = z.infer<typeof householdListItem>;

export const householdList = z.object({
  items: z.array(householdListItem),
  next: z.string().nullable(),
});

const memberView = z.object({
  ...Object.fromEntries(MEMBER_FIELDS.map((d) => [d.key, z.unknown()])),
  id: z.number(),
  position: z.number(),
  status: z.enum(["active", "removed"]),
  removedReason: z.string().nullable(),
  removedOn: z.string().nullable(),
  /** Age today (or on the as-of date). */
  age: z.number().nullable(),
  extra,
});

/** A household as the API shows it; masked values are strings such as `360726********1234`, `***`. */
export interface HouseholdDetail {
  household: HouseholdValues & {
    extra: Record<string, unknown> | null;
    villageName: string | null;
    townCode: string;
    townName: string | null;
    headName: string | null;
    size: number;
    version: number;
    createdAt: string | null;
    updatedAt: string | null;
  };
  members: (MemberValues & {
    id: number;
    position: number;
    status: "active" | "removed";
    removedReason: string | null;
    removedOn: string | null;
    age: number | null;
    extra: Record<string, unknown> | null;
  })[];
  /** Figures derived by policy rather than stored. */
  computed: { netIncome: number | null; perCapitaIncome: number | null };
  /** Whether sensitive fields (ID numbers, phones, health) are masked in this response. */
  masked: boolean;
  /** Set when the household is shown as it was at the end of this date. */
  asOf: string | null;
  /** Actions the caller may take on this household. */
  can: string[];
}

export const householdDetail = z.object({
  household: z.object({
    ...Object.fromEntries(HOUSEHOLD_FIELDS.map((d) => [d.key, z.unknown()])),
    extra,
    villageName: z.string().nullable(),
    townCode: z.string(),
    townName: z.string().nullable(),
    headName: z.string().nullable(),
    size: z.number(),
    version: z.number(),
    createdAt: z.string().nullable(),
    updatedAt: z.string().nullable(),
  }),
  members: z.array(memberView),
  computed: z.object({ netIncome: z.number().nullable(), perCapitaIncome: z.number().nullable() }),
  masked: z.boolean(),
  asOf: z.string().nullable(),
  can: z.array(z.string()),
}) as unknown as z.ZodType<HouseholdDetail>;

export const historyEntry = z.object({
  version: z.number(),
  kind: z.string(),
  label: z.string(),
  at: z.string(),
  actor: z.string(),
  source: z.string(),
  sourceRef: z.string().nullable(),
  reason: z.string().nullable(),
  /** Field changes as {field: [old, new]}, with the member they concern. */
  changes: z.array(
    z.object({
      field: z.string(),
      label: z.string(),
      memberId: z.number().nullable(),
      memberName: z.string().nullable(),
      old: z.unknown(),
      new: z.unknown(),
    }),
  ),
});
export type HistoryEntry = z.infer<typeof historyEntry>;

export const detailQuery = z.object({
  /** 1 or true shows ID numbers, phones and health; the read is audited. */
  unmask: z.enum(["1", "true", "0", "false"]).optional(),
  /** Show the household as it was at the end of this day (YYYY-MM-DD). */
  asOf: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "asOf 应为 YYYY-MM-DD")
    .refine(isRealDate, "asOf 不是有效日期")
    .optional(),
});

/** The sources of a change, as the history records them. */
export const SOURCES = ["ui", "import", "feed", "case", "demo", "cli", "system"] as const;
export type Source = (typeof SOURCES)[number];
