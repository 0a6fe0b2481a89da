import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { actorOf } from "../../server/auth-plugin.ts";
import type { Services } from "../../server/services.ts";
import { createdToken, tokenInput, tokenParams, tokenView } from "./tokens.schema.ts";

export function registerTokenRoutes(app: FastifyInstance, services: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["auth"];

  r.get(
    "/api/tokens",
    {
      schema: {
        tags,
        summary: "本辖区的接口令牌（部门机器上传数据用；不含令牌本身）",
        response: { 200: z.object({ items: z.array(tokenView) }) },
      },
    },
    async (req) => ({ items: await services.tokens.list(actorOf(req)) }),
  );

  r.post(
    "/api/tokens",
    {
      schema: {
        tags,
        summary: "签发接口令牌：完整令牌只在此次返回，请立即交给部门保存",
        body: tokenInput,
        response: { 200: createdToken },
      },
    },
    async (req) => services.tokens.create(actorOf(req), req.body),
  );

  r.post(
    "/api/tokens/:id/revoke",
    {
      schema: {
        tags,
        summary: "吊销接口令牌（立即失效）",
        params: tokenParams,
        response: { 200: tokenView },
      },
    },
    async (req) => services.tokens.revoke(actorOf(req), req.params.id),
  );
}
