/** API shapes of cases, notices, objections and attachments. */
import { z } from "zod";
import { isRealDate } from "../../core/id-number.ts";
import { ELIMINATION_METHODS, MONITORING_CATEGORIES, RISK_FACTORS } from "../../core/vocab.ts";
import { CASE_TYPES } from "../../core/workflow.ts";
import { householdValuesInput } from "../registry/index.ts";

const codes = <T extends readonly { code: string }[]>(v: T) =>
  v.map((x) => x.code) as [string, ...string[]];

const date = (label: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, `${label}应为 YYYY-MM-DD 格式的日期`)
    .refine(isRealDate, `${label}不是有效日期`);
const villageCode = z.string().regex(/^\d{12}$/, "行政村代码应为 12 位数字");
const caseNumber = z.string().min(1).max(40);
const comment = z.string().trim().max(2000).optional();
/** The case version the client read; when given, a stale one is refused with a conflict. */
const version = z.number().int().min(1).optional();

/** 线索来源 — how the lead came. */
export const LEAD_SOURCES = ["self_report", "cadre", "screening", "hotline"] as const;
export const LEAD_SOURCE_LABELS: Record<(typeof LEAD_SOURCES)[number], string> = {
  self_report: "农户自主申报",
  cadre: "基层干部排查",
  screening: "部门筛查预警",
  hotline: "12317 热线",
};

export const DEREGISTRATION_REASONS = ["death", "moved_away"] as const;
export const DEREGISTRATION_LABELS: Record<(typeof DEREGISTRATION_REASONS)[number], string> = {
  death: "全户死亡",
  moved_away: "全户迁出",
};

export const openCaseInput = z.object({
  /** 户编号 */
  householdNumber: z.string().trim().min(1).max(40),
  type: z.enum(CASE_TYPES, { message: `案件类型应为 ${CASE_TYPES.join("、")} 之一` }),
  /** 监测对象类别 (identification). */
  category: z
    .enum(codes(MONITORING_CATEGORIES), {
      message: `监测对象类别应为 ${MONITORING_CATEGORIES.map((c) => c.zh).join("、")} 之一`,
    })
    .optional(),
  /** 致贫/返贫风险, 1–5 codes (identification). */
  riskFactors: z
    .array(z.enum(codes(RISK_FACTORS), { message: "致贫/返贫风险的取值无效" }))
    .max(5, "致贫/返贫风险最多 5 项")
    .optional(),
  /** 风险消除方式 (risk elimination); default 帮扶消除. */
  eliminationMethod: z.enum(codes(ELIMINATION_METHODS)).optional(),
  /** The village a transfer moves the household to. */
  targetVillage: villageCode.optional(),
  /** Household fields a correction sets. */
  corrections: householdValuesInput.optional(),
  /** Why a household is deregistered. */
  deregistrationReason: z.enum(DEREGISTRATION_REASONS).optional(),
  leadSource: z.enum(LEAD_SOURCES).default("cadre"),
  /** The day of the first lead (the deadline counts from it); default today. */
  leadDate: date("发现线索日期").optional(),
  /** 绿色通道: a disaster or accident; assistance starts before the paperwork. */
  greenChannel: z.boolean().default(false),
  assistanceStartedOn: date("开始帮扶日期").optional(),
  /** The verification task this case comes from (its outcome becomes “case opened”). */
  verification: z
    .object({ id: z.number().int().positive(), version: z.number().int().min(1) })
    .optional(),
  comment,
});
export type OpenCaseInput = z.input<typeof openCaseInput>;

/** What a step records; every field optional. */
export const stepData = z
  .object({
    /** 入户日期 */
    visitedOn: date("入户日期").optional(),
    findings: z.string().trim().max(2000).optional(),
    /** 承诺授权签字日期 */
    signedOn: date("签字日期").optional(),
    signedBy: z.string().trim().max(60).optional(),
    /** 评议日期, attendees and votes */
    date: date("评议日期").optional(),
    attendees: z.number().int().min(0).max(10_000).optional(),
    votesFor: z.number().int().min(0).max(10_000).optional(),
    votesAgainst: z.number().int().min(0).max(10_000).optional(),
    abstentions: z.number().int().min(0).max(10_000).optional(),
    meeting: z.string().trim().max(200).optional(),
  })
  .strict();
