import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../test/engines.ts";
import { SYSTEM_ACTOR } from "../modules/auth/index.ts";
import { buildApp } from "./app.ts";
import { BEARER } from "./rate-limit.ts";
import type { Services } from "./services.ts";

describeEachEngine("rate limits", (database) => {
  let app: FastifyInstance;
  let services: Services;
  let time = 1_000_000;
  beforeAll(async () => {
    ({ app, services } = await buildApp({
      database: database(),
      webRoot: "/nonexistent",
      rateLimits: {
        clock: () => time,
        limits: {
          "POST /api/auth/login": { max: 3, windowSeconds: 60, failuresOnly: true },
          "GET /notices/receipt": { max: 2, windowSeconds: 60 },
          [BEARER]: { max: 3, windowSeconds: 60, failuresOnly: true, status: 401 },
        },
      },
    }));
    await app.ready();
    await services.regions.load(SYSTEM_ACTOR, "360726");
  });
  afterAll(async () => {
    await app?.close();
  });

  const login = (password: string) =>
    app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { username: "lianxu", password },
    });

  it("holds up an address after repeated failed logins, then lets it try again", async () => {
    await services.auth.addUser(
      { username: "lianxu", password: "correct-horse-9", role: "county", region: "360726" },
      SYSTEM_ACTOR,
    );
    // Successful logins never count.
    for (let i = 0; i < 5; i++) expect((await login("correct-horse-9")).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) expect((await login("wrong-password")).statusCode).toBe(403);
    const held = await login("correct-horse-9");
    expect(held.statusCode).toBe(429);
    expect(held.headers["retry-after"]).toBe("60");
    expect(held.json().error).toMatchObject({ kind: "too_many_requests", code: "rate_limited" });
    expect(held.json().error.message).toContain("60 秒后再试");
    time += 61_000;
    expect((await login("correct-horse-9")).statusCode).toBe(200);
  });

  it("limits receipt lookups from one address", async () => {
    const lookup = () =>
      app.inject({
        method: "GET",
        url: "/notices/receipt?number=26000000000000",
        headers: { accept: "application/json" },
      });
    expect((await lookup()).statusCode).not.toBe(429);
    expect((await lookup()).statusCode).not.toBe(429);
    expect((await lookup()).statusCode).toBe(429);
  });

  it("holds up an address after repeated refused API tokens, whatever the route", async () => {
    const { token } = await services.tokens.create(SYSTEM_ACTOR, {
      name: "医保",
      feedTypes: ["medical"],
      region: "360726",
    });
    const call = (bearer: string, url = "/api/feeds/medical/loads") =>
      app.inject({
        method: "POST",
        url,
        headers: { authorization: `Bearer ${bearer}`, "content-type": "text/csv" },
        payload: "x",
      });
    // A valid token refused for its route (403) is not guessing: it does not count.
    for (let i = 0; i < 5; i++) expect((await call(token, "/api/households")).statusCode).toBe(403);
    expect((await call("fpt_guess1")).statusCode).toBe(401);
    expect((await call("fpt_guess2", "/api/households")).statusCode).toBe(401);
    expect((await call("fpt_guess3", "/api/tokens")).statusCode).toBe(401);
    const held = await call(token);
    expect(held.statusCode).toBe(429);
    expect(held.json().error.code).toBe("rate_limited");
    time += 61_000;
    expect((await call(token, "/api/households")).statusCode).toBe(403);
  });
});
