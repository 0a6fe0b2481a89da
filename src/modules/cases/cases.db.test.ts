import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { household, VILLAGE_A, VILLAGE_B } from "../../../test/factories.ts";
import { AppError } from "../../core/errors.ts";
import { createServices, type Services } from "../../server/services.ts";
import { type Actor, SYSTEM_ACTOR } from "../auth/index.ts";
import type { CreateHouseholdInput } from "../registry/index.ts";
import { localFileStore } from "./file-store.ts";
import { villageNoticesPage } from "./notice.html.ts";

const actor = (id: number, username: string, role: Actor["role"], regionCode: string): Actor => ({
  id,
  username,
  displayName: username,
  role,
  regionCode,
});
const cunA = actor(1, "cunA", "village", VILLAGE_A);
const cunB = actor(2, "cunB", "village", VILLAGE_B);
const xiangA = actor(3, "xiangA", "town", VILLAGE_A.slice(0, 9));
const xian = actor(4, "xian", "county", "360726");

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);

describeEachEngine("cases", (database) => {
  let clock = new Date("2026-07-01T02:00:00Z");
  const setDay = (day: string) => {
    clock = new Date(`${day}T02:00:00Z`);
  };
  const filesDir = mkdtempSync(join(tmpdir(), "fangpin-files-"));
  let s: Services;
  const no = (h: CreateHouseholdInput) => h.household.householdNumber!;
  const create = async (h: CreateHouseholdInput) =>
    s.registry.bulkCreate(SYSTEM_ACTOR, [h], { source: "demo" });
  const update = async (h: CreateHouseholdInput, changes: Record<string, unknown>) => {
    const current = await s.registry.get(SYSTEM_ACTOR, no(h));
    await s.registry.update(
      SYSTEM_ACTOR,
      no(h),
      { version: current.household.version, changes },
      { source: "ui" },
    );
  };

  beforeAll(async () => {
    s = createServices({
      database: database(),
      now: () => clock,
      files: localFileStore(filesDir),
    });
    await s.regions.load(SYSTEM_ACTOR, "360726");
  });
  afterAll(() => rmSync(filesDir, { recursive: true, force: true }));

  it("takes households through identification: notice, objection, batch approval and announcement", async () => {
    setDay("2026-07-01");
    const h1 = household(VILLAGE_A, { seed: 701 });
    h1.household.phone = "13912345678";
    h1.members[1]!.phone = "13698765432";
    const h2 = household(VILLAGE_A, { seed: 702 });
    h2.household.wageIncome = 100_000; // below the line: a signal and a verification task
    await create(h1);
    await create(h2);
    await s.monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    const task = (
      await s.signals.list(cunA, { status: "open", limit: 50, rule: "income.below_line" })
    ).items.find((i) => i.householdNumber === no(h2))!.verification!;

    const c1 = await s.cases.open(cunA, {
      householdNumber: no(h1),
      type: "identification",
      category: "marginal",
      riskFactors: ["illness"],
      leadSource: "self_report",
      leadDate: "2026-06-28",
    });
    expect(c1).toMatchObject({ state: "visit", deadline: "2026-07-13", overdue: false });
    expect(c1.case).toMatch(/^360726-2026-\d{6}$/);
    expect(c1.can).toEqual(["advance", "reject", "withdraw", "attach"]);
    // The home visit is due within the policy's homeVisitDays of opening.
    expect(c1.steps[0]).toMatchObject({ step: "visit", state: "active", dueOn: "2026-07-06" });
    const c2 = await s.cases.open(cunA, {
      householdNumber: no(h2),
      type: "identification",
      category: "marginal",
      riskFactors: ["illness", "lack_of_labor"],
      leadSource: "screening",
      verification: { id: task.id, version: task.version },
    });
    // The verification task that led to the case records it.
    const after = (
      await s.signals.list(cunA, { status: "open", limit: 50, rule: "income.below_line" })
    ).items.find((i) => i.householdNumber === no(h2))!;
    expect(after.verification).toMatchObject({ status: "done", outcome: "case_opened" });
    // One open identification per household.
    expect(
      (
        await failure(
          s.cases.open(cunA, {
            householdNumber: no(h1),
            type: "identification",
            category: "marginal",
            riskFactors: ["illness"],
          }),
        )
      ).code,
    ).toBe("case_exists");

    for (const c of [c1, c2]) {
      await s.cases.advance(cunA, c.case, { data: { visitedOn: "2026-07-01", findings: "属实" } });
      await s.cases.advance(cunA, c.case, { to: "comparison", data: { signedOn: "2026-07-01" } });
      const compared = await s.cases.advance(cunA, c.case);
      expect(compared.log.at(-1)!.data).toMatchObject({
        comparison: { signals: expect.any(Array) },
      });
      const deliberated = await s.cases.advance(cunA, c.case, {
        data: { date: "2026-07-01", attendees: 31, votesFor: 29, votesAgainst: 1, abstentions: 1 },
      });
      expect(deliberated.state).toBe("notice");
    }
    // The town cannot do the village's steps.
    expect((await failure(s.cases.advance(xiangA, c1.case))).code).toBe("step_role");

    const batch = await s.cases.postNotice(cunA, {
      village: VILLAGE_A,
      cases: [c1.case, c2.case],
      deliberationDate: "2026-07-01",
      villagePhone: "0797-3712345",
      townPhone: "0797-3712000",
    });
    expect(batch).toMatchObject({
      kind: "notice",
      startsOn: "2026-07-01",
      endsOn: "2026-07-05",
      days: 5,
      issuer: expect.stringMatching(/村民委员会$/),
      hotline: "12317",
    });
    expect(batch.title).toMatch(/^关于.+防止返贫监测对象识别情况的公示$/);
    expect(batch.entries).toEqual([
      {
        seq: 1,
        groupName: h1.household.groupName,
        headName: "张701",
        size: 3,
        change: "纳入监测（边缘易致贫户）",
        risks: "因病",
      },
      expect.objectContaining({ seq: 2, headName: "张702", risks: "因病、缺劳动力" }),
    ]);

    // The public page: names, category and risk words, never ID numbers, phones or health.
    const notices = await s.cases.publicNotices(VILLAGE_A);
    const html = villageNoticesPage(notices!.villageName!, notices!.batches);
    expect(html).toContain("张701");
    expect(html).toContain("0797-3712345");
    expect(html).toContain("公示期为2026年7月1日至2026年7月5日，共 5 天。");
    expect(html).not.toMatch(/\d{17}[\dXx]/);
    expect(html).not.toMatch(/(?<!\d)1[3-9]\d{9}(?!\d)/);
    for (const h of [h1, h2])
      for (const m of h.members) {
        expect(html).not.toContain(m.idNumber!);
        expect(html).not.toContain(m.idNumber!.slice(-6));
      }
    for (const word of ["长期慢性病", "患大病", "残疾", "健康", "chronic"])
      expect(html).not.toContain(word);

    // Too early to end the notice.
    const early = await failure(s.cases.advance(cunA, c2.case));
    expect(early.code).toBe("notice_period");

    // An objection pauses the case it concerns.
    const { receipt } = await s.cases.object(VILLAGE_A, {
      batch: batch.id,
      seq: 1,
      content: "该户家中有小轿车，收入不低",
      contact: "13800138000",
    });
    expect(receipt).toMatch(/^YY20260701[0-9A-F]{10}$/);
    const paused = await s.cases.get(cunA, c1.case);
    expect(paused.state).toBe("paused");
    expect(paused.status).toBe("paused");
    expect(paused.can).toContain("resolve_objection");
    expect(paused.objections).toEqual([
      expect.objectContaining({ receipt, status: "open", content: "该户家中有小轿车，收入不低" }),
    ]);
    expect(JSON.stringify(paused)).not.toContain("13800138000");
    expect(
      (await failure(s.cases.object(VILLAGE_B, { batch: batch.id, seq: 1, content: "不属实啊啊" })))
        .code,
    ).toBe("notice_not_found");

    // After the period: the other case goes on; the paused one waits for the resolution.
    setDay("2026-07-06");
    expect((await s.cases.advance(cunA, c2.case)).state).toBe("review");
    expect((await failure(s.cases.advance(cunA, c1.case))).code).toBe("case_paused");
    expect(
      (await failure(s.cases.object(VILLAGE_A, { batch: batch.id, seq: 2, content: "公示期已过" })))
        .code,
    ).toBe("notice_not_active");
    const objectionId = paused.objections[0]!.id;
    expect(
      (
        await failure(
          s.cases.resolveObjection(cunB, objectionId, {
            outcome: "dismissed",
            resolution: "越权处理",
          }),
        )
      ).kind,
    ).toBe("not_found");
    const resumed = await s.cases.resolveObjection(cunA, objectionId, {
      outcome: "dismissed",
      resolution: "经核实，车辆为亲属所有，不影响认定",
    });
    expect(resumed!.state).toBe("notice");
    expect(resumed!.objections[0]).toMatchObject({ status: "resolved", outcome: "dismissed" });
    expect((await s.cases.advance(cunA, c1.case)).state).toBe("review");

    for (const c of [c1, c2])
      expect((await s.cases.advance(xiangA, c.case)).state).toBe("approval");
    // The county's work list shows them at approval; the village cannot approve.
    const worklist = await s.cases.list(xian, { status: "open", step: "approval", limit: 50 });
    expect(worklist.items.map((i) => i.case).sort()).toEqual([c1.case, c2.case].sort());
    expect((await failure(s.cases.approveMany(cunA, [c1.case]))).kind).toBe("not_allowed");
    await s.cases.approveMany(xian, [c1.case, c2.case], { comment: "县防返贫领导小组会议审定" });
    expect((await s.cases.get(xian, c1.case)).decidedOn).toBe("2026-07-06");
    const untouched = await s.registry.get(SYSTEM_ACTOR, no(h1));
    expect(untouched.household.monitoringCategory).toBeNull();

    await s.cases.announceMany(xian, [c1.case, c2.case]);
    const done = await s.cases.get(cunA, c1.case);
    expect(done.state).toBe("completed");
    expect(done.steps.map((x) => [x.step, x.state, x.actor])).toEqual([
      ["visit", "done", "cunA"],
      ["consent", "done", "cunA"],
      ["comparison", "done", "cunA"],
      ["deliberation", "done", "cunA"],
      ["notice", "done", "cunA"],
      ["review", "done", "xiangA"],
      ["approval", "done", "xian"],
      ["announcement", "done", "xian"],
    ]);
    const monitored = await s.registry.get(SYSTEM_ACTOR, no(h1));
    expect(monitored.household).toMatchObject({
      monitoringCategory: "marginal",
      riskFactors: ["illness"],
      identifiedMonth: "2026-07",
      riskEliminated: false,
    });
    const history = await s.registry.history(SYSTEM_ACTOR, no(h1));
    expect(history[0]).toMatchObject({ source: "case", sourceRef: c1.case, actor: "xian" });
    expect(history[0]!.changes.map((c) => c.field)).toContain("monitoringCategory");
    // The rows are still the projection of the events.
    const replayed = await s.registry.replayed(no(h1));
    expect(replayed!.household.monitoringCategory).toBe("marginal");

    // The announcement (公告) is public for the village.
    const announced = (await s.cases.publicNotices(VILLAGE_A))!.batches.find(
      (b) => b.kind === "announcement",
    )!;
    expect(announced.title).toMatch(/识别结果的公告$/);
    expect(announced.issuer).toBe("安远县乡村振兴局");
    expect(announced.entries.map((e) => e.headName)).toEqual(["张701", "张702"]);
  });

  it("refuses risk elimination with its reasons and allows it when the conditions hold", async () => {
    setDay("2026-07-10");
    const h = household(VILLAGE_A, { seed: 711 });
    Object.assign(h.household, {
      monitoringCategory: "marginal",
      riskFactors: ["illness"],
      identifiedMonth: "2026-03",
      riskEliminated: false,
      wageIncome: 100_000,
      dangerousHouse: true,
      safeWater: false,
    });
    await create(h);
    const refused = await failure(
      s.cases.open(cunA, { householdNumber: no(h), type: "risk_elimination" }),
    );
    expect(refused.code).toBe("case_refused");
    expect(refused.detail?.reasons).toEqual(
      expect.arrayContaining([
        "识别监测未满 6 个月",
        "人均纯收入未稳定高于监测范围（7500 元）",
        "住房安全未保障（危房或鉴定为 C、D 级）",
        "饮水安全未保障",
      ]),
    );
    const check = await s.cases.check(cunA, no(h), "risk_elimination");
    expect(check.ok).toBe(false);
    expect(check.reasons).toEqual(refused.detail?.reasons);

    await update(h, {
      identifiedMonth: "2025-12",
      wageIncome: 2_400_000,
      dangerousHouse: false,
      safeWater: true,
    });
    expect((await s.cases.check(cunA, no(h), "risk_elimination")).reasons).toEqual([]);
    const c = await s.cases.open(cunA, {
      householdNumber: no(h),
      type: "risk_elimination",
      eliminationMethod: "assisted",
    });
    expect(c.steps.map((x) => x.step)).toEqual([
      "visit",
      "deliberation",
      "notice",
      "review",
      "approval",
      "announcement",
    ]);
    await s.cases.advance(cunA, c.case);
    await s.cases.advance(cunA, c.case);
    const posted = await s.cases.advance(cunA, c.case); // posts the notice alone
    expect(posted.state).toBe("notice");
    expect(posted.notice).toMatchObject({
      startsOn: "2026-07-10",
      endsOn: "2026-07-14",
      over: false,
    });
    setDay("2026-07-15");
    await s.cases.advance(cunA, c.case);
    await s.cases.advance(xiangA, c.case);

    // Conditions are checked again at the decision: water broke down meanwhile.
    await update(h, { safeWater: false });
    const again = await failure(s.cases.advance(xian, c.case));
    expect(again.code).toBe("guard_failed");
    // The rule the sweep raised for it counts too (an open risk signal).
    expect(again.detail?.reasons).toEqual([
      "饮水安全未保障",
      "仍有未消除的风险预警：未解决安全饮用水",
    ]);
    await update(h, { safeWater: true });
    await s.cases.advance(xian, c.case);
    await s.cases.advance(xian, c.case, { to: "completed" });
    const eliminated = await s.registry.get(SYSTEM_ACTOR, no(h));
    expect(eliminated.household).toMatchObject({
      riskEliminated: true,
      eliminatedMonth: "2026-07",
      eliminationMethod: "assisted",
    });
  });

  it("refuses elimination without labour capacity and moves the household to the safety net", async () => {
    setDay("2026-07-20");
    const h = household(VILLAGE_A, { seed: 721 });
    Object.assign(h.household, {
      monitoringCategory: "unstable",
      householdType: "formerly_poor",
      riskFactors: ["lack_of_labor"],
      identifiedMonth: "2025-06",
      riskEliminated: false,
    });
    for (const m of h.members) m.laborSkill = "none";
    await create(h);
    const refused = await failure(
      s.cases.open(cunA, { householdNumber: no(h), type: "risk_elimination" }),
    );
    expect(refused.detail?.reasons).toEqual([
      "整户无劳动能力，不能风险消除；应继续监测并可通过“纳入兜底保障”落实兜底措施",
      "仍有未消除的风险预警：脱贫户或监测对象整户无劳动能力但未纳入兜底保障",
    ]);
    const c = await s.cases.open(cunA, { householdNumber: no(h), type: "safety_net" });
    await s.cases.advance(cunA, c.case);
    await s.cases.advance(xiangA, c.case);
    expect((await s.cases.advance(xian, c.case)).state).toBe("completed");
    const after = await s.registry.get(SYSTEM_ACTOR, no(h));
    expect(after.household).toMatchObject({ safetyNet: true, riskEliminated: false });
    // The signal that asked for it is resolved by the same change.
    const id = (await s.registry.idOf(no(h)))!;
    expect((await s.monitoring.openSignals(id, VILLAGE_A)).map((x) => x.rule)).not.toContain(
      "labor.none_without_safety_net",
    );
  });

  it("sends a step back with a reason and shows it in the log", async () => {
    setDay("2026-08-01");
    const h = household(VILLAGE_A, { seed: 731 });
    await create(h);
    const c = await s.cases.open(cunA, {
      householdNumber: no(h),
      type: "identification",
      category: "sudden_hardship",
      riskFactors: ["disaster"],
      greenChannel: true,
    });
    expect(c).toMatchObject({ greenChannel: true, assistanceStartedOn: "2026-08-01" });
    await s.cases.advance(cunA, c.case);
    await s.cases.advance(cunA, c.case);
    expect((await failure(s.cases.sendBack(cunA, c.case, { reason: "" }))).code).toBe(
      "request_invalid",
    );
    const back = await s.cases.sendBack(cunA, c.case, { reason: "承诺书未签字，重新入户" });
    expect(back.state).toBe("consent");
    const twice = await s.cases.advance(cunA, c.case, { to: "visit", comment: "补充入户照片" });
    expect(twice.state).toBe("visit");
    expect(
      twice.log.filter((e) => e.action === "sent_back").map((e) => [e.step, e.comment]),
    ).toEqual([
      ["comparison", "承诺书未签字，重新入户"],
      ["consent", "补充入户照片"],
    ]);
    expect(twice.steps.map((x) => x.state)).toEqual([
      "active",
      "pending",
      "pending",
      "pending",
      "pending",
      "pending",
      "pending",
      "pending",
    ]);
    // Green channel needs a disaster or an accident.
    const h2 = household(VILLAGE_A, { seed: 732 });
    await create(h2);
    expect(
      (
        await failure(
          s.cases.open(cunA, {
            householdNumber: no(h2),
            type: "identification",
            category: "marginal",
            riskFactors: ["illness"],
            greenChannel: true,
          }),
        )
      ).code,
    ).toBe("green_channel");
    // A formerly poor household is not 边缘易致贫户.
    const poor = household(VILLAGE_A, { seed: 730 }); // seed % 10 == 0: formerly poor
    await create(poor);
    const wrong = await failure(
      s.cases.open(cunA, {
        householdNumber: no(poor),
        type: "identification",
        category: "marginal",
        riskFactors: ["illness"],
      }),
    );
    expect(wrong.detail?.reasons).toEqual(["脱贫户应识别为脱贫不稳定户或突发严重困难户"]);
  });

  it("keeps cases within the actor's villages and lists overdue ones", async () => {
    setDay("2026-08-10");
    const h = household(VILLAGE_A, { seed: 741 });
    await create(h);
    const c = await s.cases.open(cunA, {
      householdNumber: no(h),
      type: "deregistration",
      deregistrationReason: "moved_away",
      leadDate: "2026-08-01",
    });
    expect(c.deadline).toBe("2026-08-16");
    expect((await failure(s.cases.get(cunB, c.case))).kind).toBe("not_found");
    expect((await failure(s.cases.advance(cunB, c.case))).kind).toBe("not_found");
    expect((await failure(s.cases.sendBack(cunB, c.case, { reason: "越权退回" }))).kind).toBe(
      "not_found",
    );
    expect((await s.cases.list(cunB, { status: "all", limit: 500 })).items).toEqual([]);
    expect(
      (await s.cases.list(cunB, { status: "all", limit: 500, region: VILLAGE_A })).items,
    ).toEqual([]);
    expect(
      (
        await failure(
          s.cases.open(cunB, {
            householdNumber: no(h),
            type: "deregistration",
            deregistrationReason: "death",
          }),
        )
      ).kind,
    ).toBe("not_found");
    expect((await failure(s.cases.approveMany(xian, [c.case, "360726-2026-999999"]))).kind).toBe(
      "not_found",
    );
    expect(
      (await s.cases.list(xiangA, { status: "open", limit: 500 })).items.map((i) => i.case),
    ).toContain(c.case);

    // Work lists: the cases at a step the user's role completes.
    const work = async (who: Actor) =>
      (await s.cases.list(who, { status: "open", mine: "true", limit: 500 })).items.map(
        (i) => i.case,
      );
    expect(await work(cunA)).toContain(c.case);
    expect(await work(xian)).not.toContain(c.case);
    expect(
      (await s.cases.list(xian, { status: "open", step: "review,visit", limit: 500 })).items.map(
        (i) => i.case,
      ),
    ).toContain(c.case);

    setDay("2026-08-17");
    const overdue = await s.cases.list(xian, { status: "open", overdue: "true", limit: 500 });
    expect(overdue.items.find((i) => i.case === c.case)).toMatchObject({ overdue: true });
    await s.cases.advance(cunA, c.case);
    expect(await work(cunA)).not.toContain(c.case);
    expect(await work(xiangA)).toContain(c.case);
    await s.cases.advance(xiangA, c.case);
    await s.cases.advance(xian, c.case);
    expect((await s.registry.get(SYSTEM_ACTOR, no(h))).household.householdType).toBe(
      "deregistered",
    );
    const closed = await s.cases.list(xian, { status: "open", overdue: "true", limit: 500 });
    expect(closed.items.map((i) => i.case)).not.toContain(c.case);
  });

  it("transfers a household to another village on approval and corrects records", async () => {
    setDay("2026-09-01");
    const h = household(VILLAGE_A, { seed: 751 });
    await create(h);
    const t = await s.cases.open(cunA, {
      householdNumber: no(h),
      type: "transfer",
      targetVillage: VILLAGE_B,
    });
    await s.cases.advance(cunA, t.case);
    await s.cases.advance(xiangA, t.case);
    await s.cases.advance(xian, t.case);
    expect((await s.registry.get(SYSTEM_ACTOR, no(h))).household.villageCode).toBe(VILLAGE_B);
    // The case stays with the village that opened it.
    expect((await s.cases.get(cunA, t.case)).state).toBe("completed");

    const c = await s.cases.open(cunB, {
      householdNumber: no(h),
      type: "correction",
      corrections: { groupName: "第9组", houseArea: 120 },
    });
    await s.cases.advance(cunB, c.case);
    await s.cases.advance(actor(5, "xiangB", "town", VILLAGE_B.slice(0, 9)), c.case);
    await s.cases.advance(xian, c.case);
    expect((await s.registry.get(SYSTEM_ACTOR, no(h))).household).toMatchObject({
      groupName: "第9组",
      houseArea: 120,
    });
    expect(
      (
        await failure(
          s.cases.open(cunB, {
            householdNumber: no(h),
            type: "correction",
            corrections: { villageCode: VILLAGE_A },
          }),
        )
      ).code,
    ).toBe("correction_identity");
  });

  it("stores attachments through the file store, checking size and type", async () => {
    setDay("2026-09-10");
    const h = household(VILLAGE_A, { seed: 761 });
    await create(h);
    const c = await s.cases.open(cunA, {
      householdNumber: no(h),
      type: "identification",
      category: "marginal",
      riskFactors: ["schooling"],
    });
    const { id } = await s.cases.attach(cunA, c.case, {
      kind: "visit_photo",
      name: "入户照片.png",
      mime: "image/png",
      data: PNG,
    });
    expect((await s.cases.get(cunA, c.case)).attachments).toEqual([
      expect.objectContaining({
        id,
        kind: "visit_photo",
        name: "入户照片.png",
        size: PNG.length,
        step: "visit",
      }),
    ]);
    expect((await s.cases.attachment(xian, id)).data.equals(PNG)).toBe(true);
    expect((await failure(s.cases.attachment(cunB, id))).kind).toBe("not_found");
    const bad = (mime: string, data: Buffer) =>
      failure(s.cases.attach(cunA, c.case, { kind: "other", name: "x", mime, data }));
    expect((await bad("image/png", Buffer.from("not a png"))).code).toBe("attachment_mismatch");
    expect((await bad("text/html", Buffer.from("<p>"))).code).toBe("attachment_type");
    expect((await bad("image/png", Buffer.alloc(11 * 1024 * 1024, 0x89))).code).toBe(
      "attachment_too_large",
    );
  });
});
