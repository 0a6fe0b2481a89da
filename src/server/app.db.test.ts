import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../test/engines.ts";
import { household, VILLAGE_A, VILLAGE_B } from "../../test/factories.ts";
import { SYSTEM_ACTOR } from "../modules/auth/index.ts";
import { localFileStore } from "../modules/cases/index.ts";
import type { CreateHouseholdInput } from "../modules/registry/index.ts";
import { buildApp, type RouteInfo } from "./app.ts";

const PASSWORD = "correct-horse-9";

describeEachEngine("HTTP API", (database) => {
  let app: FastifyInstance;
  let routes: RouteInfo[];
  const cookies: Record<string, string> = {};
  let mine: CreateHouseholdInput;
  let theirs: CreateHouseholdInput;
  let theirMemberId = 0;
  let theirTaskId = 0;
  const their = {
    case: "",
    batch: 0,
    objection: 0,
    attachment: 0,
    cadre: 0,
    pairing: 0,
    measure: 0,
    visit: 0,
    teamMember: 0,
  };
  const filesDir = mkdtempSync(join(tmpdir(), "fangpin-files-"));

  beforeAll(async () => {
    const built = await buildApp({
      database: database(),
      webRoot: "/nonexistent",
      files: localFileStore(filesDir),
    });
    app = built.app;
    routes = built.routes;
    const { services } = built;
    await services.regions.load(SYSTEM_ACTOR, "360726");
    mine = household(VILLAGE_A, { seed: 501 });
    theirs = household(VILLAGE_B, { seed: 502 });
    theirs.household.wageIncome = 100_000; // below the monitoring line: a signal and a verification task
    mine.household.wageIncome = 100_000;
    await services.registry.bulkCreate(SYSTEM_ACTOR, [mine, theirs], { source: "demo" });
    await services.monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    const theirNumber = theirs.household.householdNumber!;
    const task = await database()
      .db.selectFrom("verifications")
      .innerJoin("households", "households.id", "verifications.household_id")
      .select("verifications.id")
      .where("households.household_number", "=", theirNumber)
      .executeTakeFirstOrThrow();
    theirTaskId = Number(task.id);
    // A case of the other village at its notice, with an objection and an attachment.
    const opened = await services.cases.open(SYSTEM_ACTOR, {
      householdNumber: theirNumber,
      type: "identification",
      category: "marginal",
      riskFactors: ["illness"],
    });
    their.case = opened.case;
    for (let i = 0; i < 4; i++) await services.cases.advance(SYSTEM_ACTOR, their.case);
    their.batch = (
      await services.cases.postNotice(SYSTEM_ACTOR, { village: VILLAGE_B, cases: [their.case] })
    ).id;
    await services.cases.object(VILLAGE_B, { batch: their.batch, seq: 1, content: "异议内容测试" });
    their.attachment = (
      await services.cases.attach(SYSTEM_ACTOR, their.case, {
        kind: "visit_photo",
        name: "photo.png",
        mime: "image/png",
        data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]),
      })
    ).id;
    their.objection = (await services.cases.get(SYSTEM_ACTOR, their.case)).objections[0]!.id;
    // Assistance of the other village: a cadre kept by its town, paired, a measure, a visit with
    // a photo, a work-team member.
    const townB = VILLAGE_B.slice(0, 9);
    their.cadre = (
      await services.assistance.addCadre(SYSTEM_ACTOR, {
        name: "孔田干部",
        unit: "孔田镇政府",
        rank: "staff",
        region: townB,
      })
    ).id;
    their.pairing = Number(
      (
        await services.assistance.pair(SYSTEM_ACTOR, {
          cadreId: their.cadre,
          householdNumber: theirNumber,
        })
      ).pairing,
    );
    their.measure = (
      await services.assistance.addMeasure(SYSTEM_ACTOR, theirNumber, {
        code: "health.medical_assistance",
        date: "2026-01-02",
        status: "delivered",
        amountFen: 1000,
      })
    ).id;
    their.visit = (
      await services.assistance.recordVisit(
        SYSTEM_ACTOR,
        theirNumber,
        { visitedOn: "2026-01-02", notes: "走访" },
        {
          mime: "image/png",
          data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]),
        },
      )
    ).id;
    their.teamMember = (
      await services.assistance.addTeamMember(SYSTEM_ACTOR, {
        village: VILLAGE_B,
        name: "孔田队员",
        unit: "县某局",
        role: "member",
      })
    ).id;
    theirMemberId = (await services.registry.get(SYSTEM_ACTOR, theirs.household.householdNumber!))
      .members[1]!.id;
    for (const [username, role, region] of [
      ["cunA", "village", VILLAGE_A],
      ["xian", "county", "360726"],
    ] as const) {
      await services.auth.addUser({ username, password: PASSWORD, role, region }, SYSTEM_ACTOR);
      const res = await app.inject({
        method: "POST",
        url: "/api/auth/login",
        payload: { username, password: PASSWORD },
      });
      expect(res.statusCode).toBe(200);
      const cookie = res.cookies.find((c) => c.name === "fangpin_session");
      expect(cookie?.httpOnly).toBe(true);
      cookies[username] = `fangpin_session=${cookie!.value}`;
    }
  });
  afterAll(async () => {
    await app?.close();
    rmSync(filesDir, { recursive: true, force: true });
  });

  it("answers health, serves OpenAPI, and refuses requests without a session", async () => {
    expect((await app.inject({ url: "/api/health" })).json()).toEqual({ status: "ok" });
    const docs = await app.inject({ url: "/api/docs/json" });
    expect(docs.statusCode).toBe(200);
    expect(Object.keys(docs.json().paths)).toContain("/api/households/{householdNumber}");
    const anon = await app.inject({ url: "/api/households" });
    expect(anon.statusCode).toBe(401);
    expect(anon.json().error).toMatchObject({ kind: "not_allowed", code: "not_signed_in" });
    const bad = await app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { username: "xian", password: "wrong" },
    });
    expect(bad.statusCode).toBe(403);
    expect(bad.json().error.code).toBe("bad_credentials");
  });

  it("serves the contract shapes for regions and households", async () => {
    const region = await app.inject({
      url: "/api/regions/360726",
      headers: { cookie: cookies.xian },
    });
    expect(region.json()).toMatchObject({
      code: "360726",
      name: "安远县",
      level: "county",
      parent: "3607",
    });
    expect(region.json().children).toHaveLength(19);
    const list = await app.inject({
      url: `/api/households?village=${VILLAGE_A}&limit=10`,
      headers: { cookie: cookies.xian },
    });
    expect(list.json()).toEqual({
      items: [
        expect.objectContaining({
          householdNumber: mine.household.householdNumber,
          villageCode: VILLAGE_A,
          headName: "张501",
        }),
      ],
      next: null,
    });
    const byId = await app.inject({
      url: `/api/households?idNumber=${theirs.members[2]!.idNumber}`,
      headers: { cookie: cookies.xian },
    });
    expect(byId.json().items.map((i: { householdNumber: string }) => i.householdNumber)).toEqual([
      theirs.household.householdNumber,
    ]);
    const detail = await app.inject({
      url: `/api/households/${mine.household.householdNumber}`,
      headers: { cookie: cookies.xian },
    });
    expect(detail.json().members).toHaveLength(3);
    expect(detail.json().can).toContain("household.update");
  });

  it("names the field in validation errors and reports version conflicts", async () => {
    const no = mine.household.householdNumber!;
    const headers = { cookie: cookies.xian };
    const bad = await app.inject({
      method: "PATCH",
      url: `/api/households/${no}`,
      headers,
      payload: { version: 1, changes: { wageIncome: "lots" } },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ kind: "invalid_data", field: "changes.wageIncome" });
    expect(bad.json().error.message).toContain("工资性收入");
    const ok = await app.inject({
      method: "PATCH",
      url: `/api/households/${no}`,
      headers,
      payload: { version: 1, changes: { groupName: "第5组" }, reason: "核实" },
    });
    expect(ok.statusCode).toBe(200);
    const stale = await app.inject({
      method: "PATCH",
      url: `/api/households/${no}`,
      headers,
      payload: { version: 1, changes: { groupName: "第6组" } },
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe("version_conflict");
    const history = await app.inject({ url: `/api/households/${no}/history`, headers });
    expect(history.json().items[0]).toMatchObject({
      kind: "household.updated",
      source: "ui",
      reason: "核实",
      actor: "xian",
    });
  });

  it("gives a village user nothing of another village through any scoped route", async () => {
    const foreignNo = theirs.household.householdNumber!;
    const foreignTown = VILLAGE_B.slice(0, 9);
    const secrets = [
      foreignNo,
      VILLAGE_B,
      foreignTown,
      theirs.members[0]!.name!,
      theirs.members[1]!.idNumber!,
      their.case,
      "孔田干部",
      "孔田队员",
    ];
    const params: Record<string, string[]> = {
      householdNumber: [foreignNo],
      memberId: [String(theirMemberId)],
      id: [String(theirTaskId)],
      // The other village, its town, and the county above the user's own village.
      code: [VILLAGE_B, foreignTown, "360726"],
      caseNumber: [their.case],
      batchId: [String(their.batch)],
      objectionId: [String(their.objection)],
      attachmentId: [String(their.attachment)],
      cadreId: [String(their.cadre)],
      pairingId: [String(their.pairing)],
      measureId: [String(their.measure)],
      visitId: [String(their.visit)],
      teamMemberId: [String(their.teamMember)],
      type: ["medical"],
    };
    const queries = [
      "",
      `?village=${VILLAGE_B}`,
      `?region=${foreignTown}`,
      `?q=${encodeURIComponent(theirs.members[0]!.name!)}`,
      `?idNumber=${theirs.members[1]!.idNumber}`,
      `?q=${encodeURIComponent(foreignTown.slice(-3))}`,
      `?q=${encodeURIComponent("孔田")}`,
      `?rule=income.below_line`,
      `?village=${VILLAGE_B}&month=2026-01`,
      "?unmask=1",
      "?asOf=2030-01-01",
    ];
    const body = {
      version: 1,
      changes: { groupName: "入侵" },
      member: { name: "入侵" },
      reason: "death",
      memberId: theirMemberId,
      formerHeadRelationship: "配偶",
      // Cases, notices and objections: a valid request about the other village's records.
      householdNumber: foreignNo,
      type: "identification",
      category: "marginal",
      riskFactors: ["illness"],
      cases: [their.case],
      village: VILLAGE_B,
      outcome: "dismissed",
      resolution: "越权处理",
      // Assistance: a valid request about the other village's records.
      cadreId: 1,
      name: "入侵",
      unit: "入侵单位",
      rank: "staff",
      status: "left",
      code: "social.help",
      date: "2026-01-03",
      amountFen: 100,
      visitedOn: "2026-01-03",
      notes: "入侵",
      goal: "入侵",
      role: "member",
      month: "2026-01",
      days: 20,
    };
    const checked = routes.filter((r) =>
      /^\/api\/(households|regions|signals|verifications|sweeps|cases|notice-batches|objections|attachments|assistance|feeds|feed-loads|duplicates|tokens|incomes)/.test(
        r.url,
      ),
    );
    expect(checked.length).toBeGreaterThanOrEqual(10);
    let requests = 0;
    for (const route of checked) {
      const names = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      for (const name of names)
        expect(params, `route ${route.url} has a parameter the test does not know`).toHaveProperty(
          name,
        );
      const urls = names.reduce<string[]>(
        (acc, name) => acc.flatMap((u) => params[name]!.map((v) => u.replace(`:${name}`, v))),
        [route.url],
      );
      for (const url of urls) {
        for (const query of route.method === "GET" ? queries : [""]) {
          const res = await app.inject({
            method: route.method as "GET",
            url: url + query,
            headers: { cookie: cookies.cunA },
            ...(route.method === "GET" ? {} : { payload: body }),
          });
          requests++;
          const where = `${route.method} ${url}${query} → ${res.statusCode}`;
          expect(res.statusCode, `${where} ${res.body}`).not.toBe(500);
          if (res.statusCode === 200) {
            for (const s of secrets) expect(res.body, `${where} leaks ${s}`).not.toContain(s);
          } else {
            expect([400, 403, 404], where).toContain(res.statusCode);
          }
        }
      }
    }
    expect(requests).toBeGreaterThan(30);
    // And nothing was changed by the attempts.
    const after = await app.inject({
      url: `/api/households/${foreignNo}`,
      headers: { cookie: cookies.xian },
    });
    expect(after.json().household.version).toBe(1);
    expect(after.json().household.groupName).toBe(theirs.household.groupName);
    const theirCase = await app.inject({
      url: `/api/cases/${their.case}`,
      headers: { cookie: cookies.xian },
    });
    expect(theirCase.json()).toMatchObject({
      status: "paused",
      state: "paused",
      objections: [expect.objectContaining({ status: "open" })],
    });
    // The user does see their own village.
    const own = await app.inject({ url: "/api/households", headers: { cookie: cookies.cunA } });
    expect(own.json().items.map((i: { householdNumber: string }) => i.householdNumber)).toEqual([
      mine.household.householdNumber,
    ]);
  });
});
