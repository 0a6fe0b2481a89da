import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { household, VILLAGE_A, VILLAGE_B } from "../../../test/factories.ts";
import { AppError } from "../../core/errors.ts";
import { parseRule } from "../../core/rules/ast.ts";
import { checkRule } from "../../core/rules/check.ts";
import { compileJs } from "../../core/rules/js.ts";
import { compileSql } from "../../core/rules/sql.ts";
import { createServices, type Services } from "../../server/services.ts";
import { type Actor, SYSTEM_ACTOR } from "../auth/index.ts";
import { localFileStore } from "../cases/index.ts";
import { createColumnarRepository } from "../monitoring/columnar.repository.ts";
import { ColumnarSnapshot } from "../monitoring/columnar.ts";
import type { CreateHouseholdInput } from "../registry/index.ts";

const actor = (id: number, username: string, role: Actor["role"], regionCode: string): Actor => ({
  id,
  username,
  displayName: username,
  role,
  regionCode,
});
const cunA = actor(1, "cunA", "village", VILLAGE_A);
const xiangB = actor(2, "xiangB", "town", VILLAGE_B.slice(0, 9));
const xian = actor(3, "xian", "county", "360726");

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);

/** A monitored household (边缘易致贫户) with the given risk factors. */
function monitored(village: string, seed: number, risks: string[]): CreateHouseholdInput {
  const h = household(village, { seed });
  h.household.monitoringCategory = "marginal";
  h.household.riskFactors = risks;
  h.household.identifiedMonth = "2026-01";
  return h;
}

