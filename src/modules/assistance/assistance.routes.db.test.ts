import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { household, VILLAGE_A } from "../../../test/factories.ts";
import { buildApp } from "../../server/app.ts";
import { SYSTEM_ACTOR } from "../auth/index.ts";
import { localFileStore } from "../cases/index.ts";

const PASSWORD = "correct-horse-9";
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 7, 7, 7]);
/** Anything shaped like a resident ID number (18 characters) or a disability certificate. */
const ID_LIKE = /\d{17}[\dXx]|\d{20,22}/;

describeEachEngine("assistance over HTTP", (database) => {
  let app: FastifyInstance;
  const cookies: Record<string, string> = {};
  const h = household(VILLAGE_A, { seed: 901 });
  const no = h.household.householdNumber!;
  h.household.monitoringCategory = "unstable";
  h.household.householdType = "formerly_poor";
  h.household.riskFactors = ["illness"];
  h.household.identifiedMonth = "2026-01";
  h.household.phone = "13911112222";
  // A household imported from the national file with one assistance column filled.
  const imported = household(VILLAGE_A, { seed: 902 });
  imported.household.extra = { 产业帮扶: "种植脐橙" };
  const filesDir = mkdtempSync(join(tmpdir(), "fangpin-files-"));

  beforeAll(async () => {
    const built = await buildApp({
      database: database(),
      webRoot: "/nonexistent",
      files: localFileStore(filesDir),
    });
    app = built.app;
    const { services } = built;
    await services.regions.load(SYSTEM_ACTOR, "360726");
    await services.registry.bulkCreate(SYSTEM_ACTOR, [h, imported], { source: "demo" });
    for (const [username, role, region] of [
      ["xian", "county", "360726"],
      ["bangfu", "helper", "360726"],
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
    rmSync(filesDir, { recursive: true, force: true });
  });

  const call = (user: string, method: string, url: string, payload?: unknown) =>
    app.inject({
      method: method as "GET",
      url,
      headers: { cookie: cookies[user]! },
      ...(payload ? { payload: payload as object } : {}),
    });

  it("pairs, records a measure and a visit with a photo as the helper, and prints the card", async () => {
    const cadre = await call("xian", "POST", "/api/assistance/cadres", {
      name: "吴帮扶",
      unit: "县人社局",
      post: "科员",
      rank: "staff",
      phone: "13800005555",
      username: "bangfu",
    });
    expect(cadre.statusCode, cadre.body).toBe(200);
    const cadreId = cadre.json().id;
    const paired = await call("xian", "POST", "/api/assistance/pairings", {
      cadreId,
      householdNumber: no,
    });
    expect(paired.json()).toMatchObject({ cadre: String(cadreId), household: no });
    const badPair = await call("xian", "POST", "/api/assistance/pairings", { cadreId: "x" });
    expect(badPair.statusCode).toBe(400);

    const mine = await call("bangfu", "GET", "/api/assistance/mine");
    expect(mine.json().items.map((i: { householdNumber: string }) => i.householdNumber)).toEqual([
      no,
    ]);
    const measure = await call("bangfu", "POST", `/api/households/${no}/measures`, {
      code: "employment.training",
      amountFen: 80_000,
      date: "2026-07-01",
      status: "delivered",
    });
    expect(measure.statusCode, measure.body).toBe(200);
    expect(measure.json()).toMatchObject({ category: "就业帮扶", developmentType: true });
    const visit = await call("bangfu", "POST", `/api/households/${no}/visits`, {
      visitedOn: "2026-01-05",
      notes: "入户了解培训意愿",
      measureIds: [measure.json().id],
      photo: { mime: "image/png", data: PNG.toString("base64") },
    });
    expect(visit.statusCode, visit.body).toBe(200);
    const photo = await call("xian", "GET", `/api/assistance/visits/${visit.json().id}/photo`);
    expect(photo.headers["content-type"]).toBe("image/png");
    expect(Buffer.from(photo.rawPayload).equals(PNG)).toBe(true);
    const plan = await call("bangfu", "PUT", `/api/households/${no}/assistance/plan`, {
      goal: "技能培训后稳定务工",
    });
    expect(plan.json()).toMatchObject({ goal: "技能培训后稳定务工", helper: { name: "吴帮扶" } });

    for (const size of ["A4", "A5"]) {
      const card = await call(
        "bangfu",
        "GET",
        `/api/households/${no}/assistance-card?size=${size}`,
      );
      expect(card.statusCode).toBe(200);
      expect(card.headers["content-type"]).toContain("text/html");
      const html = card.body;
      expect(html).toContain("帮扶明白卡");
      expect(html).toContain("吴帮扶");
      expect(html).toContain("13800005555");
      expect(html).toContain("技能培训");
      expect(html).toContain("800.00 元");
      expect(html).toContain("技能培训后稳定务工");
      expect(html).toContain(`@page { size: ${size}`);
      expect(html).toContain("12317");
      // Never an ID number, nor the household's own phone.
      for (const m of h.members) expect(html).not.toContain(m.idNumber!);
      expect(html).not.toMatch(ID_LIKE);
      expect(html).not.toContain("13911112222");
    }
    const badSize = await call("bangfu", "GET", `/api/households/${no}/assistance-card?size=B5`);
    expect(badSize.statusCode).toBe(400);
  });

  it("turns the national file's assistance columns into measures, once, for county staff only", async () => {
    const url = "/api/assistance/measures/import-national";
    expect((await call("bangfu", "POST", url, { region: "360726" })).statusCode).toBe(403);
    const bad = await call("xian", "POST", url, { region: "36-07" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.field).toBe("region");
    expect((await call("xian", "POST", url, { region: "360727" })).statusCode).toBe(404);
    const first = await call("xian", "POST", url, { region: "360726", date: "2026-06-30" });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ measures: 1, households: 1 });
    const again = await call("xian", "POST", url, { region: "360726" });
    expect(again.json()).toEqual({ measures: 0, households: 0 });
    const measures = await call(
      "xian",
      "GET",
      `/api/households/${imported.household.householdNumber}/measures`,
    );
    expect(measures.json().measures).toEqual([
      expect.objectContaining({ category: "产业帮扶", note: "种植脐橙", date: "2026-06-30" }),
    ]);
  });
});
