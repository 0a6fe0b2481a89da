import { z } from "zod";

export const OUTCOMES = ["case_opened", "already_monitored", "dismissed"] as const;
export const OUTCOME_LABELS: Record<(typeof OUTCOMES)[number] | "signal_resolved", string> = {
  case_opened: "已启动识别程序",
  already_monitored: "已是监测对象",
  dismissed: "核实后排除",
  signal_resolved: "预警条件已消失",
};

const regionCode = z.string().regex(/^\d{2,12}$/, "区划代码应为数字");

export const signalListQuery = z.object({
  region: regionCode.optional(),
  rule: z.string().max(80).optional(),
  category: z.string().max(30).optional(),
  severity: z.enum(["high", "medium", "low"]).optional(),
  status: z.enum(["open", "resolved"]).default("open"),
  /** Only signals whose verification deadline has passed. */
  overdue: z.enum(["true", "false"]).optional(),
  /** Only signals opened at least this many days ago. */
  olderThanDays: z.coerce.number().int().min(0).max(3650).optional(),
  /**
   * opened: newest first (default); severity: high first; deadline: the open verification
   * task's deadline, overdue and soonest first (signals without an open task last).
   */
  sort: z
    .enum(["opened", "severity", "deadline"], {
      message: "sort 应为 opened、severity、deadline 之一",
    })
    .default("opened"),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** The `next` of the previous page (an opaque cursor of the same sort). */
  after: z.string().max(200).optional(),
});
export type SignalListQuery = z.infer<typeof signalListQuery>;

export const verificationView = z.object({
  id: z.number(),
  status: z.enum(["open", "done"]),
  assignedRegion: z.string().nullable(),
  assignedRegionName: z.string().nullable(),
  deadline: z.string(),
  overdue: z.boolean(),
  outcome: z.string().nullable(),
  outcomeReason: z.string().nullable(),
  version: z.number(),
});

export const signalView = z.object({
  id: z.number(),
  householdNumber: z.string(),
  headName: z.string().nullable(),
  villageCode: z.string(),
  villageName: z.string().nullable(),
  townName: z.string().nullable(),
  rule: z.string(),
  name: z.string(),
  code: z.string(),
  category: z.string(),
  severity: z.string(),
  message: z.string(),
  evidence: z.record(z.string(), z.unknown()),
  status: z.string(),
  openedAt: z.string(),
  deadline: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  resolution: z.string().nullable(),
  verification: verificationView.nullable(),
});
export type SignalView = z.infer<typeof signalView>;

export const signalList = z.object({ items: z.array(signalView), next: z.string().nullable() });

export const signalSummary = z.object({
  open: z.number(),
  overdue: z.number(),
  byRule: z.array(
    z.object({
      rule: z.string(),
      name: z.string(),
      category: z.string(),
      severity: z.string(),
      open: z.number(),
    }),
  ),
  byRegion: z.array(
    z.object({
      code: z.string(),
      name: z.string().nullable(),
      open: z.number(),
      overdue: z.number(),
    }),
  ),
});

export const assignInput = z.object({
  version: z.number().int().min(1),
  /** The town or village that verifies. */
  region: z.string().regex(/^(\d{9}|\d{12})$/, "应指派给乡镇（9 位）或行政村（12 位）"),
});

export const outcomeInput = z
  .object({
    version: z.number().int().min(1),
    outcome: z.enum(OUTCOMES, {
      message: "核实结果应为 已启动识别程序、已是监测对象、核实后排除 之一",
    }),
    reason: z.string().trim().max(1000).optional(),
  })
  .refine((v) => v.outcome !== "dismissed" || (v.reason && v.reason.length >= 2), {
    message: "核实后排除须说明理由",
    path: ["reason"],
  });
export type OutcomeInput = z.infer<typeof outcomeInput>;

export const sweepInput = z.object({ region: regionCode.optional() });
export const sweepResult = z.object({
  households: z.number(),
  signals: z.object({ opened: z.number(), resolved: z.number(), open: z.number() }),
  byRule: z.record(z.string(), z.number()),
  ms: z.number(),
});