describeEachEngine("assistance", (database) => {
  let clock = new Date("2026-07-01T02:00:00Z");
  const setDay = (day: string) => {
    clock = new Date(`${day}T02:00:00Z`);
  };
  const filesDir = mkdtempSync(join(tmpdir(), "fangpin-files-"));
  let s: Services;
  let helper: Actor;
  const no = (h: CreateHouseholdInput) => h.household.householdNumber!;
  const a1 = monitored(VILLAGE_A, 801, ["illness", "lack_of_funds"]);
  const a2 = monitored(VILLAGE_A, 802, ["schooling"]);
  const a3 = household(VILLAGE_A, { seed: 803 }); // ordinary, not a target
  const b1 = monitored(VILLAGE_B, 804, ["illness"]);
  const formerlyPoor = household(VILLAGE_A, { seed: 810 }); // seed % 10 == 0: 脱贫户

  beforeAll(async () => {
    s = createServices({ database: database(), now: () => clock, files: localFileStore(filesDir) });
    await s.regions.load(SYSTEM_ACTOR, "360726");
    await s.registry.bulkCreate(SYSTEM_ACTOR, [a1, a2, a3, b1, formerlyPoor], { source: "demo" });
    const u = await s.auth.addUser(
      { username: "bangfu1", password: "correct-horse-9", role: "helper", region: "360726" },
      SYSTEM_ACTOR,
    );
    helper = actor(Number(u.id), "bangfu1", "helper", "360726");
  });
  afterAll(() => rmSync(filesDir, { recursive: true, force: true }));

  it("keeps cadres, pairs them within the policy's quota and lists households without a helper", async () => {
    setDay("2026-07-01");
    const before = await s.assistance.unpaired(xian);
    expect(before.items.map((h) => h.householdNumber).sort()).toEqual(
      [no(a1), no(a2), no(b1), no(formerlyPoor)].sort(),
    );
    // 一般干部 (staff): 3 households under 8531.
    const staff = await s.assistance.addCadre(xian, {
      name: "王帮扶",
      unit: "县农业农村局",
      rank: "staff",
      phone: "13800000001",
      username: "bangfu1",
    });
    expect(staff).toMatchObject({ rankName: "一般干部", quota: 3, load: 0, username: "bangfu1" });
    const other = await s.assistance.addCadre(xian, {
      name: "赵其他",
      unit: "县供电公司",
      rank: "other",
    });
    expect(other.quota).toBe(1);
    const bad = await failure(
      s.assistance.addCadre(xian, { name: "钱", unit: "某局", rank: "mayor" }),
    );
    expect(bad).toMatchObject({ kind: "invalid_data", field: "rank", code: "rank_unknown" });
    // A village user may read but not keep cadres or pair.
    expect(
      (await failure(s.assistance.addCadre(cunA, { name: "孙", unit: "某局", rank: "staff" })))
        .kind,
    ).toBe("not_allowed");
    expect(
      (await failure(s.assistance.pair(cunA, { cadreId: staff.id, householdNumber: no(a1) }))).kind,
    ).toBe("not_allowed");

    const p = await s.assistance.pair(xian, { cadreId: staff.id, householdNumber: no(a1) });
    expect(p).toEqual({ pairing: expect.any(String), cadre: String(staff.id), household: no(a1) });
    await s.assistance.pair(xian, { cadreId: staff.id, householdNumber: no(a2) });
    await s.assistance.pair(xian, { cadreId: staff.id, householdNumber: no(b1) });
    // The fourth is over the quota of 3, with the reason in Chinese; nothing written.
    const over = await failure(
      s.assistance.pair(xian, { cadreId: staff.id, householdNumber: no(formerlyPoor) }),
    );
    expect(over).toMatchObject({ kind: "invalid_data", code: "over_quota" });
    expect(over.message).toContain("一般干部最多结对帮扶 3 户");
    expect((await s.assistance.cadre(xian, staff.id)).cadre.load).toBe(3);
    expect((await s.assistance.unpaired(xian)).items.map((h) => h.householdNumber)).toEqual([
      no(formerlyPoor),
    ]);
    // A town user of the other town cannot pair a household of village A.
    expect(
      (await failure(s.assistance.pair(xiangB, { cadreId: other.id, householdNumber: no(a3) })))
        .kind,
    ).toBe("not_found");

    // Re-pairing: the household gets the other cadre, the first pairing ends as replaced.
    await s.assistance.pair(xian, { cadreId: other.id, householdNumber: no(b1), reason: "调整" });
    const plan = await s.assistance.plan(xian, no(b1));
    expect(plan.helper?.name).toBe("赵其他");
    expect(plan.pairings.map((x) => [x.cadreName, x.endReason])).toEqual([
      ["王帮扶", "replaced"],
      ["赵其他", null],
    ]);
    expect((await s.assistance.cadre(xian, staff.id)).cadre.load).toBe(2);
  });

  it("keeps measures from the policy catalogue and lets a helper work only their households", async () => {
    setDay("2026-07-02");
    const m = await s.assistance.addMeasure(xian, no(a1), {
      code: "health.medical_assistance",
      amountFen: 120_000,
      date: "2026-07-02",
      status: "delivered",
    });
    expect(m).toMatchObject({
      category: "健康帮扶",
      name: "医疗救助",
      developmentType: false,
      amountFen: 120_000,
      status: "delivered",
    });
    const unknown = await failure(
      s.assistance.addMeasure(xian, no(a1), {
        code: "magic.money",
        date: "2026-07-02",
        status: "planned",
      }),
    );
    expect(unknown).toMatchObject({ kind: "invalid_data", field: "code" });
    const badDate = await failure(
      s.assistance.addMeasure(xian, no(a1), {
        code: "finance.microloan",
        date: "2026-02-30",
        status: "planned",
      }),
    );
    expect(badDate.field).toBe("date");
    // The helper is paired with a1 and a2, not with b1 (re-paired) nor with the unpaired one.
    const dev = await s.assistance.addMeasure(helper, no(a2), {
      code: "employment.migrant",
      amountFen: 0,
      date: "2026-07-02",
      status: "planned",
    });
    expect(dev.developmentType).toBe(true);
    expect(
      (
        await failure(
          s.assistance.addMeasure(helper, no(b1), {
            code: "social.help",
            date: "2026-07-02",
            status: "planned",
          }),
        )
      ).code,
    ).toBe("not_paired_helper");
    const updated = await s.assistance.updateMeasure(xian, dev.id, {
      status: "delivered",
      amountFen: 50_000,
    });
    expect(updated).toMatchObject({ status: "delivered", amountFen: 50_000 });
    expect((await s.assistance.measures(xian, no(a2))).map((x) => x.code)).toEqual([
      "employment.migrant",
    ]);
    // The village user of A cannot see B's measures.
    expect((await failure(s.assistance.measures(cunA, no(b1)))).kind).toBe("not_found");
  });

  it("records visits with a photo and lists who is overdue under the policy's frequency", async () => {
    setDay("2026-07-10");
    const measures = await s.assistance.measures(xian, no(a1));
    const v = await s.assistance.recordVisit(
      helper,
      no(a1),
      { visitedOn: "2026-07-10", notes: "了解看病报销情况", measureIds: [measures[0]!.id] },
      { mime: "image/png", data: PNG },
    );
    const plan = await s.assistance.plan(helper, no(a1));
    expect(plan.visits).toEqual([
      expect.objectContaining({
        id: v.id,
        hasPhoto: true,
        cadreName: "王帮扶",
        measureIds: [measures[0]!.id],
      }),
    ]);
    expect((await s.assistance.visitPhoto(xian, v.id)).data.equals(PNG)).toBe(true);
    // A measure of another household, a photo that is not what it says, a future date: refused.
    const other = (await s.assistance.measures(xian, no(a2)))[0]!.id;
    expect(
      (
        await failure(
          s.assistance.recordVisit(helper, no(a1), {
            visitedOn: "2026-07-10",
            notes: "x",
            measureIds: [other],
          }),
        )
      ).field,
    ).toBe("measureIds");
    expect(
      (
        await failure(
          s.assistance.recordVisit(
            helper,
            no(a1),
            { visitedOn: "2026-07-10", notes: "x" },
            {
              mime: "image/jpeg",
              data: PNG,
            },
          ),
        )
      ).code,
    ).toBe("attachment_mismatch");
    expect(
      (
        await failure(
          s.assistance.recordVisit(helper, no(a1), { visitedOn: "2026-07-11", notes: "x" }),
        )
      ).field,
    ).toBe("visitedOn");
    expect((await s.assistance.plan(xian, no(a1))).visits).toHaveLength(1);

    // Every 15 days (policy): on 07-17 nobody is overdue (pairings began 07-01).
    setDay("2026-07-16");
    expect((await s.assistance.overdue(xian)).items).toEqual([]);
    // On 07-17 a2 and b1 (never visited since 07-01) are overdue; a1 (visited 07-10) not yet.
    setDay("2026-07-17");
    const o = await s.assistance.overdue(xian);
    expect(o.everyDays).toBe(15);
    expect(o.items.map((i) => [i.householdNumber, i.lastVisit, i.dueOn])).toEqual([
      [no(a2), null, "2026-07-16"],
      [no(b1), null, "2026-07-16"],
    ]);
    setDay("2026-07-26");
    expect(
      (await s.assistance.overdue(xian)).items.map((i) => [i.householdNumber, i.dueOn]),
    ).toEqual([
      [no(a2), "2026-07-16"],
      [no(b1), "2026-07-16"],
      [no(a1), "2026-07-25"],
    ]);
    // The helper's own list, and the village user sees only village A (b1 paired, not visited).
    const mine = await s.assistance.mine(helper);
    expect(mine.items.map((i) => [i.householdNumber, i.overdue])).toEqual([
      [no(a1), true],
      [no(a2), true],
    ]);
    const overdueB = (await s.assistance.overdue(xian)).items.some(
      (i) => i.householdNumber === no(b1),
    );
    expect(overdueB).toBe(true);
    expect((await s.assistance.overdue(cunA)).items.every((i) => i.villageCode === VILLAGE_A)).toBe(
      true,
    );
  });

  it("ends pairings when a cadre leaves and lists the households to re-pair", async () => {
    setDay("2026-08-01");
    const staff = (await s.assistance.cadres(xian)).find((c) => c.name === "王帮扶")!;
    const changed = await s.assistance.updateCadre(xian, staff.id, { status: "transferred" });
    expect(changed.pairingsEnded).toBe(2);
    expect(changed.cadre).toMatchObject({ status: "transferred", load: 0 });
    const work = await s.assistance.repairWorklist(xian);
    expect(work.items.map((i) => [i.householdNumber, i.reason, i.formerCadre])).toEqual([
      [no(a1), "cadre_transferred", "王帮扶"],
      [no(a2), "cadre_transferred", "王帮扶"],
    ]);
    expect(
      (await failure(s.assistance.pair(xian, { cadreId: staff.id, householdNumber: no(a1) }))).code,
    ).toBe("cadre_inactive");
    const next = await s.assistance.addCadre(xian, {
      name: "周新",
      unit: "县教育局",
      rank: "section_level",
    });
    await s.assistance.pair(xian, { cadreId: next.id, householdNumber: no(a1) });
    expect((await s.assistance.repairWorklist(xian)).items.map((i) => i.householdNumber)).toEqual([
      no(a2),
    ]);
    const audit = await database()
      .db.selectFrom("audit_log")
      .select("action")
      .where("action", "like", "cadre.%")
      .execute();
    expect(audit.map((a) => a.action)).toContain("cadre.update");
  });

  it("records work-team attendance against the policy minimum in a monthly village report", async () => {
    setDay("2026-08-05");
    const { id } = await s.assistance.addTeamMember(cunA, {
      village: VILLAGE_A,
      name: "陈书记",
      unit: "县财政局",
      role: "first_secretary",
      phone: "13800000009",
    });
    const { id: id2 } = await s.assistance.addTeamMember(cunA, {
      village: VILLAGE_A,
      name: "林队员",
      unit: "县财政局",
      role: "member",
    });
    expect(
      (
        await failure(
          s.assistance.addTeamMember(cunA, {
            village: VILLAGE_B,
            name: "x",
            unit: "y",
            role: "member",
          }),
        )
      ).kind,
    ).toBe("not_allowed");
    await s.assistance.recordAttendance(cunA, id, { month: "2026-07", days: 22, leaderVisits: 1 });
    const report = await s.assistance.recordAttendance(cunA, id2, { month: "2026-07", days: 18 });
    expect(report.minDays).toBe(20);
    expect(report.members.map((m) => [m.name, m.days, m.belowMinimum])).toEqual([
      ["陈书记", 22, false],
      ["林队员", 18, true],
    ]);
    // Re-recording replaces the month's figure.
    const again = await s.assistance.recordAttendance(cunA, id2, { month: "2026-07", days: 21 });
    expect(again.members[1]).toMatchObject({ days: 21, belowMinimum: false });
    expect(
      (await failure(s.assistance.recordAttendance(cunA, id2, { month: "2026-06", days: 31 })))
        .code,
    ).toBe("days_too_many");
    // The village's July: 3 target households (a1, a2, 脱贫户), 1 paired now … as of August.
    expect(report).toMatchObject({
      village: VILLAGE_A,
      month: "2026-07",
      households: 3,
      visits: 1,
      measuresDelivered: 2,
      amountDeliveredFen: 170_000,
    });
    expect(report.paired).toBe(1);
    expect((await failure(s.assistance.teamReport(cunA, VILLAGE_B, "2026-07"))).kind).toBe(
      "not_found",
    );
  });

  it("computes coverage of risk factors and development-type measures per region", async () => {
    setDay("2026-08-10");
    // a1: illness (健康帮扶 measure) and lack_of_funds (none yet); labour, no development measure.
    // a2: schooling (no 教育帮扶), development measure delivered. b1: illness, no measures.
    let c = await s.assistance.coverage(xian);
    expect(c).toMatchObject({ monitored: 3, riskCovered: 0, withLabour: 3, developmentCovered: 1 });
    expect(c.byRisk).toEqual([
      { risk: "illness", households: 2, covered: 1 },
      { risk: "lack_of_funds", households: 1, covered: 0 },
      { risk: "schooling", households: 1, covered: 0 },
    ]);
    const gap = c.gaps.find((g) => g.householdNumber === no(a1))!;
    expect(gap).toMatchObject({ missingRisks: ["lack_of_funds"], missingDevelopment: true });
    // A microloan answers lack_of_funds (金融帮扶) and is development-type: a1 is covered.
    await s.assistance.addMeasure(xian, no(a1), {
      code: "finance.microloan",
      amountFen: 5_000_000,
      date: "2026-08-10",
      status: "delivered",
    });
    c = await s.assistance.coverage(xian);
    expect(c).toMatchObject({ riskCovered: 1, developmentCovered: 2, riskCoverage: 0.3333 });
    expect(c.gaps.map((g) => g.householdNumber).sort()).toEqual([no(a2), no(b1)].sort());
    // A stopped measure answers nothing.
    const loan = (await s.assistance.measures(xian, no(a1))).find(
      (m) => m.code === "finance.microloan",
    )!;
    await s.assistance.updateMeasure(xian, loan.id, { status: "stopped" });
    expect((await s.assistance.coverage(xian)).riskCovered).toBe(0);
    // The village user sees their village only; another region is refused.
    const own = await s.assistance.coverage(cunA);
    expect(own.monitored).toBe(2);
    expect(own.gaps.every((g) => g.villageCode === VILLAGE_A)).toBe(true);
    expect((await failure(s.assistance.coverage(cunA, VILLAGE_B))).kind).toBe("not_found");
  });

  it("gives rules the household's assistance facts, the same in SQL and in JS", async () => {
    setDay("2026-08-10");
    const d = database();
    const snapshot = await ColumnarSnapshot.load(createColumnarRepository(d.db), ["36", "37"]);
    // a1: a delivered 健康帮扶 and a stopped microloan; a2: a development measure; b1: none.
    const rules = {
      "h.measureCount >= 1": [no(a1), no(a2)],
      "h.measureCount > 0 && h.developmentMeasureCount == 0": [no(a1)],
      "h.developmentMeasureCount == 1": [no(a2)],
      "h.helperCount == 0 && h.monitored": [no(a2)],
      "h.helperCount == 1": [no(a1), no(b1)],
    };
    for (const [text, expected] of Object.entries(rules)) {
      const checked = checkRule(parseRule(text), {});
      const where = compileSql(checked, { engine: d.engine, params: {}, today: "2026-08-10" });
      const viaSql = await sql<{
        n: string;
      }>`SELECT household_number AS n FROM households h WHERE ${sql.raw(where)} ORDER BY household_number`.execute(
        d.db,
      );
      expect(
        viaSql.rows.map((r) => r.n),
        text,
      ).toEqual(expected.sort());
      const rule = compileJs(checked, { params: {}, today: "2026-08-10" });
      expect(await snapshot.ensure(rule.needs)).toEqual([]);
      const out = new Uint8Array(snapshot.rows);
      rule.bind(snapshot).run(out);
      const ids = new Set<number>();
      for (let r = 0; r < snapshot.rows; r++) if (out[r] === 2) ids.add(snapshot.ids[r]!);
      const numbers = await d.db
        .selectFrom("households")
        .select(["id", "household_number"])
        .execute();
      const viaJs = numbers
        .filter((h) => ids.has(Number(h.id)))
        .map((h) => h.household_number)
        .sort();
      expect(viaJs, text).toEqual(expected.sort());
    }
  });
});

