/** Reads the session cookie on every request and attaches the actor (or null). */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AppError } from "../core/errors.ts";
import type { Actor } from "../modules/auth/index.ts";
import type { Services } from "./services.ts";

export const SESSION_COOKIE = "fangpin_session";

declare module "fastify" {
  interface FastifyRequest {
    actor: Actor | null;
  }
}

export function registerAuth(app: FastifyInstance, services: Services) {
  app.decorateRequest("actor", null);
  app.addHook("onRequest", async (req) => {
    if (!req.url.startsWith("/api/")) return;
    req.actor = await services.auth.authenticate(req.cookies[SESSION_COOKIE]);
  });
}

/** The signed-in actor; a request without a valid session gets 401. */
export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw new AppError("not_allowed", "请先登录", { code: "not_signed_in" });
  return req.actor;
}
