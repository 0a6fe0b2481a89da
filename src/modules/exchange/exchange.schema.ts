/** API shapes of imports and exports. */
import { z } from "zod";

const counts = z.object({
  created: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  rejected: z.number(),
});

/** One problem of an imported file, where it is in Excel. */
export const rowProblem = z.object({
  /** Excel row number */
  row: z.number(),
  /** Column header as written in the file */
  column: z.string(),
  /** Stable problem code (docs/formats/national-import.md) */
  code: z.string(),
  /** What is wrong and what to fix, in Chinese */
  message: z.string(),
  /** 户编号 of the row */
  household: z.string(),
  /** `error` rejects the household; `warning` does not */
  severity: z.enum(["error", "warning"]),
  /** 乡 as the household's rows name it ("" when unknown) */
  town: z.string(),
});

export const importReport = z.object({
  file: z.string(),
  format: z.enum(["xlsx", "csv"]),
  dryRun: z.boolean(),
  atomic: z.enum(["household", "all"]),
  /** Whether the changes were written */
  committed: z.boolean(),
  headerRow: z.number(),
  rows: z.number(),
  households: counts,
  members: counts,
  errors: z.array(rowProblem),
  /** Headers of columns kept as extra attributes */
  extraColumns: z.array(z.string()),
  seconds: z.number(),
});

export const importJobView = z.object({
  id: z.string(),
  fileName: z.string(),
  status: z.enum(["running", "done", "failed"]),
  /** A dry run writes nothing; confirm applies the same file */
  dryRun: z.boolean(),
  atomic: z.enum(["household", "all"]),
  confirmed: z.boolean(),
  progress: z.object({
    phase: z.enum(["reading", "checking", "merging", "done"]),
    /** 0–1 */
    fraction: z.number(),
    rows: z.number(),
  }),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  report: importReport.nullable(),
  error: z
    .object({ kind: z.string(), code: z.string().nullable(), message: z.string() })
    .nullable(),
});

export const importQuery = z.object({
  /** true (default): check only; confirm later */
  dryRun: z.enum(["true", "false"]).default("true"),
  atomic: z.enum(["household", "all"]).default("household"),
  /** 6-digit county the names in the file belong to */
  county: z
    .string()
    .regex(/^\d{6}$/, "县级区划代码应为 6 位数字")
    .optional(),
  /** The uploaded file's name (also accepted as the X-File-Name header, URI-encoded) */
  fileName: z.string().trim().max(200).optional(),
});

export const jobParams = z.object({ id: z.string().uuid("导入任务编号无效") });

export const exportQuery = z.object({
  /** Region code (village, town, county …) */
  region: z
    .string()
    .regex(/^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$/, "区划代码应为 2、4、6、9 或 12 位数字"),
  format: z.enum(["xlsx", "csv"]).default("xlsx"),
});

/** Content types an upload may come as (the body is the file itself). */
export const UPLOAD_TYPES = [
  "application/octet-stream",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.ms-excel",
  "text/csv",
];

export const historyQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** The `next` of the previous page: entries older than this one */
  before: z.coerce.number().int().positive().optional(),
});

/** An import that wrote to the registry (导入记录) */
export const importHistoryItem = z.object({
  id: z.number(),
  at: z.string(),
  /** Who imported (user name) */
  actor: z.string(),
  /** The name shown for them (姓名或单位); null when the user no longer exists */
  actorName: z.string().nullable(),
  /** The importer's region; null for a nationwide user */
  region: z.string().nullable(),
  file: z.string().nullable(),
  format: z.enum(["xlsx", "csv"]).nullable(),
  households: counts,
  members: counts,
  /** Problems found in the file (errors and warnings); null for imports recorded before the history kept them */
  problems: z.number().nullable(),
});

export const importHistoryView = z.object({
  items: z.array(importHistoryItem),
  next: z.number().nullable(),
});