export type StepData = z.infer<typeof stepData>;

export const advanceInput = z.object({
  version,
  /** The step to move to (the next one; an earlier one sends the case back). */
  to: z.string().max(40).optional(),
  comment,
  data: stepData.optional(),
});
export type AdvanceInput = z.infer<typeof advanceInput>;

export const sendBackInput = z.object({
  version,
  /** An earlier step; default the previous one. */
  to: z.string().max(40).optional(),
  reason: z.string().trim().min(2, "退回须说明理由").max(2000),
});

export const closeInput = z.object({
  version,
  reason: z.string().trim().min(2, "须说明理由").max(2000),
});

export const batchInput = z.object({
  cases: z.array(caseNumber).min(1, "至少选择一个案件").max(500),
  comment,
  data: stepData.optional(),
});

export const caseListQuery = z.object({
  region: z
    .string()
    .regex(/^\d{2,12}$/, "区划代码应为数字")
    .optional(),
  type: z.enum(CASE_TYPES).optional(),
  /** open (active or paused, the default), closed, or all. */
  status: z.enum(["open", "closed", "all"]).default("open"),
  /** Current steps (ids, comma-separated), e.g. `approval` for the county's work list. */
  step: z
    .string()
    .regex(/^[a-z][a-z0-9_]*(,[a-z][a-z0-9_]*)*$/, "步骤应为步骤编号，多个用逗号分隔")
    .max(300)
    .optional(),
  /** true: only cases whose current step the caller's role completes (a work list). */
  mine: z.enum(["true", "false"]).optional(),
  overdue: z.enum(["true", "false"]).optional(),
  household: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: z.string().max(20).optional(),
});
export type CaseListQuery = z.infer<typeof caseListQuery>;

const stepView = z.object({
  step: z.string(),
  kind: z.string(),
  name: z.string(),
  state: z.enum(["done", "active", "pending"]),
  actor: z.string().nullable(),
  at: z.string().nullable(),
  roles: z.array(z.string()),
  /** When the active step is due (its policy days from when the case reached it). */
  dueOn: z.string().nullable(),
});

export const caseListItem = z.object({
  case: z.string(),
  type: z.string(),
  typeName: z.string(),
  state: z.string(),
  status: z.string(),
  household: z.string(),
  headName: z.string().nullable(),
  villageCode: z.string(),
  villageName: z.string().nullable(),
  step: z.string().nullable(),
  stepName: z.string().nullable(),
  deadline: z.string().nullable(),
  overdue: z.boolean(),
  greenChannel: z.boolean(),
  openedAt: z.string(),
});
export type CaseListItem = z.infer<typeof caseListItem>;

export const caseList = z.object({ items: z.array(caseListItem), next: z.string().nullable() });

export const objectionView = z.object({
  id: z.number(),
  receipt: z.string(),
  content: z.string(),
  objector: z.string().nullable(),
  receivedAt: z.string(),
  status: z.enum(["open", "resolved"]),
  outcome: z.string().nullable(),
  resolution: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
});

export const attachmentView = z.object({
  id: z.number(),
  kind: z.string(),
  name: z.string(),
  mime: z.string(),
  size: z.number(),
  step: z.string().nullable(),
  uploadedAt: z.string(),
  uploadedBy: z.string(),
});

export const caseDetail = caseListItem.extend({
  townName: z.string().nullable(),
  category: z.string().nullable(),
  riskFactors: z.array(z.string()),
  details: z.record(z.string(), z.unknown()),
  leadSource: z.string(),
  leadDate: z.string(),
  assistanceStartedOn: z.string().nullable(),
  decidedOn: z.string().nullable(),
  completedAt: z.string().nullable(),
  policyId: z.string(),
  steps: z.array(stepView),
  /** The posted notice of the current step, when it is one. */
  notice: z
    .object({ batch: z.number(), startsOn: z.string(), endsOn: z.string(), over: z.boolean() })
    .nullable(),
  log: z.array(
    z.object({
      step: z.string(),
      action: z.string(),
      actor: z.string(),
      at: z.string(),
      comment: z.string().nullable(),
      data: z.unknown(),
    }),
  ),
  objections: z.array(objectionView),
  attachments: z.array(attachmentView),
  version: z.number(),
  /** What the caller may do next: advance, send_back, reject, withdraw, attach. */
  can: z.array(z.string()),
});
export type CaseDetail = z.infer<typeof caseDetail>;

