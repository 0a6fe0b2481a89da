/** API shapes of department data feeds. */
import { z } from "zod";

export const feedTypeParams = z.object({
  /** Feed type as in the policy (`medical`, `civil_affairs` …) */
  type: z.string().regex(/^[a-z][a-z0-9_]*$/, "数据类型只能用小写字母、数字和下划线"),
});

export const loadParams = z.object({
  /** Feed load number */
  id: z.coerce.number().int().positive(),
});

export const householdParams = z.object({
  /** 户编号 */
  householdNumber: z.string().min(1).max(40),
});

export const uploadQuery = z.object({
  /** File name recorded as the facts' source (else the X-File-Name header) */
  fileName: z.string().min(1).max(200).optional(),
  /** "true": check and match only, write nothing */
  dryRun: z.enum(["true", "false"]).optional(),
});

export const feedProblem = z.object({
  /** Row as Excel shows it (CSV: the record number) */
  row: z.number(),
  /** Column header as written in the file */
  column: z.string(),
  /** Stable problem code (docs/formats/feeds.md) */
  code: z.string(),
  /** What is wrong, in Chinese */
  message: z.string(),
});

export const factCounts = z.object({
  created: z.number(),
  unchanged: z.number(),
  superseded: z.number(),
});

export const loadReport = z.object({
  /** The stored load; null when nothing was written (refused, dry run, or no change) */
  loadId: z.number().nullable(),
  feedType: z.string(),
  file: z.string(),
  fileHash: z.string(),
  format: z.enum(["xlsx", "csv"]),
  dryRun: z.boolean(),
  committed: z.boolean(),
  headerRow: z.number(),
  rows: z.number(),
  matched: z.number(),
  unmatched: z.number(),
  ambiguous: z.number(),
  rejected: z.number(),
  facts: factCounts,
  errors: z.array(feedProblem),
  /** After a committed load: the households whose facts changed, re-evaluated at once. */
  signals: z
    .object({
      households: z.number(),
      method: z.enum(["households", "sweep"]),
      done: z.boolean(),
    })
    .optional(),
});

export const feedDefinitionView = z.object({
  type: z.string(),
  name: z.string(),
  department: z.string(),
  fact: z.string(),
  columns: z.array(
    z.object({
      key: z.string(),
      header: z.string(),
      kind: z.string(),
      required: z.boolean(),
    }),
  ),
});

export const loadView = z.object({
  id: z.number(),
  feedType: z.string(),
  fileName: z.string(),
  fileHash: z.string(),
  loadedAt: z.string(),
  actorName: z.string(),
  regionCode: z.string().nullable(),
  rows: z.number(),
  matched: z.number(),
  unmatched: z.number(),
  ambiguous: z.number(),
  facts: factCounts,
  /** Set when the load was withdrawn (撤销导入). */
  withdrawn: z.object({ at: z.string(), by: z.string(), reason: z.string() }).nullable(),
});

export const withdrawBody = z.object({
  /** Why the load is withdrawn (撤销原因), kept with it and in the audit log. */
  reason: z.string().max(200),
});

export const withdrawalView = z.object({
  loadId: z.number(),
  feedType: z.string(),
  /** Facts of the load that ended. */
  ended: z.number(),
  /** Facts it had superseded, current again. */
  restored: z.number(),
  /** Households whose facts changed and were re-evaluated. */
  households: z.number(),
  signalsRefreshed: z.boolean(),
});

export const factView = z.object({
  id: z.number(),
  feedType: z.string(),
  feedName: z.string(),
  memberName: z.string(),
  effectiveFrom: z.string(),
  effectiveTo: z.string().nullable(),
  period: z.string().nullable(),
  values: z.array(
    z.object({
      key: z.string(),
      label: z.string(),
      value: z.union([z.string(), z.number()]).nullable(),
    }),
  ),
  /** Where the fact came from: file, content hash, row, load */
  source: z.object({ file: z.string(), hash: z.string(), row: z.number(), loadId: z.number() }),
  /** false once a corrected file superseded it */
  current: z.boolean(),
  supersededAt: z.string().nullable(),
  /** The fact's load was withdrawn (撤销导入): it ended with it. */
  withdrawn: z.boolean(),
});

/** 比对报告 of one load within the reader's region */
export const comparisonReportView = z.object({
  loadId: z.number(),
  feedType: z.string(),
  feedName: z.string(),
  fileName: z.string(),
  loadedAt: z.string(),
  /** Per town: rows matched, anomalies raised */
  towns: z.array(
    z.object({ code: z.string(), name: z.string(), matched: z.number(), anomalies: z.number() }),
  ),
  matched: z.array(
    z.object({
      row: z.number(),
      householdNumber: z.string(),
      memberName: z.string(),
      villageCode: z.string(),
      villageName: z.string(),
      effectiveFrom: z.string(),
      current: z.boolean(),
    }),
  ),
  /** Rows that matched nobody or not surely; ID numbers masked */
  unmatched: z.array(
    z.object({
      row: z.number(),
      outcome: z.enum(["unmatched", "ambiguous"]),
      reason: z.string(),
      idNumber: z.string(),
      name: z.string().nullable(),
    }),
  ),
  /** Open signals of rules that read this feed, with the facts' source rows */
  anomalies: z.array(
    z.object({
      householdNumber: z.string(),
      villageCode: z.string(),
      villageName: z.string(),
      ruleId: z.string(),
      ruleName: z.string(),
      severity: z.string(),
      sources: z.string().nullable(),
    }),
  ),
});
