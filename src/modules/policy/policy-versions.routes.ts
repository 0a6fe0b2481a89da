import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { actorOf } from "../../server/auth-plugin.ts";
import type { Services } from "../../server/services.ts";

const versionView = z.object({
  id: z.number(),
  policyId: z.string(),
  regionCode: z.string().nullable(),
  year: z.number(),
  version: z.number(),
  status: z.enum(["draft", "published"]),
  content: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
  publishedAt: z.string().nullable(),
  publishedBy: z.string().nullable(),
});

export function registerPolicyVersionRoutes(app: FastifyInstance, services: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["policy"];

  r.get(
    "/api/policy/versions",
    {
      schema: {
        tags,
        summary: "政策版本（草稿与已发布）",
        response: { 200: z.object({ items: z.array(versionView) }) },
      },
    },
    async (req) => ({ items: await services.policyVersions.list(actorOf(req)) }),
  );

  r.post(
    "/api/policy/drafts",
    {
      schema: {
        tags,
        summary: "保存政策草稿（YAML，继承现行政策）",
        body: z.object({ yaml: z.string().min(1).max(500_000) }),
        response: { 200: versionView },
      },
    },
    async (req) => services.policyVersions.saveDraft(actorOf(req), req.body.yaml),
  );

  r.post(
    "/api/policy/drafts/:id/publish",
    {
      schema: {
        tags,
        summary: "发布政策草稿（发布后不可修改），并按新政策重新筛查",
        params: z.object({ id: z.coerce.number().int().positive() }),
        response: {
          200: z.object({
            version: versionView,
            sweep: z.object({
              households: z.number(),
              signals: z.object({ opened: z.number(), resolved: z.number(), open: z.number() }),
            }),
          }),
        },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const version = await services.policyVersions.publish(actor, req.params.id);
      const sweep = await services.monitoring.sweep(actor, {
        region: version.regionCode ?? undefined,
      });
      return { version, sweep: { households: sweep.households, signals: sweep.signals } };
    },
  );
}
