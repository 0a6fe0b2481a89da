/** API shapes of the duplicate review. */
import { z } from "zod";

export const candidatesQuery = z.object({
  /** A region code below the user's: only pairs inside it */
  region: z
    .string()
    .regex(/^\d{2,12}$/, "区划代码应为数字")
    .optional(),
});

const member = z.object({
  memberId: z.number(),
  name: z.string(),
  /** Masked */
  idNumber: z.string(),
  birthDate: z.string(),
  relationship: z.string().nullable(),
  householdNumber: z.string(),
  villageCode: z.string(),
  villageName: z.string(),
});

export const candidatesView = z.object({
  items: z.array(
    z.object({
      /** same_name_birth: same name and birth date; homophone: names that sound alike */
      kind: z.enum(["same_name_birth", "homophone"]),
      a: member,
      b: member,
    }),
  ),
});

export const dismissInput = z.object({
  /** The two members (member ids) judged to be different people */
  a: z.number().int().positive(),
  b: z.number().int().positive(),
  note: z.string().max(200).nullable().optional(),
});

export const mergeInput = z.object({
  /** The member that stays */
  keep: z.number().int().positive(),
  /** The member removed from its household as a duplicate (重复录入) */
  remove: z.number().int().positive(),
  note: z.string().max(200).nullable().optional(),
});
