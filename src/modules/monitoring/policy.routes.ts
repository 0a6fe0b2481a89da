/**
 * The policy editor's API: the policy in force for a region, and a check of a draft policy
 * file (format, inheritance, every rule's CEL) with each error's rule, part and position.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { chinaDate } from "../../core/dates.ts";
import { isAppError, notFound } from "../../core/errors.ts";
import { actorOf } from "../../server/auth-plugin.ts";
import { type Services, systemClock } from "../../server/services.ts";
import { assertCan, inScope } from "../auth/index.ts";

/** The county whose policy a user without a region of their own sees (the demo county). */
const DEFAULT_REGION = "360726";

const scalar = z.union([z.number(), z.string(), z.boolean()]);

export const policyView = z.object({
  /** The most specific file applied. */
  id: z.string(),
  /** Files applied, national first. */
  chain: z.array(z.string()),
  region: z.string().nullable(),
  year: z.number(),
  parameters: z.record(z.string(), scalar),
  deadlines: z.record(z.string(), z.number()),
  quotas: z.record(z.string(), z.number()),
  measures: z.array(
    z.object({
      code: z.string(),
      name: z.string(),
      category: z.string(),
      development: z.boolean(),
    }),
  ),
  rules: z.array(
    z.object({
      id: z.string(),
      code: z.string().nullable(),
      name: z.string(),
      category: z.string(),
      severity: z.string(),
      when: z.string(),
      message: z.string(),
      evidence: z.record(z.string(), z.string()),
      verify: z.boolean(),
      source: z.string().nullable(),
    }),
  ),
});

export const policyCheckResult = z.union([
  z.object({ ok: z.literal(true) }),
  z.object({
    ok: z.literal(false),
    errors: z.array(
      z.object({ rule: z.string(), part: z.string(), message: z.string(), position: z.number() }),
    ),
  }),
]);

export function registerPolicyRoutes(app: FastifyInstance, services: Services, now?: () => Date) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["policy"];
  const clock = now ?? systemClock();

  r.get(
    "/api/policy",
    {
      schema: {
        tags,
        summary: "本地区现行政策（参数、期限、帮扶措施和监测规则）",
        querystring: z.object({
          region: z
            .string()
            .regex(/^\d{2,12}$/, "区划代码应为数字")
            .optional(),
        }),
        response: { 200: policyView },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      assertCan(actor, "signal.read");
      const region = req.query.region ?? actor.regionCode ?? DEFAULT_REGION;
      // The policy of one's own region or of a region within it; a village reads its county's.
      const related = inScope(actor, region) || actor.regionCode?.startsWith(region);
      if (!related) {
        throw notFound(`区划 ${region} 不存在或不在您的管辖范围内`, { code: "region_not_found" });
      }
      const p = services.policies.forRegion(region, Number(chinaDate(clock()).slice(0, 4)));
      return {
        id: p.id,
        chain: p.chain,
        region: p.region,
        year: p.year,
        parameters: p.parameters,
        deadlines: p.deadlines,
        quotas: p.quotas,
        measures: p.measures,
        rules: p.rules.map((rule) => ({
          id: rule.id,
          code: rule.code ?? null,
          name: rule.name,
          category: rule.category,
          severity: rule.severity,
          when: rule.when,
          message: rule.message,
          evidence: rule.evidence,
          verify: rule.verify,
          source: rule.source ?? null,
        })),
      };
    },
  );

  r.post(
    "/api/policy/check",
    {
      schema: {
        tags,
        summary: "检查政策草稿（格式、继承关系和每条规则的条件）",
        body: z.object({ yaml: z.string().min(1, "政策草稿不能为空").max(1_000_000) }),
        response: { 200: policyCheckResult },
      },
    },
    async (req) => {
      assertCan(actorOf(req), "policy.edit");
      try {
        const result = services.policies.check(req.body.yaml, "草稿");
        if (result.ok) return { ok: true as const };
        return {
          ok: false as const,
          errors: result.errors.map((e) => ({
            rule: e.rule,
            part: e.part,
            message: e.message,
            position: e.position,
          })),
        };
      } catch (e) {
        // The file itself is wrong (YAML, a field, a missing parent): one error, not tied to a rule.
        if (!isAppError(e) || e.kind !== "invalid_data") throw e;
        return {
          ok: false as const,
          errors: [{ rule: "", part: e.field ?? "", message: e.message, position: 0 }],
        };
      }
    },
  );
}
