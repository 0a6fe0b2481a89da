import { z } from "zod";
import { ISO_DATE } from "../../core/dates.ts";

/** 新建接口令牌 — what an administrator names when issuing a token to a department machine. */
export const tokenInput = z.object({
  /** 令牌名称, e.g. "县医保局月报上传" */
  name: z.string().trim().min(1, "请填写令牌名称").max(60, "令牌名称最多 60 字"),
  /** 所属部门; default: the department of the feed types in the policy. */
  department: z.string().trim().max(60, "部门名称最多 60 字").optional(),
  /** 可上传的数据类型 */
  feedTypes: z
    .array(z.string().trim().min(1).max(40))
    .min(1, "请至少选择一种数据类型")
    .max(20, "数据类型最多 20 种"),
  /** 数据范围（区划）; default: the administrator's own region. */
  region: z
    .string()
    .regex(/^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$/, "区划代码应为 2、4、6、9 或 12 位数字")
    .optional(),
  /** 有效期至 (inclusive, China time); default: one year from today. */
  expiresOn: z.string().regex(ISO_DATE, "有效期应为 YYYY-MM-DD 格式的日期").optional(),
});
export type TokenInput = z.infer<typeof tokenInput>;

export const tokenView = z.object({
  id: z.number(),
  name: z.string(),
  department: z.string(),
  feedTypes: z.array(z.string()),
  regionCode: z.string(),
  regionName: z.string().nullable(),
  /** The first characters of the token, to tell it apart (the rest is never shown again). */
  prefix: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  lastUsedAt: z.string().nullable(),
  lastUsedIp: z.string().nullable(),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
  status: z.enum(["active", "expired", "revoked"]),
});
export type TokenView = z.infer<typeof tokenView>;

/** The answer to a creation: the whole token, shown this once only. */
export const createdToken = tokenView.extend({ token: z.string() });

export const tokenParams = z.object({ id: z.coerce.number().int().positive() });
