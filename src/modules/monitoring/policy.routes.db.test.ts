import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { VILLAGE_A } from "../../../test/factories.ts";
import { buildApp } from "../../server/app.ts";
import { SYSTEM_ACTOR } from "../auth/index.ts";

const PASSWORD = "correct-horse-9";
const NOW = new Date("2026-06-15T02:00:00Z");

/** A county draft over the shipped 安远县 policy, changing what `body` holds. */
function draft(body: string): string {
  return [
    "id: draft-360726-2026",
    "level: county",
    'region: "360726"',
    "year: 2026",
    "extends: county-360726-2026",
    "title: 草稿",
    body,
  ].join("\n");
}

describeEachEngine("policy API", (database) => {
  let app: FastifyInstance;
  const cookies: Record<string, string> = {};

  beforeAll(async () => {
    const built = await buildApp({ database: database(), webRoot: "/nonexistent", now: () => NOW });
    app = built.app;
    await built.services.regions.load(SYSTEM_ACTOR, "360726");
    for (const [username, role, region] of [
      ["cunA", "village", VILLAGE_A],
      ["xian", "county", "360726"],
    ] as const) {
      await built.services.auth.addUser(
        { username, password: PASSWORD, role, region },
        SYSTEM_ACTOR,
      );
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

  const get = (url: string, user: string) =>
    app.inject({ url, headers: { cookie: cookies[user]! } });
  const check = (yaml: string, user = "xian") =>
    app.inject({
      method: "POST",
      url: "/api/policy/check",
      headers: { cookie: cookies[user]! },
      payload: { yaml },
    });

  it("serves the policy in force for the user's county, inheritance resolved", async () => {
    const res = await get("/api/policy", "xian");
    expect(res.statusCode).toBe(200);
    const p = res.json();
    expect(p.id).toBe("county-360726-2026");
    expect(p.year).toBe(2026);
    expect(p.region).toBe("360726");
    expect(p.chain[0]).toBe("national-2021");
    expect(p.chain.at(-1)).toBe("county-360726-2026");
    expect(typeof p.parameters.monitoringLine).toBe("number");
    expect(p.deadlines.verificationDays).toBe(10);
    const rule = p.rules.find((r: { id: string }) => r.id === "income.below_line");
    expect(rule).toMatchObject({
      name: "人均纯收入低于监测范围",
      category: "income",
      severity: "high",
      verify: true,
      when: "!h.monitored && h.perCapitaIncome < policy.monitoringLine",
    });
    expect(rule.evidence.perCapitaIncome).toBe("h.perCapitaIncome");
    expect(p.measures.length).toBeGreaterThan(5);
  });

  it("lets a village read its county's policy, not another county's", async () => {
    const own = await get("/api/policy", "cunA");
    expect(own.statusCode).toBe(200);
    expect(own.json().id).toBe("county-360726-2026");
    expect((await get("/api/policy?region=360726", "cunA")).json().id).toBe("county-360726-2026");
    const other = await get("/api/policy?region=360702", "cunA");
    expect(other.statusCode).toBe(404);
    expect((await app.inject({ url: "/api/policy" })).statusCode).toBe(401);
  });

  it("checks a draft: ok, or every rule error with its part and position", async () => {
    const good = await check(draft("parameters:\n  monitoringLine: 8000\n"));
    expect(good.statusCode).toBe(200);
    expect(good.json()).toEqual({ ok: true });

    const condition = "!h.monitored && h.perCapitaIncom < policy.monitoringLine";
    const bad = await check(
      draft(
        [
          "rules:",
          "  - id: income.below_line",
          `    when: "${condition}"`,
          "  - id: local.big_house",
          "    name: 住房面积过大",
          "    category: data_quality",
          "    when: \"h.houseArea > 'big'\"",
          "    message: 住房面积 {area}",
          "    evidence: { area: h.houseArea }",
        ].join("\n"),
      ),
    );
    expect(bad.statusCode).toBe(200);
    const body = bad.json();
    expect(body.ok).toBe(false);
    expect(body.errors).toHaveLength(2);
    const [first, second] = body.errors;
    expect(first).toMatchObject({ rule: "income.below_line", part: "when" });
    expect(first.message).toMatch(/perCapitaIncom/);
    // At the field access: `h` or the dot after it.
    const at = condition.indexOf("h.perCapitaIncom");
    expect([at, at + 1]).toContain(first.position);
    expect(second).toMatchObject({ rule: "local.big_house", part: "when" });
    expect(second.position).toBeGreaterThanOrEqual(0);
  });

  it("reports a broken file as one error without a rule", async () => {
    for (const yaml of [
      "id: [unclosed",
      draft("parameters:\n  monitoringLine: [1, 2]\n"),
      draft("rules:\n  - id: local.new_rule\n    when: h.size > 1\n"),
    ]) {
      const res = await check(yaml);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.ok).toBe(false);
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]).toMatchObject({ rule: "", position: 0 });
      expect(body.errors[0].message).toMatch(/[\u4e00-\u9fa5]/);
    }
  });

  it("needs policy.edit to check and signal.read to read", async () => {
    const res = await check(draft(""), "cunA");
    expect(res.statusCode).toBe(403);
    const anon = await app.inject({
      method: "POST",
      url: "/api/policy/check",
      payload: { yaml: "x" },
    });
    expect(anon.statusCode).toBe(401);
  });
});