describeEachEngine("assistance and signals", (database) => {
  it("a measure recorded resolves 'no measure' at once, and the next sweep agrees", async () => {
    const s = createServices({
      database: database(),
      now: () => new Date("2026-07-01T02:00:00Z"),
      files: localFileStore(mkdtempSync(join(tmpdir(), "fangpin-files-"))),
    });
    await s.regions.load(SYSTEM_ACTOR, "360726");
    const h = monitored(VILLAGE_A, 820, ["illness"]);
    await s.registry.bulkCreate(SYSTEM_ACTOR, [h], { source: "demo" });
    const noMeasure = () =>
      database()
        .db.selectFrom("signals")
        .select("status")
        .where("rule_id", "=", "assistance.no_measure")
        .execute()
        .then((rows) => rows.map((r) => r.status));
    await s.monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    expect(await noMeasure()).toEqual(["open"]);

    await s.assistance.addMeasure(xian, h.household.householdNumber!, {
      code: "health.medical_assistance",
      amountFen: 50_000,
      date: "2026-07-01",
      status: "delivered",
    });
    expect(await noMeasure()).toEqual(["resolved"]);
    const again = await s.monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    expect(again.openedByRule["assistance.no_measure"]).toBe(0);
    expect(await noMeasure()).toEqual(["resolved"]);
  });
});
