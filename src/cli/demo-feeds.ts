/**
 * Demo department data: one file per feed type in force (医保, 残联, 民政, 教育, 住建, 应急,
 * 人社, 公安, 市场监管, 不动产, 财政, …), written as the department would send it and loaded
 * through the same `feeds.load` as an upload, so a new user of `npm start` finds comparison
 * reports, facts on household pages and the screening signals they raise.
 *
 * The rows are generated from each feed's definition in the policy (its columns, their kinds and
 * terms), so a feed type added to a policy file gets demo rows without code. They name members
 * of the demo registry, chosen at random with a fixed seed, plus a few ID numbers nobody in the
 * registry holds (the comparison report's 未匹配).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { ageOn, makeIdNumber } from "../core/id-number.ts";
import type { Database } from "../db/connect.ts";
import { type Actor, SYSTEM_ACTOR } from "../modules/auth/index.ts";
import type { FeedColumn, FeedDef } from "../modules/policy/index.ts";
import type { Services } from "../server/services.ts";

export interface DemoFeedResult {
  feedType: string;
  rows: number;
  matched: number;
  unmatched: number;
}

interface Person {
  idNumber: string;
  name: string;
  birthDate: string;
  /** Of a formerly poor or monitored household (whom the eligibility checks concern). */
  watched: boolean;
}

/** A small deterministic generator (mulberry32), so the demo is the same on every machine. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}
type Random = ReturnType<typeof random>;

/** Plausible texts for the shipped feeds' text columns, by column key; others get a serial. */
const TEXTS: Record<string, readonly string[]> = {
  hospital: ["安远县人民医院", "安远县中医院", "赣州市人民医院", "赣南医科大学第一附属医院"],
  diagnosis: ["肺恶性肿瘤", "脑梗死", "慢性肾衰竭", "股骨颈骨折", "冠心病", "2型糖尿病"],
  school: ["安远县第一中学", "安远县欣山中学", "安远县三百山中学", "安远县职业中专"],
  grade: ["七年级", "八年级", "九年级", "高一", "高二", "高三"],
  schoolYear: ["2026-2027"],
  address: ["欣山镇东门村第3组", "孔田镇下魏村第1组", "版石镇版石村第2组"],
  location: ["欣山镇濂江路88号", "欣山镇东门村第3组", "孔田镇孔田村第5组"],
  employer: ["安远县城投集团", "赣州市某电子科技有限公司", "安远县某脐橙合作社"],
  vehicleType: ["小型轿车", "轻型货车", "小型普通客车"],
  model: ["大众牌SVW7155", "江淮牌HFC1041", "五菱牌LZW6407"],
  companyName: ["安远县脐橙种植有限公司", "安远县百货店", "安远县建材经营部"],
};

/** Money ranges in yuan by column key; others 1,000–20,000. */
const MONEY: Record<string, readonly [number, number]> = {
  outOfPocket: [800, 45_000],
  totalCost: [5_000, 150_000],
  amount: [300, 900],
  loss: [1_000, 60_000],
  fees: [0, 4_000],
  capital: [30_000, 1_000_000],
  gross: [3_500, 8_000],
};

function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function cell(
  c: FeedColumn,
  def: FeedDef,
  person: Person,
  serial: number,
  today: string,
  r: Random,
): string {
  if (c.kind === "id_number") return person.idNumber;
  if (c.key === def.nameColumn) return person.name;
  switch (c.kind) {
    case "date":
      return addDays(today, -r.int(5, 300));
    case "month":
      return addDays(today, -r.int(20, 50)).slice(0, 7).replace("-", "");
    case "money": {
      const [lo, hi] = MONEY[c.key] ?? [1_000, 20_000];
      return (r.int(lo * 100, hi * 100) / 100).toFixed(2);
    }
    case "number":
      return (r.int(500, 2_000) / 10).toFixed(1);
    case "int":
      return String(r.int(1, 100));
    case "flag":
      return r.next() < 0.35 ? "是" : "否";
    case "term":
      return r.pick(c.terms ?? [""]);
    default: {
      const texts = TEXTS[c.key];
      if (texts) return r.pick(texts);
      return `DEMO${today.slice(0, 4)}${String(serial).padStart(6, "0")}`;
    }
  }
}

function csvLine(values: readonly string[]): string {
  return values.map((v) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)).join(",");
}

