import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { household, VILLAGE_A, VILLAGE_B } from "../../../test/factories.ts";
import { buildApp } from "../../server/app.ts";
import type { Services } from "../../server/services.ts";
import { SYSTEM_ACTOR } from "../auth/index.ts";
import { localFileStore } from "./file-store.ts";

const PASSWORD = "correct-horse-9";
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 7, 7, 7]);
/** An 18-character resident ID number anywhere in a text. */
const ID_NUMBER = /(?<![0-9])\d{17}[\dXx](?![0-9])/;
/** A mainland mobile number. */
const MOBILE = /(?<![0-9])1[3-9]\d{9}(?![0-9])/;

describeEachEngine("cases over HTTP and the public notice page", (database) => {
  let app: FastifyInstance;
  let services: Services;
  let clock = new Date("2026-07-01T02:00:00Z");
  const cookies: Record<string, string> = {};
  const filesDir = mkdtempSync(join(tmpdir(), "fangpin-files-"));
  const h = household(VILLAGE_A, { seed: 801 });
  h.household.phone = "13912340001";
  h.members[0]!.phone = "13912340002";
  h.members[1]!.health = "serious_illness";
  const call = (user: string | null, method: "GET" | "POST", url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      ...(user ? { headers: { cookie: cookies[user]! } } : {}),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  const login = async (username: string) => {
    const res = await app.inject({
      method: "POST",
      url: "/api/auth/login",
      payload: { username, password: PASSWORD },
    });
    cookies[username] =
      `fangpin_session=${res.cookies.find((c) => c.name === "fangpin_session")!.value}`;
  };

  beforeAll(async () => {
    const built = await buildApp({
      database: database(),
      webRoot: "/nonexistent",
      now: () => clock,
      files: localFileStore(filesDir),
    });
    app = built.app;
    services = built.services;
    await services.regions.load(SYSTEM_ACTOR, "360726");
    await services.registry.bulkCreate(SYSTEM_ACTOR, [h], { source: "demo" });
    for (const [username, role, region] of [
      ["cunA", "village", VILLAGE_A],
      ["cunB", "village", VILLAGE_B],
      ["xiangA", "town", VILLAGE_A.slice(0, 9)],
      ["xian", "county", "360726"],
    ] as const) {
      await services.auth.addUser({ username, password: PASSWORD, role, region }, SYSTEM_ACTOR);
      await login(username);
    }
  });
  afterAll(async () => {
    await app?.close();
    rmSync(filesDir, { recursive: true, force: true });
  });

  it("opens a case, posts its notice, shows it publicly without sign-in and takes objections", async () => {
    const no = h.household.householdNumber!;
    const refused = await call("cunA", "POST", "/api/cases", {
      householdNumber: no,
      type: "risk_elimination",
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({
      kind: "unexpected_state",
      code: "case_refused",
      detail: { reasons: expect.arrayContaining(["该户不是监测对象或风险已消除"]) },
    });
    // The same shape as the CLI's: the reasons also at error.reasons.
    expect(refused.json().error.reasons).toEqual(refused.json().error.detail.reasons);
    const check = await call(
      "cunA",
      "GET",
      `/api/households/${no}/case-check?type=identification&category=marginal`,
    );
    expect(check.json()).toMatchObject({ ok: true, reasons: [] });

    const opened = await call("cunA", "POST", "/api/cases", {
      householdNumber: no,
      type: "identification",
      category: "marginal",
      riskFactors: ["illness", "disability"],
    });
    expect(opened.statusCode).toBe(200);
    const number = opened.json().case as string;
    let version = opened.json().version as number;
    for (const to of ["consent", "comparison", "deliberation", "notice"]) {
      const r = await call("cunA", "POST", `/api/cases/${number}/advance`, { version, to });
      expect(r.statusCode, r.body).toBe(200);
      version = r.json().version;
    }
    const stale = await call("cunA", "POST", `/api/cases/${number}/advance`, { version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe("version_conflict");

    const posted = await call("cunA", "POST", "/api/notice-batches", {
      village: VILLAGE_A,
      cases: [number],
      deliberationDate: "2026-06-30",
      villagePhone: "0797-3710001",
      townPhone: "0797-3710002",
    });
    expect(posted.statusCode, posted.body).toBe(200);
    const batch = posted.json().id as number;
    expect(
      (await call("cunB", "POST", "/api/notice-batches", { village: VILLAGE_A, cases: [number] }))
        .statusCode,
    ).toBe(404);

    // The public page: no session needed, Chinese, A4, the columns of a notice, nothing sensitive.
    const page = await app.inject({ url: `/notices/${VILLAGE_A}` });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    const html = page.body;
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain("size: A4");
    for (const text of [
      "序号",
      "村民小组",
      "户主姓名",
      "家庭人口",
      "监测对象类别",
      "主要风险",
      "张801",
      "纳入监测（边缘易致贫户）",
      "因病、因残",
      "公示期为2026年7月1日至2026年7月5日，共 5 天。",
      "0797-3710001",
      "12317",
      "村民委员会",
      "2026年6月30日",
      `action="/notices/${VILLAGE_A}/objections"`,
      'action="/notices/receipt"',
    ])
      expect(html).toContain(text);
    expect(html).not.toMatch(ID_NUMBER);
    expect(html).not.toMatch(MOBILE);
    for (const m of h.members) expect(html).not.toContain(m.idNumber!);
    for (const word of ["患大病", "长期慢性病", "残疾", "serious_illness", "健康"])
      expect(html).not.toContain(word);
    expect((await app.inject({ url: `/notices/${VILLAGE_B}` })).body).toContain(
      "目前没有正在公示或公告的事项",
    );
    expect((await app.inject({ url: "/notices/999999999999" })).statusCode).toBe(404);
    expect((await app.inject({ url: "/notices/12" })).statusCode).toBe(400);

    // The print view is for staff, in scope.
    expect((await app.inject({ url: `/api/notice-batches/${batch}/print` })).statusCode).toBe(401);
    const print = await call("cunA", "GET", `/api/notice-batches/${batch}/print`);
    expect(print.statusCode).toBe(200);
    expect(print.body).toContain("关于");
    expect(print.body).not.toContain("<form");
    expect(print.body).not.toMatch(ID_NUMBER);
    expect(print.body).not.toMatch(MOBILE);
    expect((await call("cunB", "GET", `/api/notice-batches/${batch}/print`)).statusCode).toBe(404);

    // Ending the notice early is refused.
    const early = await call("cunA", "POST", `/api/cases/${number}/advance`, {});
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe("notice_period");

    // An objection, as JSON and as the page's form; each answers with a receipt number.
    const json = await app.inject({
      method: "POST",
      url: `/notices/${VILLAGE_A}/objections`,
      payload: { batch, seq: 1, content: "该户在县城有商品房", contact: "13700000000" },
    });
    expect(json.statusCode).toBe(200);
    expect(json.json().receipt).toMatch(/^YY20260701[0-9A-F]{10}$/);
    const form = await app.inject({
      method: "POST",
      url: `/notices/${VILLAGE_A}/objections`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({
        batch: String(batch),
        seq: "1",
        content: "家有货车一辆",
        name: "",
        contact: " ",
      }).toString(),
    });
    expect(form.statusCode).toBe(200);
    expect(form.headers["content-type"]).toMatch(/^text\/html/);
    expect(form.body).toMatch(/回执号：YY20260701[0-9A-F]{10}/);
    const wrong = await app.inject({
      method: "POST",
      url: `/notices/${VILLAGE_A}/objections`,
      payload: { batch, seq: 9, content: "没有这一户吧" },
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.code).toBe("notice_entry");
    // Objecting never shows the objector's contact to staff either.
    const objections = await call("cunA", "GET", `/api/notice-batches/${batch}/objections`);
    expect(objections.json().items).toHaveLength(2);
    // A blank name on the form is an anonymous objection, not an empty name.
    expect(objections.json().items[1].objector).toBeNull();
    expect(objections.body).not.toContain("13700000000");

    // The objector looks it up by receipt number, without signing in: its state, nothing else.
    const receipt = json.json().receipt as string;
    const lookup = (number: string, accept = "application/json") =>
      app.inject({
        url: `/notices/receipt?number=${encodeURIComponent(number)}`,
        headers: { accept },
      });
    const received = await lookup(receipt.toLowerCase());
    expect(received.statusCode, received.body).toBe(200);
    expect(received.json()).toEqual({
      receipt,
      notice: posted.json().title,
      receivedOn: "2026-07-01",
      status: "open",
      outcome: null,
      resolution: null,
      resolvedOn: null,
    });
    for (const hidden of ["该户在县城有商品房", "13700000000", h.members[0]!.name!, no])
      expect(received.body).not.toContain(hidden);
    const receivedPage = await lookup(receipt, "text/html");
    expect(receivedPage.headers["content-type"]).toMatch(/^text\/html/);
    expect(receivedPage.body).toContain("已收到，正在调查核实");
    expect(receivedPage.body).not.toContain("13700000000");
    expect((await lookup("YY20260701FFFFFF")).statusCode).toBe(404); // the older, shorter form
    expect((await lookup("YY20260701FFFFFFFFFF")).statusCode).toBe(404);
    expect((await lookup("YY20260701FFFFFFFF")).statusCode).toBe(400);
    expect((await lookup("YY20260701FFFFFF", "text/html")).body).toContain("没有回执号为");
    const badReceipt = await lookup("12345");
    expect(badReceipt.statusCode).toBe(400);
    expect(badReceipt.json().error.field).toBe("receipt");

    const paused = await call("cunA", "GET", `/api/cases/${number}`);
    expect(paused.json()).toMatchObject({
      state: "paused",
      can: expect.arrayContaining(["resolve_objection"]),
    });

    // Upheld: the case goes back before its notice; the second one is then dismissed.
    const [first, second] = paused.json().objections as { id: number }[];
    const upheld = await call("cunA", "POST", `/api/objections/${first!.id}/resolve`, {
      outcome: "upheld",
      resolution: "经核实，商品房已于去年出售，但需重新评议",
    });
    expect(upheld.statusCode, upheld.body).toBe(200);
    expect(upheld.json().case).toMatchObject({ state: "deliberation", status: "active" });
    const dismissed = await call("cunA", "POST", `/api/objections/${second!.id}/resolve`, {
      outcome: "dismissed",
      resolution: "货车为营运工具，不影响认定",
    });
    expect(dismissed.json().case.state).toBe("deliberation");
    // Resolved: the lookup shows the outcome and the resolution, still nothing else.
    const firstReceipt = (paused.json().objections as { receipt: string }[])[0]!.receipt;
    const resolved = await lookup(firstReceipt);
    expect(resolved.json()).toMatchObject({
      receipt: firstReceipt,
      status: "resolved",
      outcome: "upheld",
      resolution: "经核实，商品房已于去年出售，但需重新评议",
      resolvedOn: "2026-07-01",
    });
    expect(resolved.body).not.toContain("cunA");
    const resolvedPage = await lookup(firstReceipt, "text/html");
    for (const text of ["已办结", "异议成立", "经核实，商品房已于去年出售"])
      expect(resolvedPage.body).toContain(text);
    expect(resolvedPage.body).not.toMatch(MOBILE);
    const again = await call("cunA", "POST", `/api/objections/${second!.id}/resolve`, {
      outcome: "dismissed",
      resolution: "重复处理",
    });
    expect(again.statusCode).toBe(409);

    // An attachment: the file itself as the body.
    const up = await app.inject({
      method: "POST",
      url: `/api/cases/${number}/attachments?kind=minutes&name=${encodeURIComponent("评议记录.png")}`,
      headers: { cookie: cookies.cunA!, "content-type": "image/png" },
      payload: PNG,
    });
    expect(up.statusCode, up.body).toBe(200);
    const down = await call("xiangA", "GET", `/api/attachments/${up.json().id}`);
    expect(down.statusCode).toBe(200);
    expect(down.headers["content-type"]).toBe("image/png");
    expect(down.rawPayload.equals(PNG)).toBe(true);
    expect((await call("cunB", "GET", `/api/attachments/${up.json().id}`)).statusCode).toBe(404);
    const fake = await app.inject({
      method: "POST",
      url: `/api/cases/${number}/attachments`,
      headers: { cookie: cookies.cunA!, "content-type": "application/pdf" },
      payload: Buffer.from("not really a pdf"),
    });
    expect(fake.statusCode).toBe(400);
    expect(fake.json().error.code).toBe("attachment_mismatch");
    const unsupported = await app.inject({
      method: "POST",
      url: `/api/cases/${number}/attachments`,
      headers: { cookie: cookies.cunA!, "content-type": "text/plain" },
      payload: "hello",
    });
    expect(unsupported.statusCode).toBe(400);
    expect(unsupported.json().error.code).toBe("attachment_type");

    // The town's list shows the case; later, overdue.
    clock = new Date("2026-07-20T02:00:00Z");
    await login("xiangA");
    const list = await call("xiangA", "GET", "/api/cases?overdue=true");
    expect(list.json().items).toEqual([
      expect.objectContaining({ case: number, overdue: true, step: "deliberation" }),
    ]);
  });
});
