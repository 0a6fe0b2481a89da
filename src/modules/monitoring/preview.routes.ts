/** POST /api/policy/preview — the what-if preview of a draft policy (see preview.service.ts). */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { actorOf } from "../../server/auth-plugin.ts";
import type { Services } from "../../server/services.ts";

const scalar = z.union([z.number(), z.string(), z.boolean()]);
const count = z.number().int();
const regionCount = z.object({
  code: z.string(),
  name: z.string().nullable(),
  gained: count,
  lost: count,
});
const household = z.object({
  householdNumber: z.string(),
  headName: z.string().nullable(),
  villageName: z.string().nullable(),
  /** Rules the household gains (or loses). */
  rules: z.array(z.string()),
});

export const previewInput = z
  .object({
    /** Region to preview (default: the user's own); must lie within it. */
    region: z
      .string()
      .regex(/^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$/, "区划代码应为 2、4、6、9 或 12 位数字")
      .optional(),
    /** Changed parameters of the policy in force (`{"monitoringLine": 8000}`). */
    parameters: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), scalar).optional(),
    /** Changed or added rules; a rule in force needs only its id and what changes. */
    rules: z
      .array(z.object({ id: z.string().min(1).max(100) }).catchall(z.unknown()))
      .max(1000)
      .optional(),
    /** A whole draft policy file (YAML), instead of or before the changes above. */
    yaml: z.string().min(1).max(1_000_000).optional(),
    /** Households listed on each side (default 100, at most 1,000). */
    limit: z.number().int().min(0).max(1000).optional(),
  })
  .refine((b) => b.parameters || b.rules || b.yaml, {
    message: "请给出草稿：parameters、rules 或 yaml",
  });

export const previewResult = z.object({
  region: z.string(),
  /** Households in the preview. */
  households: count,
  rules: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      before: count,
      after: count,
      gained: count,
      lost: count,
    }),
  ),
  /** Households flagged by any rule, before and after. */
  total: z.object({ before: count, after: count, gained: count, lost: count }),
  /** Households gaining (losing) at least one rule, by town (by village within a town). */
  byRegion: z.array(regionCount),
  byVillage: z.array(regionCount),
  gainedHouseholds: count,
  lostHouseholds: count,
  /** The first households gaining (losing) a rule, by village and id. */
  gained: z.array(household),
  lost: z.array(household),
  /** Time taken on the server. */
  ms: z.number(),
});

export function registerPreviewRoutes(app: FastifyInstance, services: Services) {
  app.withTypeProvider<ZodTypeProvider>().post(
    "/api/policy/preview",
    {
      schema: {
        tags: ["policy"],
        summary: "政策草稿预览：按规则和乡镇统计新增、减少的监测户，并列出前若干户",
        body: previewInput,
        response: { 200: previewResult },
      },
    },
    async (req) => services.monitoring.preview(actorOf(req), req.body),
  );
}
