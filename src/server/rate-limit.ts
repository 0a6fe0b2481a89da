/**
 * Limits on the routes anyone can call without signing in (or while trying to): failed logins,
 * failed API-token authentications, and the public objection form and receipt lookup. Counted per client address in memory (one
 * server process serves a county); past the limit the route answers 429 with a Chinese message
 * and Retry-After until the window ends.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";

export interface RateLimit {
  /** Requests (or failed requests, with failuresOnly) allowed per window and client address. */
  max: number;
  windowSeconds: number;
  /** Count only answers with status ≥ 400 (a failed login), so that people who get in are never held up. */
  failuresOnly?: boolean;
  /** Count only answers with this status (401: a token that was not accepted). */
  status?: number;
}

/**
 * The key of the limit on requests bearing an API token (`Authorization: Bearer`), whatever
 * their route: a token that is refused (401) counts as a failed login does.
 */
export const BEARER = "Authorization: Bearer";

/** By "METHOD route": the route as registered, with its parameters. */
export const RATE_LIMITS: Readonly<Record<string, RateLimit>> = {
  // Guessing passwords: 20 failed logins per 5 minutes from one address (a town office shares one).
  "POST /api/auth/login": { max: 20, windowSeconds: 300, failuresOnly: true },
  // Guessing API tokens: 20 refused tokens per 5 minutes from one address.
  [BEARER]: { max: 20, windowSeconds: 300, failuresOnly: true, status: 401 },
  // The public objection form: 10 objections per 10 minutes from one address.
  "POST /notices/:villageCode/objections": { max: 10, windowSeconds: 600 },
  // Guessing receipt numbers: 30 lookups a minute from one address.
  "GET /notices/receipt": { max: 30, windowSeconds: 60 },
};

export interface RateLimitOptions {
  limits?: Readonly<Record<string, RateLimit>>;
  /** Milliseconds now (default Date.now; tests move it). */
  clock?: () => number;
}

export function registerRateLimits(
  app: FastifyInstance,
  { limits = RATE_LIMITS, clock = Date.now }: RateLimitOptions = {},
): void {
  const windows = new Map<string, { count: number; until: number }>();
  const rulesOf = (req: FastifyRequest) => {
    const found: { rule: RateLimit; key: string }[] = [];
    const name = `${req.method} ${req.routeOptions.url}`;
    const rule = limits[name];
    if (rule) found.push({ rule, key: `${name}|${req.ip}` });
    const bearer = limits[BEARER];
    if (bearer && /^Bearer\s/i.test(req.headers.authorization ?? ""))
      found.push({ rule: bearer, key: `${BEARER}|${req.ip}` });
    return found;
  };

  app.addHook("onRequest", async (req, reply) => {
    const now = clock();
    for (const found of rulesOf(req)) {
      const w = windows.get(found.key);
      if (w && w.until > now && w.count >= found.rule.max) {
        const wait = Math.ceil((w.until - now) / 1000);
        return reply
          .code(429)
          .header("retry-after", String(wait))
          .send({
            error: {
              kind: "too_many_requests",
              code: "rate_limited",
              message: `尝试过于频繁，请 ${wait} 秒后再试`,
            },
          });
      }
    }
  });

  app.addHook("onResponse", async (req, reply) => {
    if (reply.statusCode === 429) return;
    const now = clock();
    for (const found of rulesOf(req)) {
      if (found.rule.failuresOnly && reply.statusCode < 400) continue;
      if (found.rule.status !== undefined && reply.statusCode !== found.rule.status) continue;
      let w = windows.get(found.key);
      if (!w || w.until <= now) {
        w = { count: 0, until: now + found.rule.windowSeconds * 1000 };
        windows.set(found.key, w);
      }
      w.count++;
    }
    if (windows.size > 10_000)
      for (const [key, x] of windows) if (x.until <= now) windows.delete(key);
  });
}
