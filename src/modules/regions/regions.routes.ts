import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { actorOf } from "../../server/auth-plugin.ts";
import type { Services } from "../../server/services.ts";
import { LEVELS, regionCode, regionSearchQuery, regionView } from "./regions.schema.ts";

const codeParams = z.object({ code: regionCode });

export function registerRegionRoutes(app: FastifyInstance, services: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    "/api/regions",
    {
      schema: {
        tags: ["regions"],
        summary: "按名称查找区划（限本人辖区）",
        querystring: regionSearchQuery,
        response: {
          200: z.object({
            items: z.array(
              z.object({
                code: z.string(),
                name: z.string(),
                level: z.enum(LEVELS),
                fullName: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({
      items: await services.regions.search(actorOf(req), req.query.q, req.query.limit),
    }),
  );

  r.get(
    "/api/regions/:code",
    {
      schema: {
        tags: ["regions"],
        summary: "区划及其下级",
        params: codeParams,
        response: { 200: regionView },
      },
    },
    async (req) => services.regions.show(actorOf(req), req.params.code),
  );

  r.get(
    "/api/regions/:code/path",
    {
      schema: {
        tags: ["regions"],
        summary: "区划的上级路径（从省到本级）",
        params: codeParams,
        response: {
          200: z.object({
            items: z.array(z.object({ code: z.string(), name: z.string(), level: z.enum(LEVELS) })),
          }),
        },
      },
    },
    async (req) => ({ items: await services.regions.path(actorOf(req), req.params.code) }),
  );
}
