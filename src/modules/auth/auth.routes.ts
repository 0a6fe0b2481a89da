import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { actorOf, SESSION_COOKIE } from "../../server/auth-plugin.ts";
import type { Services } from "../../server/services.ts";
import { assertCan } from "./auth.policy.ts";
import { loginInput, userInput, userView } from "./auth.schema.ts";
import { registerTokenRoutes } from "./tokens.routes.ts";

export function registerAuthRoutes(app: FastifyInstance, services: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  registerTokenRoutes(app, services);

  r.post(
    "/api/auth/login",
    { schema: { tags: ["auth"], summary: "登录", body: loginInput, response: { 200: userView } } },
    async (req, reply) => {
      const { token, actor, expiresAt } = await services.auth.login(
        req.body.username,
        req.body.password,
      );
      reply.setCookie(SESSION_COOKIE, token, {
        path: "/",
        httpOnly: true,
        sameSite: "strict",
        secure: req.protocol === "https",
        expires: new Date(expiresAt),
      });
      return services.auth.view(actor);
    },
  );

  r.post(
    "/api/auth/logout",
    { schema: { tags: ["auth"], summary: "退出登录" } },
    async (req, reply) => {
      await services.auth.logout(req.cookies[SESSION_COOKIE]);
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return { ok: true };
    },
  );

  r.get(
    "/api/auth/me",
    { schema: { tags: ["auth"], summary: "当前用户", response: { 200: userView } } },
    async (req) => services.auth.view(actorOf(req)),
  );

  r.post(
    "/api/users",
    {
      schema: {
        tags: ["auth"],
        summary: "新建用户",
        body: userInput,
        response: {
          200: z.object({
            id: z.number(),
            username: z.string(),
            role: z.string(),
            regionCode: z.string().nullable(),
          }),
        },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      assertCan(actor, "user.manage");
      return services.auth.addUser(req.body, actor);
    },
  );
}
