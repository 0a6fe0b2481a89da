/**
 * API tokens over HTTP: a county administrator issues a token for a department machine (shown
 * once, stored hashed); the token uploads the feed types and region it names and nothing else —
 * every other route answers 403, a wrong, revoked or expired token 401; an upload by token gives
 * the same load report as the web upload, and the feed's screening signals appear at once.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { sampleHouseholds } from "../../../test/feed-samples.ts";
import { buildApp, type RouteInfo } from "../../server/app.ts";
import type { Services } from "../../server/services.ts";
import { SYSTEM_ACTOR } from "./index.ts";

const PASSWORD = "correct horse 42";
const sample = (type: string) =>
  readFileSync(new URL(`../../../docs/formats/samples/${type}.csv`, import.meta.url));
const DAY = 86_400_000;

describeEachEngine("API tokens", (database) => {
  let app: FastifyInstance;
  let services: Services;
  let routes: RouteInfo[];
  let offset = 0;
  const cookies: Record<string, string> = {};
  let medical: { id: number; token: string; prefix: string };

  beforeAll(async () => {
    const built = await buildApp({
      database: database(),
      webRoot: "/nonexistent",
      now: () => new Date(Date.now() + offset),
    });
    ({ app, services, routes } = built);
    await services.regions.load(SYSTEM_ACTOR, "360726");
    await services.registry.bulkCreate(SYSTEM_ACTOR, sampleHouseholds(), { source: "demo" });
    for (const [username, role, region] of [
      ["xian", "county", "360726"],
      ["yibao", "department", "360726"],
      ["kongtian", "town", "360726101"],
    ] as const) {
      await services.auth.addUser({ username, password: PASSWORD, role, region }, SYSTEM_ACTOR);
      const res = await app.inject({
        method: "POST",
        url: "/api/auth/login",
        payload: { username, password: PASSWORD },
      });
      cookies[username] =
        `fangpin_session=${res.cookies.find((c) => c.name === "fangpin_session")!.value}`;
    }
  });
  afterAll(async () => {
    await app?.close();
  });

  const create = (user: string, payload: Record<string, unknown>) =>
    app.inject({
      method: "POST",
      url: "/api/tokens",
      headers: { cookie: cookies[user]! },
      payload,
    });
  const byToken = (token: string, type: string, body: Buffer, query = "") =>
    app.inject({
      method: "POST",
      url: `/api/feeds/${type}/loads?fileName=${encodeURIComponent(`${type}-10月.csv`)}${query}`,
      headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
      payload: body,
    });
  const auditOf = (action: string) =>
    database()
      .db.selectFrom("audit_log")
      .selectAll()
      .where("action", "=", action)
      .orderBy("id")
      .execute();

  it("issues a token once, keeps only its hash, and lists it without the secret", async () => {
    const res = await create("xian", { name: "医保局月报", feedTypes: ["medical"] });
    expect(res.statusCode, res.body).toBe(200);
    const t = res.json();
    expect(t).toMatchObject({
      name: "医保局月报",
      department: "县医疗保障局",
      feedTypes: ["medical"],
      regionCode: "360726",
      regionName: "安远县",
      createdBy: "xian",
      status: "active",
      lastUsedAt: null,
    });
    expect(t.token).toMatch(/^fpt_[\w-]{32}$/);
    expect(t.token.startsWith(t.prefix)).toBe(true);
    expect(t.prefix).toHaveLength(12);
    medical = { id: t.id, token: t.token, prefix: t.prefix };

    const row = await database()
      .db.selectFrom("api_tokens")
      .selectAll()
      .where("id", "=", t.id)
      .executeTakeFirstOrThrow();
    expect(Object.values(row).map(String)).not.toContain(t.token);
    expect(row.token_hash).toBe(createHash("sha256").update(t.token).digest("base64url"));

    const list = await app.inject({ url: "/api/tokens", headers: { cookie: cookies.xian! } });
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toEqual([expect.objectContaining({ id: t.id, prefix: t.prefix })]);
    expect(list.body).not.toContain(t.token);
    expect(list.body).not.toContain(row.token_hash);
    expect(await auditOf("token.create")).toEqual([
      expect.objectContaining({ actor_name: "xian", target_id: String(t.id) }),
    ]);
  });

  it("lets only county administrators issue tokens, within their region, for known feeds", async () => {
    expect((await create("kongtian", { name: "x", feedTypes: ["medical"] })).statusCode).toBe(403);
    expect((await create("yibao", { name: "x", feedTypes: ["medical"] })).statusCode).toBe(403);
    const outside = await create("xian", { name: "x", feedTypes: ["medical"], region: "360781" });
    expect(outside.statusCode).toBe(403);
    const unknown = await create("xian", { name: "x", feedTypes: ["medical", "tax"] });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({ code: "feed_type_unknown", field: "feedTypes.1" });
    const past = await create("xian", {
      name: "x",
      feedTypes: ["medical"],
      expiresOn: "2020-01-01",
    });
    expect(past.statusCode).toBe(400);
    expect(past.json().error.field).toBe("expiresOn");
    expect((await create("xian", { name: "", feedTypes: ["medical"] })).statusCode).toBe(400);
    expect(
      (await app.inject({ url: "/api/tokens", headers: { cookie: cookies.kongtian! } })).statusCode,
    ).toBe(403);
  });

  it("uploads its feed type and gives the same load report as the web upload", async () => {
    const web = await app.inject({
      method: "POST",
      url: `/api/feeds/medical/loads?fileName=${encodeURIComponent("medical-10月.csv")}&dryRun=true`,
      headers: { cookie: cookies.yibao!, "content-type": "text/csv" },
      payload: sample("medical"),
    });
    expect(web.statusCode, web.body).toBe(200);
    const res = await byToken(medical.token, "medical", sample("medical"));
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({
      committed: true,
      rows: 3,
      matched: 2,
      unmatched: 1,
      facts: { created: 2, unchanged: 0, superseded: 0 },
      errors: [],
    });
    const comparable = ({ loadId, dryRun, committed, signals, ...rest }: Record<string, unknown>) =>
      rest;
    expect(comparable(report)).toEqual(comparable(web.json()));

    const load = await app.inject({
      url: `/api/feed-loads/${report.loadId}`,
      headers: { cookie: cookies.xian! },
    });
    expect(load.json()).toMatchObject({
      actorName: `token:${medical.prefix}`,
      regionCode: "360726",
    });
    const [use] = await auditOf("token.use");
    expect(use).toMatchObject({
      actor_name: `token:${medical.prefix}`,
      target_id: String(medical.id),
    });
    expect(JSON.parse(use!.detail!)).toMatchObject({
      route: "POST /api/feeds/:type/loads",
      feedType: "medical",
    });
    const [listed] = (
      await app.inject({ url: "/api/tokens", headers: { cookie: cookies.xian! } })
    ).json().items;
    expect(listed.lastUsedAt).not.toBeNull();
  });

  it("shows the feed's screening signal at once, without a sweep", async () => {
    // The upload above matched 王金华 (住院自付 3.8 万元，重大疾病) in 360726100201S001.
    const signals = await app.inject({
      url: "/api/households/360726100201S001/signals",
      headers: { cookie: cookies.xian! },
    });
    expect(signals.statusCode).toBe(200);
    const rules = signals.json().items.map((s: { rule: string }) => s.rule);
    expect(rules).toContain("feed.serious_illness");
    expect(rules).toContain("feed.medical_out_of_pocket_stay");
    const serious = signals
      .json()
      .items.find((s: { rule: string }) => s.rule === "feed.serious_illness");
    expect(serious.evidence.sources).toBe("medical-10月.csv 第 3 行");
    const sweeps = await database().db.selectFrom("sweeps").select("id").execute();
    expect(sweeps).toEqual([]);
  });

  it("refuses other feed types and every other route, and audits the refusal", async () => {
    const death = await byToken(medical.token, "death", sample("death"));
    expect(death.statusCode).toBe(403);
    expect(death.json().error.code).toBe("token_feed_not_allowed");
    const bodies = { version: 1, changes: {}, name: "x", feedTypes: ["medical"] };
    let checked = 0;
    for (const route of routes) {
      if (`${route.method} ${route.url}` === "POST /api/feeds/:type/loads") continue;
      const url = route.url.replace(/:(\w+)/g, (_, name: string) =>
        name === "type" ? "medical" : name === "householdNumber" ? "360726100201S001" : "1",
      );
      const res = await app.inject({
        method: route.method as "GET",
        url,
        headers: { authorization: `Bearer ${medical.token}` },
        ...(route.method === "GET" ? {} : { payload: bodies }),
      });
      expect(res.statusCode, `${route.method} ${url} ${res.body}`).toBe(403);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
    const denied = await auditOf("token.denied");
    expect(denied.length).toBe(checked + 1);
    // A token is not a session: a cookie alongside it does not widen it.
    const both = await app.inject({
      url: "/api/households",
      headers: { authorization: `Bearer ${medical.token}`, cookie: cookies.xian! },
    });
    expect(both.statusCode).toBe(403);
  });

  it("answers 401 to a wrong token and audits the attempt", async () => {
    const last = medical.token.at(-1) === "x" ? "y" : "x";
    for (const wrong of [`${medical.token.slice(0, -1)}${last}`, "fpt_nonsense", "not-a-token"]) {
      const res = await byToken(wrong, "medical", sample("medical"));
      expect(res.statusCode, wrong).toBe(401);
      expect(res.json().error.code).toBe("token_invalid");
      expect(res.headers["www-authenticate"]).toContain("Bearer");
    }
    const failed = await auditOf("token.auth_failed");
    expect(failed).toHaveLength(3);
    expect(failed[0]!.detail).not.toContain(medical.token);
  });

  it("refuses an expired token", async () => {
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const res = await create("xian", {
      name: "今日到期",
      feedTypes: ["medical"],
      expiresOn: today,
    });
    expect(res.statusCode, res.body).toBe(200);
    const { token, id } = res.json();
    expect((await byToken(token, "medical", sample("medical"), "&dryRun=true")).statusCode).toBe(
      200,
    );
    offset = 2 * DAY;
    try {
      const late = await byToken(token, "medical", sample("medical"), "&dryRun=true");
      expect(late.statusCode).toBe(401);
      expect(late.json().error.code).toBe("token_expired");
      const list = await app.inject({ url: "/api/tokens", headers: { cookie: cookies.xian! } });
      expect(list.json().items.find((t: { id: number }) => t.id === id).status).toBe("expired");
    } finally {
      offset = 0;
    }
  });

  it("refuses a revoked token at once", async () => {
    const revoked = await app.inject({
      method: "POST",
      url: `/api/tokens/${medical.id}/revoke`,
      headers: { cookie: cookies.xian! },
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json()).toMatchObject({ status: "revoked", revokedBy: "xian" });
    const res = await byToken(medical.token, "medical", sample("medical"));
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe("token_revoked");
    expect(await auditOf("token.revoke")).toHaveLength(1);
    // A town user cannot see or revoke the county's tokens.
    const town = await app.inject({
      method: "POST",
      url: `/api/tokens/${medical.id}/revoke`,
      headers: { cookie: cookies.kongtian! },
    });
    expect(town.statusCode).toBe(403);
  });

  it("matches a token's upload within its region only", async () => {
    // A token for 孔田镇 loads the medical file: 王金华 lives in another town, so is unmatched.
    const res = await create("xian", { name: "孔田", feedTypes: ["medical"], region: "360726101" });
    expect(res.statusCode, res.body).toBe(200);
    const town = await byToken(res.json().token, "medical", sample("medical"), "&dryRun=true");
    expect(town.statusCode, town.body).toBe(200);
    expect(town.json()).toMatchObject({ rows: 3, matched: 0, unmatched: 3 });
  });
});