/** Members of the county, a sample spread over the registry (at most about 6,000). */
async function samplePeople(database: Database, county: string): Promise<Person[]> {
  const count = await database.db
    .selectFrom("members")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("status", "=", "active")
    .executeTakeFirstOrThrow();
  const every = Math.max(1, Math.floor(Number(count.n) / 6_000));
  const rows = await database.db
    .selectFrom("members")
    .innerJoin("households", "households.id", "members.household_id")
    .select([
      "members.id_number",
      "members.name",
      "members.birth_date",
      "households.household_type",
      "households.monitoring_category",
    ])
    .where("members.status", "=", "active")
    .where("households.village_code", "like", `${county}%`)
    .where(sql<boolean>`members.id % ${every} = 0`)
    .orderBy("members.id")
    .execute();
  return rows
    .filter((m) => m.id_number.length === 18 && m.birth_date)
    .map((m) => ({
      idNumber: m.id_number,
      name: m.name,
      birthDate: m.birth_date!,
      watched:
        m.monitoring_category !== null ||
        m.household_type === "formerly_poor" ||
        m.household_type === "exited",
    }));
}

/**
 * Who a feed type is about: school-age children for enrolment, the old for deaths, adults of
 * working age for the rest; the eligibility feeds (cars, companies, town flats, public pay)
 * mostly name people of formerly poor or monitored households, which is what the checks are for.
 */
function eligible(feedType: string, people: readonly Person[], today: string): Person[] {
  const by = (lo: number, hi: number) =>
    people.filter((p) => {
      const age = ageOn(p.birthDate, today);
      return age >= lo && age <= hi;
    });
  if (feedType === "education") return by(7, 18);
  if (feedType === "death") return by(70, 120);
  const adults = by(18, 75);
  if (!ELIGIBILITY.has(feedType)) return adults;
  const watched = adults.filter((p) => p.watched);
  return watched.length > 0 ? [...adults, ...watched, ...watched] : adults;
}

/** Rows per feed: more for the screening feeds, a few for the eligibility anomalies. */
const ELIGIBILITY = new Set(["vehicle", "company", "property", "payroll"]);
const FEW = new Set([...ELIGIBILITY, "death"]);

/**
 * Writes and loads one demo file per feed type of the county's policy. Loads are made by the
 * system on the county's behalf (so county, town and department users see them).
 */
export async function loadDemoFeeds(
  database: Database,
  services: Services,
  options: { county: string; households: number; seed: number; today: string },
): Promise<DemoFeedResult[]> {
  const { county, today } = options;
  const actor: Actor = { ...SYSTEM_ACTOR, displayName: "演示数据", regionCode: county };
  const people = await samplePeople(database, county);
  const definitions = services.feeds.definitions(actor);
  const dir = mkdtempSync(join(tmpdir(), "fangpin-demo-feeds-"));
  const results: DemoFeedResult[] = [];
  try {
    let t = 0;
    for (const [feedType, def] of Object.entries(definitions)) {
      const r = random(options.seed * 7919 + t++);
      const pool = eligible(feedType, people, today);
      const base = Math.max(10, Math.min(150, Math.round(options.households / 150)));
      const wanted = Math.min(pool.length, FEW.has(feedType) ? Math.ceil(base / 5) : base);
      const chosen = new Map<string, Person>();
      while (chosen.size < wanted) {
        const p = r.pick(pool);
        chosen.set(p.idNumber, p);
      }
      // And a few people the registry does not hold (valid ID numbers of the county).
      const strangers = Array.from({ length: Math.max(1, Math.round(wanted / 20)) }, (_, i) => ({
        idNumber: makeIdNumber(county, addDays("1980-01-01", r.int(0, 9_000)), 900 + i),
        name: r.pick(["张伟", "王芳", "李娜", "刘洋"]),
        birthDate: "1980-01-01",
        watched: false,
      }));
      const lines = [csvLine(def.columns.map((c) => c.header))];
      let serial = 0;
      for (const p of [...chosen.values(), ...strangers])
        lines.push(csvLine(def.columns.map((c) => cell(c, def, p, ++serial, today, r))));
      const file = join(dir, `${feedType}.csv`);
      writeFileSync(file, `\uFEFF${lines.join("\n")}\n`);
      const report = await services.feeds.load(actor, feedType, file, {
        fileName: `演示-${def.name}.csv`,
      });
      results.push({
        feedType,
        rows: report.rows,
        matched: report.matched,
        unmatched: report.unmatched,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
