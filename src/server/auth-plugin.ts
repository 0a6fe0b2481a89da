/**
 * Reads the session cookie on every request and attaches the actor (or null). A request with
 * `Authorization: Bearer <token>` is a department machine: the token must be valid (else 401)
 * and the route one a token may call, the upload of a feed of its types (else 403).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../core/errors.ts";
import { type Actor, assertFeedAllowed } from "../modules/auth/index.ts";
import { toErrorBody } from "./errors.ts";
import type { Services } from "./services.ts";

export const SESSION_COOKIE = "fangpin_session";

/** The routes an API token may call ("METHOD route as registered"). */
export const TOKEN_ROUTES: ReadonlySet<string> = new Set(["POST /api/feeds/:type/loads"]);

declare module "fastify" {
  interface FastifyRequest {
    actor: Actor | null;
  }
}

/** The token of an `Authorization: Bearer …` header, if there is one. */
export function bearerOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  const m = typeof h === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m?.[1];
}

function refuse(reply: FastifyReply, status: number, e: AppError) {
  if (status === 401) reply.header("www-authenticate", 'Bearer realm="fangpin"');
  return reply.code(status).send(toErrorBody(e));
}

export function registerAuth(app: FastifyInstance, services: Services) {
  app.decorateRequest("actor", null);
  app.addHook("onRequest", async (req, reply) => {
    const bearer = bearerOf(req);
    if (bearer !== undefined) return tokenRequest(req, reply, bearer);
    if (!req.url.startsWith("/api/")) return;
    req.actor = await services.auth.authenticate(req.cookies[SESSION_COOKIE]);
  });

  async function tokenRequest(req: FastifyRequest, reply: FastifyReply, bearer: string) {
    const auth = await services.tokens.authenticate(bearer, req.ip);
    if ("failure" in auth)
      return refuse(reply, 401, new AppError("not_allowed", auth.message, { code: auth.failure }));
    const route = req.routeOptions.url ?? req.url.split("?")[0]!;
    const feedType = (req.params as Record<string, string> | undefined)?.type;
    const use = { method: req.method, route, ip: req.ip, feedType };
    if (!TOKEN_ROUTES.has(`${req.method} ${route}`)) {
      await services.tokens.recordUse(auth.actor, { ...use, allowed: false });
      return refuse(
        reply,
        403,
        new AppError(
          "not_allowed",
          "API 令牌只能用于上传部门数据（POST /api/feeds/{类型}/loads）",
          {
            code: "token_route_not_allowed",
          },
        ),
      );
    }
    try {
      if (feedType !== undefined) assertFeedAllowed(auth.actor, feedType);
    } catch (e) {
      await services.tokens.recordUse(auth.actor, { ...use, allowed: false });
      return refuse(reply, 403, e as AppError);
    }
    await services.tokens.recordUse(auth.actor, { ...use, allowed: true });
    req.actor = auth.actor;
  }
}

/** The signed-in actor; a request without a valid session gets 401. */
export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw new AppError("not_allowed", "请先登录", { code: "not_signed_in" });
  return req.actor;
}
