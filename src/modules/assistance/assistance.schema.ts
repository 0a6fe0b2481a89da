/** API shapes of assistance (帮扶): cadres, pairings, plans, measures, visits and work teams. */
import { z } from "zod";
import { isRealDate } from "../../core/id-number.ts";

const date = (label: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, `${label}应为 YYYY-MM-DD 格式的日期`)
    .refine(isRealDate, `${label}不是有效日期`);
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "月份应为 YYYY-MM 格式");
const regionCode = z.string().regex(/^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$/, "区划代码格式不正确");
const villageCode = z.string().regex(/^\d{12}$/, "行政村代码应为 12 位数字");
const phone = z
  .string()
  .trim()
  .regex(/^[0-9+\-() ]{5,20}$/, "联系电话格式不正确");
const text = (max: number) => z.string().trim().min(1).max(max);

/** 干部状态 — active, left (离职/退休), transferred (调动). */
export const CADRE_STATUSES = ["active", "left", "transferred"] as const;
export const CADRE_STATUS_LABELS: Record<(typeof CADRE_STATUSES)[number], string> = {
  active: "在岗",
  left: "离职",
  transferred: "调动",
};

/** 措施状态 — planned, delivered (已落实), stopped (已停止). */
export const MEASURE_STATUSES = ["planned", "delivered", "stopped"] as const;
export type MeasureStatus = (typeof MEASURE_STATUSES)[number];
export const MEASURE_STATUS_LABELS: Record<MeasureStatus, string> = {
  planned: "计划",
  delivered: "已落实",
  stopped: "已停止",
};

/** 驻村工作队职务 */
export const TEAM_ROLES = ["first_secretary", "leader", "member"] as const;
export const TEAM_ROLE_LABELS: Record<(typeof TEAM_ROLES)[number], string> = {
  first_secretary: "第一书记",
  leader: "工作队长",
  member: "工作队员",
};

export const cadreInput = z.object({
  /** 姓名 */
  name: text(40),
  /** 工作单位 */
  unit: text(100),
  /** 职务 */
  post: z.string().trim().max(60).optional(),
  /** 职级: a key of the policy's `quotas` (county_leader, section_level, staff, other). */
  rank: z.string().regex(/^[a-z][a-z0-9_]*$/, "职级应为政策 quotas 中的键，如 staff"),
  /** 联系电话 (printed on the assistance card) */
  phone: phone.optional(),
  /** The county or town whose office keeps the record (default: the user's region). */
  region: regionCode.optional(),
  /** Username of the helper account that signs in as this cadre. */
  username: z.string().trim().min(1).max(60).optional(),
});
export type CadreInput = z.infer<typeof cadreInput>;

export const cadreChange = z.object({
  phone: phone.optional(),
  post: z.string().trim().max(60).optional(),
  unit: text(100).optional(),
  rank: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/)
    .optional(),
  status: z
    .enum(CADRE_STATUSES, { message: "干部状态应为 active、left、transferred 之一" })
    .optional(),
  /** The date of a status change (default today). */
  on: date("变更日期").optional(),
});
export type CadreChange = z.infer<typeof cadreChange>;

export const cadreView = z.object({
  id: z.number(),
  regionCode: z.string(),
  name: z.string(),
  unit: z.string(),
  post: z.string().nullable(),
  rank: z.string(),
  rankName: z.string(),
  phone: z.string().nullable(),
  status: z.string(),
  statusChangedOn: z.string().nullable(),
  username: z.string().nullable(),
  /** Households paired now (in the reader's scope or not: the count only). */
  load: z.number(),
  /** The policy's quota for the rank. */
  quota: z.number().nullable(),
});
export type CadreView = z.infer<typeof cadreView>;

export const pairInput = z.object({
  cadreId: z.number().int().positive(),
  /** 户编号 */
  householdNumber: text(40),
  /** Why (first pairing, replacement …). */
  reason: z.string().trim().max(200).optional(),
  startedOn: date("结对日期").optional(),
});
export type PairInput = z.infer<typeof pairInput>;

export const unpairInput = z.object({
  reason: text(200),
  endedOn: date("解除日期").optional(),
});

export const pairingView = z.object({
  id: z.number(),
  cadreId: z.number(),
  cadreName: z.string(),
  householdNumber: z.string(),
  headName: z.string().nullable(),
  villageCode: z.string(),
  startedOn: z.string(),
  startReason: z.string().nullable(),
  endedOn: z.string().nullable(),
  endReason: z.string().nullable(),
});
export type PairingView = z.infer<typeof pairingView>;

export const householdBrief = z.object({
  householdNumber: z.string(),
  villageCode: z.string(),
  headName: z.string().nullable(),
  size: z.number(),
  householdType: z.string().nullable(),
  monitoringCategory: z.string().nullable(),
});

