/**
 * Loading department feeds on both engines: the shipped samples match the sample households,
 * re-loading changes nothing, a corrected file supersedes (by row key and by period), a bad
 * file writes nothing and names each fault's row and column, and scope limits the matching.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine, type TestDatabase } from "../../../test/engines.ts";
import { idOf, PEOPLE, STRANGER, sampleHouseholds } from "../../../test/feed-samples.ts";
import { type Actor, SYSTEM_ACTOR } from "../auth/index.ts";
import { createMonitoringService } from "../monitoring/index.ts";
import { createPolicyService } from "../policy/index.ts";
import { createRegionsService } from "../regions/index.ts";
import { createRegistryService } from "../registry/index.ts";
import { createFeedsService } from "./feeds.service.ts";

const SAMPLES = new URL("../../../docs/formats/samples/", import.meta.url);
const sample = (type: string) => new URL(`${type}.csv`, SAMPLES).pathname;
const dir = mkdtempSync(join(tmpdir(), "fangpin-feeds-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const write = (text: string) => {
  const path = join(dir, `f${++fileNo}.csv`);
  writeFileSync(path, text);
  return path;
};

const NOW = new Date("2026-11-20T02:00:00Z");
const policies = createPolicyService();
const TYPES = Object.keys(policies.forRegion("360726", 2026).feeds);

const departmentOf = (region: string): Actor => ({
  id: null,
  username: `dept-${region}`,
  displayName: "部门数据专员",
  role: "department",
  regionCode: region,
});

function services(database: TestDatabase) {
  const deps = { db: database.db, engine: database.engine, now: () => NOW };
  return {
    registry: createRegistryService(deps),
    regions: createRegionsService(deps),
    feeds: createFeedsService({ ...deps, policies }),
  };
}

async function count(database: TestDatabase, table: "facts" | "feed_loads" | "feed_rows") {
  const row = await database.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describeEachEngine("feed loads", (database) => {
  let s: ReturnType<typeof services>;

  beforeAll(async () => {
    s = services(database());
    await s.regions.load(SYSTEM_ACTOR, "360726");
    await s.registry.bulkCreate(SYSTEM_ACTOR, sampleHouseholds(), { source: "demo" });
  });

  it("ships twelve feed types, each with a sample that loads with one unmatched row", async () => {
    expect(TYPES.sort()).toEqual(
      [
        "civil_affairs",
        "company",
        "death",
        "disability",
        "education",
        "emergency",
        "employment",
        "housing",
        "medical",
        "payroll",
        "property",
        "vehicle",
      ].sort(),
    );
    const county = departmentOf("360726");
    for (const type of TYPES) {
      const lines = readFileSync(sample(type), "utf8").trim().split("\n");
      const dataRows = lines.length - (type === "medical" ? 2 : 1);
      const r = await s.feeds.load(county, type, sample(type));
      expect(r.errors, type).toEqual([]);
      expect(
        { rows: r.rows, matched: r.matched, unmatched: r.unmatched, ambiguous: r.ambiguous },
        type,
      ).toEqual({ rows: dataRows, matched: dataRows - 1, unmatched: 1, ambiguous: 0 });
      expect(r.facts, type).toEqual({ created: dataRows - 1, unchanged: 0, superseded: 0 });
      expect(r.committed).toBe(true);
    }
    const unmatched = await database()
      .db.selectFrom("feed_rows")
      .select(["id_number", "outcome", "reason"])
      .execute();
    expect(new Set(unmatched.map((u) => u.id_number))).toEqual(new Set([idOf(STRANGER)]));
    expect(unmatched).toHaveLength(12);

    const fact = await database()
      .db.selectFrom("facts")
      .selectAll()
      .where("feed_type", "=", "medical")
      .where("id_number", "=", idOf(PEOPLE.patient))
      .executeTakeFirstOrThrow();
    expect(JSON.parse(fact.vals)).toMatchObject({
      name: "王金华",
      settlementNumber: "JS3607262026100015",
      outOfPocket: 3_820_050,
      seriousIllness: 1,
    });
    expect(fact).toMatchObject({
      effective_from: "2026-10-09",
      row_number: 3,
      superseded_at: null,
    });
    // Its file, hash and time are its load's.
    const load = await database()
      .db.selectFrom("feed_loads")
      .selectAll()
      .where("id", "=", fact.load_id)
      .executeTakeFirstOrThrow();
    expect(load.file_name).toBe("medical.csv");
    expect(load.file_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("re-loading the same file changes nothing", async () => {
    const before = {
      facts: await count(database(), "facts"),
      loads: await count(database(), "feed_loads"),
      rows: await count(database(), "feed_rows"),
    };
    const r = await s.feeds.load(departmentOf("360726"), "medical", sample("medical"));
    expect(r.facts).toEqual({ created: 0, unchanged: 2, superseded: 0 });
    expect(r.committed).toBe(false);
    expect({
      facts: await count(database(), "facts"),
      loads: await count(database(), "feed_loads"),
      rows: await count(database(), "feed_rows"),
    }).toEqual(before);
  });

  it("a corrected row supersedes the fact with the same key, keeping the old one", async () => {
    const corrected = readFileSync(sample("medical"), "utf8").replace("38200.50", "36200.50");
    const r = await s.feeds.load(departmentOf("360726"), "medical", write(corrected), {
      fileName: "medical-corrected.csv",
    });
    expect(r.facts).toEqual({ created: 1, unchanged: 1, superseded: 1 });
    const facts = await database()
      .db.selectFrom("facts")
      .selectAll()
      .where("feed_type", "=", "medical")
      .where("id_number", "=", idOf(PEOPLE.patient))
      .orderBy("id")
      .execute();
    expect(facts).toHaveLength(2);
    expect(facts[0]!.superseded_by).toBe(facts[1]!.id);
    expect(facts[0]!.superseded_load).toBe(r.loadId);
    expect(facts[1]!.superseded_at).toBeNull();
    expect(JSON.parse(facts[1]!.vals).outOfPocket).toBe(3_620_050);
    const load = await database()
      .db.selectFrom("feed_loads")
      .select("file_name")
      .where("id", "=", facts[1]!.load_id)
      .executeTakeFirstOrThrow();
    expect(load.file_name).toBe("medical-corrected.csv");
  });

  it("a file for a reporting period ends the period's facts it no longer lists", async () => {
    const text = readFileSync(sample("civil_affairs"), "utf8")
      .split("\n")
      .filter((l) => !l.includes(idOf(PEOPLE.victim)))
      .join("\n");
    const r = await s.feeds.load(departmentOf("360726"), "civil_affairs", write(text));
    expect(r.facts).toEqual({ created: 0, unchanged: 1, superseded: 1 });
    const victim = await database()
      .db.selectFrom("facts")
      .selectAll()
      .where("feed_type", "=", "civil_affairs")
      .where("id_number", "=", idOf(PEOPLE.victim))
      .executeTakeFirstOrThrow();
    expect(victim.superseded_at).not.toBeNull();
    expect(victim.superseded_by).toBeNull();
    expect(victim.superseded_load).toBe(r.loadId);
  });

  it("a file with bad rows writes nothing and names each fault's row, column and code", async () => {
    const before = await count(database(), "facts");
    const loads = await count(database(), "feed_loads");
    const bad = `${idOf(PEOPLE.patient).slice(0, 17)}0`;
    const text = [
      "证件号码,姓名,号牌号码,车辆类型,初次登记日期,机动车状态",
      `${idOf(PEOPLE.owner)},钟建国,赣B·11111,小型轿车,2024-01-05,正常`,
      `${bad},王金华,赣B·22222,小型轿车,2024-01-05,正常`,
      `${idOf(PEOPLE.clerk)},钟海波,赣B·33333,小型轿车,2024-13-05,在用`,
      `${idOf(PEOPLE.buyer)},钟丽萍,,小型轿车,2024-01-05,正常`,
      `${idOf(PEOPLE.buyer)},钟丽萍,赣B·11111,小型轿车,2024-01-05,正常`,
    ].join("\n");
    const r = await s.feeds.load(departmentOf("360726"), "vehicle", write(text));
    expect(r.committed).toBe(false);
    expect(r.rejected).toBe(4);
    expect(r.facts).toEqual({ created: 0, unchanged: 0, superseded: 0 });
    expect(r.errors.map(({ row, column, code }) => ({ row, column, code }))).toEqual([
      { row: 3, column: "证件号码", code: "id_number_check_char" },
      { row: 4, column: "初次登记日期", code: "date_invalid" },
      { row: 4, column: "机动车状态", code: "vocab_invalid" },
      { row: 5, column: "号牌号码", code: "value_required" },
      { row: 6, column: "号牌号码", code: "duplicate_row_key" },
    ]);
    for (const e of r.errors) expect(e.message).toMatch(/[\u4e00-\u9fa5]/);
    expect(await count(database(), "facts")).toBe(before);
    expect(await count(database(), "feed_loads")).toBe(loads);
  });

  it("refuses a file without a required column or of an unknown type", async () => {
    const text = "证件号码,姓名,号牌号码,车辆类型\n360726197005050719,钟建国,赣B·1,小型轿车\n";
    await expect(s.feeds.load(SYSTEM_ACTOR, "vehicle", write(text))).rejects.toMatchObject({
      kind: "invalid_data",
      code: "columns_missing",
    });
    await expect(
      s.feeds.load(SYSTEM_ACTOR, "vehicle", write("姓名,地址\n张三,某地\n")),
    ).rejects.toMatchObject({ code: "header_not_found" });
    await expect(s.feeds.load(SYSTEM_ACTOR, "tax", sample("vehicle"))).rejects.toMatchObject({
      code: "feed_type_unknown",
    });
  });

  it("a name that differs from the registry's makes the row ambiguous, not a fact", async () => {
    const text = `证件号码,姓名,死亡日期\n${idOf(PEOPLE.owner)},钟建明,2026-10-01\n`;
    const r = await s.feeds.load(departmentOf("360726"), "death", write(text));
    expect({ matched: r.matched, ambiguous: r.ambiguous, created: r.facts.created }).toEqual({
      matched: 0,
      ambiguous: 1,
      created: 0,
    });
  });

  it("stores text with tabs, line breaks and backslashes as read; a re-load finds it unchanged", async () => {
    const diagnosis = '肺部\t感染\n复查 "C:\\病历\\2026"';
    const stranger = "周\\文\t斌";
    const csv = (d: string) =>
      [
        "证件号码,姓名,结算单号,出院日期,诊断,合规自付费用(元)",
        `${idOf(PEOPLE.patient)},王金华,JS-ESC-1,2026-11-02,"${d.replaceAll('"', '""')}",10.00`,
        `${idOf(STRANGER)},"${stranger}",JS-ESC-2,2026-11-02,"${d.replaceAll('"', '""')}",10.00`,
      ].join("\r\n");
    const county = departmentOf("360726");
    const first = await s.feeds.load(county, "medical", write(csv(diagnosis)));
    expect({ facts: first.facts, unmatched: first.unmatched }).toEqual({
      facts: { created: 1, unchanged: 0, superseded: 0 },
      unmatched: 1,
    });
    const fact = await database()
      .db.selectFrom("facts")
      .select("vals")
      .where("load_id", "=", first.loadId!)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(fact.vals).diagnosis).toBe(diagnosis);
    const row = await database()
      .db.selectFrom("feed_rows")
      .select(["name", "vals"])
      .where("load_id", "=", first.loadId!)
      .executeTakeFirstOrThrow();
    expect(row.name).toBe(stranger);
    expect(JSON.parse(row.vals).diagnosis).toBe(diagnosis);
    // Another file (one more line break) with the same rows: the stored text compares equal.
    const again = await s.feeds.load(county, "medical", write(`${csv(diagnosis)}\r\n`));
    expect(again.facts).toEqual({ created: 0, unchanged: 1, superseded: 0 });
    const corrected = await s.feeds.load(county, "medical", write(csv(`${diagnosis}\\`)));
    expect(corrected.facts).toEqual({ created: 1, unchanged: 0, superseded: 1 });
  });

  it("a large file (members read into memory) matches as the same rows in a small one", async () => {
    const people = [...Object.values(PEOPLE), STRANGER];
    const lines = (n: number) => {
      const out = ["证件号码,姓名,结算单号,出院日期,合规自付费用(元)"];
      for (let i = 0; i < n; i++) {
        const p = people[i % people.length]!;
        out.push(`${idOf(p)},${i % 7 === 3 ? "某某" : p.name},JS-BIG-${i},2026-11-03,1.00`);
      }
      return out.join("\n");
    };
    const small = 10 * people.length * 7;
    for (const actor of [departmentOf("360726"), departmentOf("360726101"), SYSTEM_ACTOR]) {
      const counts = async (n: number) => {
        const r = await s.feeds.load(actor, "medical", write(lines(n)), { dryRun: true });
        return [r.rows, r.matched, r.unmatched, r.ambiguous, r.rejected];
      };
      const few = await counts(small);
      expect(few[1], actor.username).toBeGreaterThan(0);
      expect(await counts(small * 50), actor.username).toEqual(few.map((c) => c * 50));
    }
  });

  it("matches only members inside the loader's region and refuses village users", async () => {
    const otherTown = departmentOf("360726101");
    const copy = join(dir, "medical-town.csv");
    copyFileSync(sample("medical"), copy);
    const r = await s.feeds.load(otherTown, "medical", copy, { dryRun: true });
    // 王金华 and 陈小明 live in 欣山镇 (360726100): for 孔田镇's officer they are not in the registry.
    expect({ matched: r.matched, unmatched: r.unmatched }).toEqual({ matched: 0, unmatched: 3 });
    const village: Actor = { ...otherTown, role: "village", regionCode: "360726100201" };
    await expect(s.feeds.load(village, "medical", copy)).rejects.toMatchObject({
      kind: "not_allowed",
    });
  });
});

describeEachEngine("sample feeds raise signals", (database) => {
  /** Open signals by household number: rule id → evidence. */
  const open = new Map<string, Map<string, Record<string, unknown>>>();

  beforeAll(async () => {
    const d = database();
    const s = services(d);
    await s.regions.load(SYSTEM_ACTOR, "360726");
    await s.registry.bulkCreate(SYSTEM_ACTOR, sampleHouseholds(), { source: "demo" });
    const county = departmentOf("360726");
    for (const type of TYPES) await s.feeds.load(county, type, sample(type));
    const monitoring = createMonitoringService({
      db: d.db,
      engine: d.engine,
      now: () => NOW,
      policies,
    });
    await monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    const rows = await d.db
      .selectFrom("signals")
      .innerJoin("households", "households.id", "signals.household_id")
      .select(["households.household_number as number", "signals.rule_id", "signals.evidence"])
      .where("signals.status", "=", "open")
      .where("signals.rule_id", "like", "feed.%")
      .execute();
    for (const r of rows) {
      const byRule = open.get(r.number) ?? new Map();
      byRule.set(r.rule_id, r.evidence ? JSON.parse(r.evidence) : {});
      open.set(r.number, byRule);
    }
  });

  it("raises each household's screening signals and eligibility anomalies, and no others", () => {
    const rules = (n: string) => [...(open.get(n)?.keys() ?? [])].sort();
    expect(rules("360726100201S001")).toEqual([
      "feed.medical_out_of_pocket_stay",
      "feed.medical_out_of_pocket_year",
      "feed.new_disability",
      "feed.serious_illness",
    ]);
    expect(rules("360726100201S002")).toEqual([
      "feed.job_loss",
      "feed.school_dropout",
      "feed.vehicle_owner",
    ]);
    expect(rules("360726101201S003")).toEqual([
      "feed.deceased_still_listed",
      "feed.disaster_victim",
      // 赖桂兰 is on the civil-affairs list as 特困供养, which her household does not record.
      "feed.social_assistance_not_recorded",
    ]);
    expect(rules("360726101201S004")).toEqual([
      "feed.company_owner",
      "feed.payroll_member",
      "feed.town_property",
    ]);
  });

  it("keeps the source rows of the facts as evidence", () => {
    expect(open.get("360726100201S001")!.get("feed.medical_out_of_pocket_year")).toEqual({
      months: 12,
      outOfPocket: 38_200.5,
      limit: 11_000,
      sources: "medical.csv 第 3 行",
    });
    expect(open.get("360726101201S003")!.get("feed.deceased_still_listed")).toEqual({
      count: 1,
      sources: "death.csv 第 2 行",
    });
    expect(open.get("360726100201S002")!.get("feed.vehicle_owner")).toMatchObject({
      sources: "vehicle.csv 第 2 行",
    });
  });
});