export const guardReport = z.object({
  ok: z.boolean(),
  reasons: z.array(z.string()),
  results: z.array(z.object({ id: z.string(), ok: z.boolean().nullable(), message: z.string() })),
});

export const noticeBatchInput = z.object({
  village: villageCode,
  cases: z.array(caseNumber).min(1, "至少选择一户").max(500),
  /** 民主评议日期 named in the notice's paragraph. */
  deliberationDate: date("评议日期").optional(),
  /** Office phones printed for objections (never a household's). */
  villagePhone: z.string().trim().max(40).optional(),
  townPhone: z.string().trim().max(40).optional(),
});
export type NoticeBatchInput = z.infer<typeof noticeBatchInput>;

export const noticeEntryView = z.object({
  seq: z.number(),
  groupName: z.string().nullable(),
  headName: z.string(),
  size: z.number(),
  change: z.string(),
  risks: z.string().nullable(),
});

export const noticeBatchView = z.object({
  id: z.number(),
  kind: z.enum(["notice", "announcement"]),
  caseType: z.string(),
  villageCode: z.string(),
  villageName: z.string().nullable(),
  townName: z.string().nullable(),
  countyName: z.string().nullable(),
  title: z.string(),
  startsOn: z.string(),
  endsOn: z.string(),
  days: z.number(),
  deliberationDate: z.string().nullable(),
  issuer: z.string(),
  villagePhone: z.string().nullable(),
  townPhone: z.string().nullable(),
  hotline: z.string(),
  entries: z.array(noticeEntryView),
});
export type NoticeBatchView = z.infer<typeof noticeBatchView>;

/** An objection from the public: which posted line, and what is wrong. */
export const objectionInput = z.object({
  batch: z.coerce.number().int().positive({ message: "请选择公示" }),
  seq: z.coerce.number().int().positive({ message: "请选择对哪一户有异议" }),
  content: z.string().trim().min(5, "请写明异议内容（至少 5 个字）").max(2000),
  /** Optional; objections may be anonymous. */
  name: z.string().trim().max(60).optional(),
  /** Optional phone for the reply; never shown. */
  contact: z.string().trim().max(60).optional(),
});

/**
 * 回执号, as the objection form answers it: YY + date + ten hex digits (40 random bits, so a
 * receipt cannot be guessed within the lookup rate limit). Receipts issued before carried six
 * hex digits and are still accepted.
 */
export const receiptNumber = z
  .string()
  .trim()
  .toUpperCase()
  .regex(
    /^YY\d{8}(?:[0-9A-F]{10}|[0-9A-F]{6})$/,
    "回执号应为 YY 加 18 位数字和字母，如 YY20260701A1B2C3D4E5",
  );

/**
 * What the person who lodged an objection may see by its receipt number, without signing in:
 * where it stands and how it was resolved — never who lodged it, their contact, the household
 * or anything of the case.
 */
export const objectionStatusView = z.object({
  receipt: z.string(),
  /** The notice the objection was lodged against (public anyway). */
  notice: z.string(),
  receivedOn: z.string(),
  status: z.enum(["open", "resolved"]),
  outcome: z.enum(["upheld", "dismissed"]).nullable(),
  resolution: z.string().nullable(),
  resolvedOn: z.string().nullable(),
});
export type ObjectionStatusView = z.infer<typeof objectionStatusView>;

export const resolveObjectionInput = z.object({
  /** upheld (异议成立: the case goes back before the notice) or dismissed (异议不成立). */
  outcome: z.enum(["upheld", "dismissed"], { message: "处理结果应为 异议成立 或 异议不成立" }),
  resolution: z.string().trim().min(2, "请写明处理结果").max(2000),
});

export const ATTACHMENT_KINDS = [
  "visit_photo",
  "consent_form",
  "minutes",
  "notice_photo",
  "other",
] as const;
export const attachmentQuery = z.object({
  kind: z.enum(ATTACHMENT_KINDS).default("other"),
  /** The file's name as the user chose it. */
  name: z.string().trim().min(1).max(200).default("附件"),
});