export const measureInput = z.object({
  /** A code of the policy's measure catalogue (`health.medical_assistance`). */
  code: z.string().regex(/^[a-z][a-z0-9_.]*$/, "措施代码应为政策措施目录中的代码"),
  /** 金额（分） */
  amountFen: z.number().int().min(0).max(100_000_000_00).default(0),
  /** Planned or delivered date. */
  date: date("措施日期"),
  status: z.enum(MEASURE_STATUSES, { message: "措施状态应为 planned、delivered、stopped 之一" }),
  note: z.string().trim().max(500).optional(),
});
export type MeasureInput = z.input<typeof measureInput>;

export const measureChange = z.object({
  amountFen: z.number().int().min(0).max(100_000_000_00).optional(),
  date: date("措施日期").optional(),
  status: z.enum(MEASURE_STATUSES).optional(),
  note: z.string().trim().max(500).optional(),
});

export const measureView = z.object({
  id: z.number(),
  code: z.string(),
  category: z.string(),
  name: z.string(),
  developmentType: z.boolean(),
  amountFen: z.number(),
  date: z.string(),
  status: z.enum(MEASURE_STATUSES),
  note: z.string().nullable(),
  source: z.string(),
});
export type MeasureView = z.infer<typeof measureView>;

export const planInput = z.object({
  /** 帮扶目标 / 思路 (一户一策) */
  goal: z.string().trim().max(2000),
});

export const visitInput = z.object({
  visitedOn: date("走访日期"),
  notes: text(2000),
  /** Ids of the household's measures discussed. */
  measureIds: z.array(z.number().int().positive()).max(50).default([]),
});
export type VisitInput = z.input<typeof visitInput>;

export const visitView = z.object({
  id: z.number(),
  visitedOn: z.string(),
  notes: z.string(),
  measureIds: z.array(z.number()),
  cadreName: z.string().nullable(),
  hasPhoto: z.boolean(),
  createdBy: z.string(),
});

export const planView = z.object({
  household: householdBrief,
  helper: z
    .object({
      pairingId: z.number(),
      cadreId: z.number(),
      name: z.string(),
      unit: z.string(),
      post: z.string().nullable(),
      phone: z.string().nullable(),
      since: z.string(),
    })
    .nullable(),
  goal: z.string().nullable(),
  measures: z.array(measureView),
  visits: z.array(visitView),
  pairings: z.array(pairingView),
  /** Catalogue entries of the policy in force. */
  catalogue: z.array(
    z.object({
      code: z.string(),
      name: z.string(),
      category: z.string(),
      development: z.boolean(),
    }),
  ),
  can: z.array(z.string()),
});
export type PlanView = z.infer<typeof planView>;

export const overdueItem = householdBrief.extend({
  cadreId: z.number(),
  cadreName: z.string(),
  lastVisit: z.string().nullable(),
  /** The date by which the next visit was due. */
  dueOn: z.string(),
});

export const teamMemberInput = z.object({
  village: villageCode,
  name: text(40),
  unit: text(100),
  role: z.enum(TEAM_ROLES, { message: "职务应为 first_secretary、leader、member 之一" }),
  phone: phone.optional(),
});

export const attendanceInput = z.object({
  month,
  /** Days in the village that month. */
  days: z.number().int().min(0).max(31),
  /** Visits by the sending unit's leaders that month. */
  leaderVisits: z.number().int().min(0).max(31).default(0),
  note: z.string().trim().max(500).optional(),
});

export const teamReport = z.object({
  village: z.string(),
  month: z.string(),
  minDays: z.number(),
  members: z.array(
    z.object({
      id: z.number(),
      name: z.string(),
      unit: z.string(),
      role: z.string(),
      phone: z.string().nullable(),
      days: z.number().nullable(),
      leaderVisits: z.number().nullable(),
      belowMinimum: z.boolean(),
    }),
  ),
  households: z.number(),
  paired: z.number(),
  visits: z.number(),
  measuresDelivered: z.number(),
  amountDeliveredFen: z.number(),
});
export type TeamReport = z.infer<typeof teamReport>;

export const coverageView = z.object({
  region: z.string(),
  monitored: z.number(),
  /** Monitored households with a measure answering every one of their risk factors. */
  riskCovered: z.number(),
  riskCoverage: z.number().nullable(),
  /** Monitored households with labour. */
  withLabour: z.number(),
  /** …of which with a development-type measure. */
  developmentCovered: z.number(),
  developmentCoverage: z.number().nullable(),
  /** Per risk factor: households with it and those with an answering measure. */
  byRisk: z.array(z.object({ risk: z.string(), households: z.number(), covered: z.number() })),
  gaps: z.array(
    householdBrief.extend({
      missingRisks: z.array(z.string()),
      missingDevelopment: z.boolean(),
    }),
  ),
});
export type CoverageView = z.infer<typeof coverageView>;
