import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { actorOf } from "../../server/auth-plugin.ts";
import type { Services } from "../../server/services.ts";
import { candidatesQuery, candidatesView, dismissInput, mergeInput } from "./duplicates.schema.ts";

export function registerDuplicatesRoutes(app: FastifyInstance, services: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["duplicates"];
  const ok = z.object({ ok: z.literal(true) });

  r.get(
    "/api/duplicates",
    {
      schema: {
        tags,
        summary: "疑似重复人员：不同户中姓名（或同音）与出生日期相同的在册成员",
        querystring: candidatesQuery,
        response: { 200: candidatesView },
      },
    },
    async (req) => ({
      items: await services.duplicates.candidates(actorOf(req), req.query.region ?? null),
    }),
  );

  r.post(
    "/api/duplicates/dismiss",
    {
      schema: {
        tags,
        summary: "核实为不同的人：不再提示",
        body: dismissInput,
        response: { 200: ok },
      },
    },
    async (req) => {
      await services.duplicates.dismiss(
        actorOf(req),
        req.body.a,
        req.body.b,
        req.body.note ?? null,
      );
      return { ok: true as const };
    },
  );

  r.post(
    "/api/duplicates/merge",
    {
      schema: {
        tags,
        summary: "合并：把重复的成员按“重复录入”减员，两户历史均保留",
        body: mergeInput,
        response: { 200: ok },
      },
    },
    async (req) => {
      await services.duplicates.merge(
        actorOf(req),
        req.body.keep,
        req.body.remove,
        req.body.note ?? null,
      );
      return { ok: true as const };
    },
  );
}
