import { z } from "zod";

export const LEVELS = ["province", "city", "county", "town", "village"] as const;
export type Level = (typeof LEVELS)[number];

/** Statistics-bureau codes nest by length: 2, 4, 6, 9, 12 digits. */
export const CODE_LENGTHS = [2, 4, 6, 9, 12] as const;

export function levelOf(code: string): Level | undefined {
  const i = CODE_LENGTHS.indexOf(code.length as (typeof CODE_LENGTHS)[number]);
  return i < 0 ? undefined : LEVELS[i];
}

/** Codes of the ancestors of a code, root first (`360726100201` → 36, 3607, 360726, 360726100). */
export function ancestorCodes(code: string): string[] {
  return CODE_LENGTHS.filter((n) => n < code.length).map((n) => code.slice(0, n));
}

export const regionCode = z
  .string()
  .regex(/^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$/, "区划代码应为 2、4、6、9 或 12 位数字");

export const regionRef = z.object({ code: z.string(), name: z.string() });

export const regionView = z.object({
  code: z.string(),
  name: z.string(),
  level: z.enum(LEVELS),
  parent: z.string().nullable(),
  children: z.array(regionRef),
});
export type RegionView = z.infer<typeof regionView>;

export const regionSearchQuery = z.object({
  /** Part of a region's name (镇, 村 …) */
  q: z.string().trim().min(1, "请输入要查找的区划名称").max(40),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export interface RegionRow {
  code: string;
  name: string;
  level: number;
  parent_code: string | null;
}
