/**
 * Imports and exports against both engines: every problem code from a small workbook built here,
 * dry runs, re-imports, atomicity, a crash mid-import, scope, and the round trip of a generated
 * county (export → import into a fresh database → export gives the same file).
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { finished } from "node:stream/promises";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { generateCounty } from "../../../bench/generator.ts";
import { describeEachEngine, openTestDatabase, type TestDatabase } from "../../../test/engines.ts";
import { household, VILLAGE_A, VILLAGE_B } from "../../../test/factories.ts";
import {
  FIRST_ROW,
  KONGTIAN_XIAWEI,
  type NationalRow,
  nationalRows,
  writeCsv,
  writeWorkbook,
  XINSHAN_XIUTIAN,
} from "../../../test/national-files.ts";
import { chinaDate } from "../../core/dates.ts";
import { makeIdNumber } from "../../core/id-number.ts";
import { type Actor, SYSTEM_ACTOR } from "../auth/index.ts";
import { createRegionsService } from "../regions/index.ts";
import { type CreateHouseholdInput, createRegistryService } from "../registry/index.ts";
import { createExchangeService } from "./exchange.service.ts";
import { openSheet } from "./national.reader.ts";

const dir = mkdtempSync(join(tmpdir(), "fangpin-exchange-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const file = (ext = "xlsx") => join(dir, `f${++fileNo}.${ext}`);

const TODAY = new Date("2026-01-10T02:00:00Z");
const now = () => TODAY;

function services(database: TestDatabase) {
  const deps = { db: database.db, engine: database.engine, now };
  const registry = createRegistryService(deps);
  return {
    registry,
    regions: createRegionsService(deps),
    exchange: createExchangeService({ ...deps, registry, workDir: join(dir, "jobs") }),
  };
}

async function counts(database: TestDatabase) {
  const n = async (table: "households" | "members" | "household_events") =>
    Number(
      (
        await database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    households: await n("households"),
    members: await n("members"),
    events: await n("household_events"),
  };
}

/** A male ID number (odd sequence) born on the day. */
const maleId = (born: string, seq: number) => makeIdNumber("360726", born, seq * 2 + 1);

/** Each household's rows, and where they start in the file. */
function layout(households: NationalRow[][]) {
  let row = FIRST_ROW;
  return households.map((rows) => {
    const first = row;
    row += rows.length;
    return first;
  });
}

const problemKey = (p: { row: number; column: string; code: string }) =>
  `${p.row} ${p.column} ${p.code}`;

describeEachEngine("national import", (database) => {
  let s: ReturnType<typeof services>;
  let seed = 1000;
  const next = (village = VILLAGE_A) => household(village, { seed: ++seed });
  const rowsOf = (h: CreateHouseholdInput, place = XINSHAN_XIUTIAN) => nationalRows(h, place);

  beforeAll(async () => {
    s = services(database());
    await s.regions.load(SYSTEM_ACTOR, "360726");
  });

  it("reports every fault of a realistic file at its row and column, and nothing else", async () => {
    // A household already in the registry: the file's ID number that belongs to it is refused.
    const stored = next(VILLAGE_B);
    await s.registry.bulkCreate(SYSTEM_ACTOR, [stored], { source: "demo" });
    const storedId = stored.members[1]!.idNumber!;
    const storedId2 = stored.members[2]!.idNumber!;

    type Case = {
      /** Mutates the household's rows. */
      fault: (rows: NationalRow[]) => void;
      /** Expected problems: member index (row offset), column, code. */
      expect: [number, string, string][];
      place?: typeof XINSHAN_XIUTIAN;
    };
    const cases: Case[] = [
      { fault: () => {}, expect: [] },
      {
        fault: (r) => {
          const id = String(r[1]!.证件号码);
          r[1]!.证件号码 = id.slice(0, 17) + (id[17] === "1" ? "2" : "1");
        },
        expect: [[1, "证件号码", "id_number_check_char"]],
      },
      {
        fault: (r) => {
          r[0]!.证件号码 = 3.60726198003e17;
        },
        expect: [[0, "证件号码", "id_number_scientific"]],
      },
      {
        fault: (r) => {
          r[2]!.证件号码 = 12345;
        },
        expect: [[2, "证件号码", "id_number_not_text"]],
      },
      {
        fault: (r) => {
          r[2]!.证件号码 = "3607261980";
        },
        expect: [[2, "证件号码", "id_number_length"]],
      },
      {
        fault: (r) => {
          r[2]!.证件号码 = "36072619800315011Y";
        },
        expect: [[2, "证件号码", "id_number_format"]],
      },
      {
        fault: (r) => {
          r[2]!.证件号码 = makeIdNumber("990726", "1980-03-15", 11);
        },
        expect: [[2, "证件号码", "id_number_region"]],
      },
      {
        fault: (r) => {
          r[2]!.证件号码 = "360726198013450111";
        },
        expect: [[2, "证件号码", "id_number_birth_date"]],
      },
      {
        fault: (r) => {
          r[2]!.证件类型 = "残疾人证";
          r[2]!.证件号码 = `${r[2]!.证件号码}99`;
        },
        expect: [[2, "证件号码", "id_number_disability_suffix"]],
      },
      {
        fault: (r) => {
          r[2]!.证件号码 = `${r[2]!.证件号码}12`;
        },
        expect: [[2, "证件类型", "id_type_mismatch"]],
      },
      {
        fault: (r) => {
          r[2]!.证件号码 = null;
        },
        expect: [[2, "证件号码", "id_number_empty"]],
      },
      {
        fault: (r) => {
          r[2]!.与户主关系 = "户主";
        },
        expect: [[2, "与户主关系", "household_two_heads"]],
      },
      {
        fault: (r) => {
          r[0]!.与户主关系 = "之父";
        },
        expect: [[0, "与户主关系", "household_no_head"]],
      },
      {
        fault: (r) => {
          r[1]!.姓名 = null;
        },
        expect: [[1, "姓名", "member_name_missing"]],
      },
      {
        fault: (r) => {
          r[1]!.与户主关系 = null;
        },
        expect: [[1, "与户主关系", "member_relationship_missing"]],
      },
      {
        fault: (r) => {
          r[2]!.与户主关系 = "儿子";
        },
        expect: [[2, "与户主关系", "vocab_invalid"]],
      },
      {
        fault: (r) => {
          r[2]!.证件号码 = r[1]!.证件号码!;
          r[2]!.与户主关系 = "其他";
        },
        expect: [[2, "证件号码", "member_id_duplicate"]],
      },
      {
        fault: (r) => {
          r[0]!.出生日期 = "19700101";
        },
        expect: [[0, "出生日期", "member_birth_date_mismatch"]],
      },
      {
        fault: (r) => {
          r[0]!.性别 = "女";
        },
        expect: [[0, "性别", "member_sex_mismatch"]],
      },
      {
        fault: (r) => {
          const head = String(r[0]!.证件号码);
          const year = Number(head.slice(6, 10));
          r[2]!.证件号码 = maleId(`${year + 5}-01-01`, 7);
        },
        expect: [[2, "出生日期", "member_age_relationship"]],
      },
      {
        fault: (r) => {
          r[1]!.户类型 = "脱贫户";
        },
        expect: [[1, "户类型", "household_fields_disagree"]],
      },
      {
        fault: (r) => {
          for (const x of r) x.村 = "不存在村";
        },
        expect: [[0, "村", "village_not_found"]],
      },
      {
        fault: (r) => {
          for (const x of r) x.乡 = "天上镇";
        },
        expect: [[0, "乡", "village_not_found"]],
      },
      {
        fault: (r) => {
          for (const x of r) x.县 = "信丰县";
        },
        expect: [[0, "县", "county_mismatch"]],
      },
      {
        fault: (r) => {
          for (const x of r) x.村 = null;
        },
        expect: [[0, "村", "village_missing"]],
      },
      {
        fault: (r) => {
          for (const x of r) x.工资性收入 = "两万";
        },
        expect: [[0, "工资性收入", "money_invalid"]],
      },
      {
        fault: (r) => {
          for (const x of r) x.财产性收入 = "-100";
        },
        expect: [[0, "财产性收入", "money_negative"]],
      },
      {
        fault: (r) => {
          for (const x of r) x["人均纯收入（元）"] = "9000.00";
        },
        expect: [[0, "人均纯收入（元）", "per_capita_income_mismatch"]],
      },
      {
        fault: (r) => {
          for (const x of r) x.是否危房户 = "有";
        },
        expect: [[0, "是否危房户", "flag_invalid"]],
      },
      {
        fault: (r) => {
          for (const x of r) x["耕地面积（亩）"] = "-2";
        },
        expect: [[0, "耕地面积（亩）", "number_invalid"]],
      },
      {
        fault: (r) => {
          r[1]!.出生日期 = "19800230";
        },
        expect: [[1, "出生日期", "date_invalid"]],
      },
      {
        fault: (r) => {
          for (const x of r) x.识别监测时间 = "202113";
        },
        expect: [[0, "识别监测时间", "month_invalid"]],
      },
      {
        fault: (r) => {
          for (const x of r) x.户类型 = "贫困户";
        },
        expect: [[0, "户类型", "vocab_invalid"]],
      },
      {
        fault: (r) => {
          for (const x of r) x.户类型 = null;
        },
        expect: [[0, "户类型", "household_type_missing"]],
      },
      {
        fault: (r) => {
          for (const x of r) {
            x.识别监测时间 = "202203";
            x.风险是否已消除 = "否";
            x.消除监测时间 = "202306";
          }
        },
        expect: [[0, "消除监测时间", "elimination_inconsistent"]],
      },
      {
        fault: (r) => {
          for (const x of r) {
            x.识别监测时间 = "202306";
            x.风险是否已消除 = "是";
            x.消除监测时间 = "202201";
          }
        },
        expect: [[0, "消除监测时间", "elimination_before_identification"]],
      },
      {
        fault: (r) => {
          r[1]!.姓名 = "张".repeat(61);
        },
        expect: [[1, "姓名", "text_too_long"]],
      },
      {
        fault: (r) => {
          // What Excel keeps of a 17-digit number: the last digits are gone.
          for (const x of r) x.户编号 = Number("36072610020100001");
        },
        expect: [
          [0, "户编号", "household_number_not_text"],
          [1, "户编号", "household_number_not_text"],
          [2, "户编号", "household_number_not_text"],
        ],
      },
      {
        fault: (r) => {
          r[1]!.证件号码 = storedId;
        },
        expect: [[1, "证件号码", "id_number_in_other_household"]],
      },
      {
        // A household refused for its own fault is still checked against the database.
        fault: (r) => {
          r[1]!.证件号码 = storedId.replace(/.$/, "");
          r[2]!.证件号码 = storedId2;
          r[2]!.与户主关系 = "其他";
        },
        expect: [
          [1, "证件号码", "id_number_length"],
          [2, "证件号码", "id_number_in_other_household"],
        ],
      },
    ];

    const households = cases.map((c) => {
      const rows = rowsOf(next(), c.place);
      c.fault(rows);
      return rows;
    });
    // Two households that share an ID number, and a row without 户编号.
    const a = rowsOf(next());
    const b = rowsOf(next());
    b[1]!.证件号码 = a[1]!.证件号码!;
    households.push(a, b);
    const orphan = { ...rowsOf(next())[0]!, 户编号: null };
    households.push([orphan]);
    const starts = layout(households);

    const expected = cases.flatMap((c, i) =>
      c.expect.map(([k, column, code]) => `${starts[i]! + k} ${column} ${code}`),
    );
    const ia = cases.length;
    expected.push(
      `${starts[ia]! + 1} 证件号码 id_number_in_two_households`,
      `${starts[ia + 1]! + 1} 证件号码 id_number_in_two_households`,
      `${starts[ia + 2]!} 户编号 household_number_missing`,
    );

    const path = file();
    await writeWorkbook(path, households.flat());
    const before = await counts(database());
    const report = await s.exchange.importNational(SYSTEM_ACTOR, path, { county: "360726" });

    expect(report.errors.map(problemKey).sort()).toEqual(expected.sort());
    // Messages name what the file says, in its own terms, and the other household.
    const disagree = report.errors.find((e) => e.code === "household_fields_disagree")!;
    expect(disagree.message).toContain("为“一般农户”，本行为“脱贫户”");
    const [inA, inB] = report.errors.filter((e) => e.code === "id_number_in_two_households");
    expect(inA!.message).toContain(`户编号 ${inB!.household}（第 ${inB!.row} 行）`);
    expect(inB!.message).toContain(`户编号 ${inA!.household}（第 ${inA!.row} 行）`);
    for (const e of report.errors) {
      expect(e.severity).toBe("error");
      expect(e.message).toMatch(/[\u4e00-\u9fa5]/);
    }
    // Only the good household went in; the rest were rejected whole (rows whose 户编号 cannot
    // be read belong to no household).
    const rejected = cases.length - 2 + 2;
    expect(report.households).toEqual({ created: 1, updated: 0, unchanged: 0, rejected });
    expect(report.committed).toBe(true);
    const after = await counts(database());
    expect(after.households - before.households).toBe(1);
    expect(report.extraColumns).toEqual(["帮扶责任人"]);
  });

  it("writes nothing in a dry run, then imports; the same file again changes nothing", async () => {
    const hs = [next(), next(), next()];
    const path = file();
    await writeWorkbook(
      path,
      hs.flatMap((h) => rowsOf(h)),
    );
    const before = await counts(database());
    const dry = await s.exchange.importNational(SYSTEM_ACTOR, path, {
      county: "360726",
      dryRun: true,
    });
    expect(dry).toMatchObject({
      committed: false,
      dryRun: true,
      households: { created: 3, updated: 0, unchanged: 0, rejected: 0 },
      members: { created: 9, rejected: 0 },
      errors: [],
    });
    expect(await counts(database())).toEqual(before);

    const real = await s.exchange.importNational(SYSTEM_ACTOR, path, { county: "360726" });
    expect(real).toMatchObject({ committed: true, households: { created: 3 } });
    const imported = await counts(database());
    expect(imported.households - before.households).toBe(3);
    const stored = await s.registry.get(SYSTEM_ACTOR, hs[0]!.household.householdNumber!, {
      unmask: true,
    });
    expect(stored.household).toMatchObject({
      villageCode: VILLAGE_A,
      wageIncome: 2_400_000,
      perCapitaIncome: 1_050_000,
      householdType: hs[0]!.household.householdType,
      extra: { 帮扶责任人: "王干部" },
    });
    expect(stored.members.map((m) => m.idNumber)).toEqual(hs[0]!.members.map((m) => m.idNumber));
    const history = await s.registry.history(SYSTEM_ACTOR, hs[0]!.household.householdNumber!);
    expect(history[0]).toMatchObject({ source: "import", sourceRef: path.split("/").pop() });

    const again = await s.exchange.importNational(SYSTEM_ACTOR, path, { county: "360726" });
    expect(again.households).toEqual({ created: 0, updated: 0, unchanged: 3, rejected: 0 });
    expect(again.members).toEqual({ created: 0, updated: 0, unchanged: 9, rejected: 0 });
    expect(await counts(database())).toEqual(imported);
  });

  it("re-imports a corrected file, changing only what changed and reporting missing members", async () => {
    const h = next();
    const rows = rowsOf(h);
    rows[1]!.是否危房户 = "有";
    for (const r of rows) r.是否危房户 = "有";
    const bad = file();
    await writeWorkbook(bad, rows);
    const first = await s.exchange.importNational(SYSTEM_ACTOR, bad, { county: "360726" });
    expect(first.households.rejected).toBe(1);
    // The same bad household value on every row is one fault, reported at its first row.
    expect(first.errors.map(problemKey)).toEqual([`${FIRST_ROW} 是否危房户 flag_invalid`]);

    for (const r of rows) r.是否危房户 = "否";
    const good = file();
    await writeWorkbook(good, rows);
    const second = await s.exchange.importNational(SYSTEM_ACTOR, good, { county: "360726" });
    expect(second).toMatchObject({ errors: [], households: { created: 1, rejected: 0 } });

    // Next year: more wage income, the child left the file (moved away), one more in health.
    const changed = rows.slice(0, 2).map((r): NationalRow => ({ ...r, 工资性收入: "30000.00" }));
    // (30000 + 6000 + 0 + 3000 − 1500) ÷ 2 people
    changed[0]!["人均纯收入（元）"] = "18750.00";
    changed[1]!["人均纯收入（元）"] = "18750.00";
    changed[1]!.健康状况 = "患大病";
    const update = file();
    await writeWorkbook(update, changed);
    const events = (await counts(database())).events;
    const third = await s.exchange.importNational(SYSTEM_ACTOR, update, { county: "360726" });
    expect(third.households).toEqual({ created: 0, updated: 1, unchanged: 0, rejected: 0 });
    expect(third.members).toEqual({ created: 0, updated: 1, unchanged: 1, rejected: 0 });
    expect(third.errors).toEqual([
      expect.objectContaining({
        row: FIRST_ROW,
        column: "户编号",
        code: "member_missing",
        severity: "warning",
        household: h.household.householdNumber,
      }),
    ]);
    // household.updated and member.updated; the missing member is still there.
    expect((await counts(database())).events - events).toBe(2);
    const d = await s.registry.get(SYSTEM_ACTOR, h.household.householdNumber!);
    expect(d.household.size).toBe(3);
    expect(d.household.wageIncome).toBe(3_000_000);
  });

  it("rejects the whole file with atomic all when anything is wrong", async () => {
    const good = next();
    const bad = next();
    const rows = [...rowsOf(good), ...rowsOf(bad)];
    rows[4]!.证件号码 = "3607261980";
    const path = file();
    await writeWorkbook(path, rows);
    const before = await counts(database());
    const report = await s.exchange.importNational(SYSTEM_ACTOR, path, {
      county: "360726",
      atomic: "all",
    });
    expect(report).toMatchObject({
      committed: false,
      households: { created: 0, updated: 0, unchanged: 0, rejected: 2 },
      members: { created: 0, rejected: 6 },
    });
    expect(report.errors.map((e) => e.code)).toEqual(["id_number_length"]);
    expect(await counts(database())).toEqual(before);
  });

  it("leaves the database as it was when the import crashes midway", async () => {
    const d = database();
    const real = createRegistryService({ db: d.db, engine: d.engine, now });
    const crash = (done: number) => {
      if (done > 0) throw new Error("disk full");
    };
    const crashing: typeof real = {
      ...real,
      merge: (actor, inputs, meta, options) =>
        real.merge(actor, inputs, meta, { ...options, onProgress: crash }),
      mergeSession: (trx, actor, meta, options) =>
        real.mergeSession(trx, actor, meta, { ...options, onProgress: crash }),
    };
    const exchange = createExchangeService({ db: d.db, engine: d.engine, now, registry: crashing });
    const existing = next();
    await s.registry.bulkCreate(SYSTEM_ACTOR, [existing], { source: "demo" });
    const rows = [...rowsOf(existing), ...rowsOf(next()), ...rowsOf(next())];
    rows[0]!.工资性收入 = "1.00";
    for (const r of rows.slice(0, 3)) {
      r.工资性收入 = "1.00";
      r["人均纯收入（元）"] = "2500.33";
    }
    const path = file();
    await writeWorkbook(path, rows);
    const before = await counts(d);
    const version = (await s.registry.get(SYSTEM_ACTOR, existing.household.householdNumber!))
      .household.version;
    await expect(exchange.importNational(SYSTEM_ACTOR, path, { county: "360726" })).rejects.toThrow(
      "disk full",
    );
    expect(await counts(d)).toEqual(before);
    const after = await s.registry.get(SYSTEM_ACTOR, existing.household.householdNumber!);
    expect(after.household).toMatchObject({ version, wageIncome: 2_400_000 });
  });

  it("checks and merges a grouped file batch by batch as a whole file, and reads files that are not grouped", async () => {
    const d = database();
    const batched = createExchangeService({ db: d.db, engine: d.engine, now, importBatch: 1 });
    const opts = { county: "360726" } as const;
    // Four households; the fourth holds an ID number of the first (found two batches later),
    // the second has a bad cell.
    const hs = [next(), next(), next(), next()];
    hs[3]!.members[1]!.idNumber = hs[0]!.members[2]!.idNumber;
    const rows = hs.flatMap((h) => rowsOf(h));
    rows[4]!.是否危房户 = "有";
    const path = file();
    await writeWorkbook(path, rows);
    const before = await counts(d);
    const whole = await s.exchange.importNational(SYSTEM_ACTOR, path, { ...opts, dryRun: true });
    const inBatches = await batched.importNational(SYSTEM_ACTOR, path, { ...opts, dryRun: true });
    const same = (r: typeof whole) => ({ ...r, seconds: 0 });
    expect(same(inBatches)).toEqual(same(whole));
    expect(whole.households).toEqual({ created: 1, updated: 0, unchanged: 0, rejected: 3 });
    expect(new Set(whole.errors.map((e) => e.code))).toEqual(
      new Set(["id_number_in_two_households", "flag_invalid"]),
    );
    expect(await counts(d)).toEqual(before);
    const real = await batched.importNational(SYSTEM_ACTOR, path, opts);
    expect(same(real)).toEqual({ ...same(whole), dryRun: false, committed: true });
    expect((await counts(d)).households - before.households).toBe(1);

    // atomic all: a fault in the last batch undoes the batches written before it.
    const [a, b, c] = [next(), next(), next()];
    const allRows = [a, b, c].flatMap((h) => rowsOf(h));
    allRows.at(-1)!.证件号码 = "3607261980";
    const allPath = file("csv");
    await writeCsv(allPath, allRows);
    const atomic = await batched.importNational(SYSTEM_ACTOR, allPath, {
      ...opts,
      atomic: "all",
    });
    expect(atomic).toMatchObject({
      committed: false,
      households: { created: 0, updated: 0, unchanged: 0, rejected: 3 },
      members: { created: 0, rejected: 9 },
    });
    expect((await counts(d)).households - before.households).toBe(1);
    // Corrected, it is written batch by batch; once more, nothing changes.
    allRows.at(-1)!.证件号码 = c.members[2]!.idNumber!;
    await writeCsv(allPath, allRows);
    const fixed = await batched.importNational(SYSTEM_ACTOR, allPath, opts);
    expect(fixed).toMatchObject({
      errors: [],
      households: { created: 3 },
      members: { created: 9 },
    });
    const after = await counts(d);
    expect(after.households - before.households).toBe(4);
    expect(after.events - before.events).toBe(4);
    const again = await batched.importNational(SYSTEM_ACTOR, allPath, opts);
    expect(again.households).toEqual({ created: 0, updated: 0, unchanged: 3, rejected: 0 });
    expect(await counts(d)).toEqual(after);

    // A household's rows apart: read as a whole file, the same households as when grouped.
    const [e, f] = [next(), next()];
    const [e1, e2, e3] = rowsOf(e);
    const apart = file("csv");
    await writeCsv(apart, [e1!, e2!, ...rowsOf(f), e3!]);
    const scattered = await batched.importNational(SYSTEM_ACTOR, apart, opts);
    expect(scattered).toMatchObject({
      errors: [],
      households: { created: 2, rejected: 0 },
      members: { created: 6 },
    });
    const stored = await s.registry.get(SYSTEM_ACTOR, e.household.householdNumber!, {
      unmask: true,
    });
    expect(stored.members.map((m) => m.idNumber)).toEqual(e.members.map((m) => m.idNumber));
    expect((await counts(d)).households - after.households).toBe(2);
  });

  it("imports a file read in a worker thread as one read in the importing thread", async () => {
    const d = database();
    const opts = { county: "360726" } as const;
    const make = (worker: "always" | "never") =>
      createExchangeService({
        db: d.db,
        engine: d.engine,
        now,
        importBatch: 3,
        importWorker: worker,
      });
    const hs = Array.from({ length: 12 }, (_, i) => next(i % 2 ? VILLAGE_A : VILLAGE_B));
    const rows = hs.map((h, i) => rowsOf(h, i % 2 ? XINSHAN_XIUTIAN : KONGTIAN_XIAWEI));
    rows[1]![1]!.是否危房户 = "有";
    rows[3]![0]!.户编号 = null;
    rows[5]![2]!.证件号码 = rows[6]![1]!.证件号码!;
    for (const r of rows[8]!) r.村 = "没有村";
    rows[10]![0]!["人均纯收入（元）"] = "99999";
    const path = file("csv");
    writeCsv(path, rows.flat());
    const same = (r: { seconds: number }) => ({ ...r, seconds: 0 });
    for (const options of [{ dryRun: true }, { atomic: "all" as const }]) {
      const inMain = await make("never").importNational(SYSTEM_ACTOR, path, {
        ...opts,
        ...options,
      });
      const inWorker = await make("always").importNational(SYSTEM_ACTOR, path, {
        ...opts,
        ...options,
      });
      expect(inMain.errors.length).toBeGreaterThan(4);
      expect(same(inWorker)).toEqual(same(inMain));
    }
    const before = await counts(d);
    const progress: string[] = [];
    const real = await make("always").importNational(SYSTEM_ACTOR, path, {
      ...opts,
      onProgress: (p) => progress.push(p.phase),
    });
    expect(real).toMatchObject({ committed: true, households: { created: 6, rejected: 6 } });
    expect(progress.at(-1)).toBe("done");
    expect((await counts(d)).households - before.households).toBe(6);
  });

  it("resolves the county from the 县 column, or says it cannot", async () => {
    const h = next();
    const path = file("csv");
    writeCsv(path, rowsOf(h));
    const ok = await s.exchange.importNational(SYSTEM_ACTOR, path, { dryRun: true });
    expect(ok).toMatchObject({ format: "csv", errors: [], households: { created: 1 } });
    const rows = rowsOf(next()).map((r) => ({ ...r, 县: "不存在县" }));
    const bad = file("csv");
    writeCsv(bad, rows);
    const report = await s.exchange.importNational(SYSTEM_ACTOR, bad, { dryRun: true });
    expect(report.errors.map(problemKey)).toEqual([`${FIRST_ROW} 县 county_not_found`]);
  });

  it("refuses files it cannot read: no header, missing columns, not a workbook", async () => {
    const noHeader = file();
    await writeWorkbook(noHeader, [], ["姓名", "证件号码"]);
    await expect(
      s.exchange.importNational(SYSTEM_ACTOR, noHeader, { county: "360726" }),
    ).rejects.toMatchObject({ kind: "invalid_data", code: "header_not_found" });
    const missing = file();
    await writeWorkbook(missing, [], ["户编号", "证件号码", "姓名"]);
    await expect(
      s.exchange.importNational(SYSTEM_ACTOR, missing, { county: "360726" }),
    ).rejects.toMatchObject({
      code: "column_missing",
      detail: { columns: ["与户主关系", "户类型", "村"] },
    });
    await expect(
      s.exchange.importNational(SYSTEM_ACTOR, join(dir, "nothing.xlsx")),
    ).rejects.toMatchObject({ code: "file_unreadable" });
  });

  it("keeps a user to their own village: rows elsewhere and households registered elsewhere are errors", async () => {
    const village: Actor = {
      id: 9001,
      username: "cun",
      displayName: "村干部",
      role: "village",
      regionCode: VILLAGE_A,
    };
    const elsewhere = next(VILLAGE_B);
    await s.registry.bulkCreate(SYSTEM_ACTOR, [elsewhere], { source: "demo" });
    const mine = next();
    const theirs = next(VILLAGE_B);
    const moved = rowsOf(elsewhere); // registered in 下魏村, the file says 修田村
    const rows = [...rowsOf(mine), ...rowsOf(theirs, KONGTIAN_XIAWEI), ...moved];
    const path = file();
    await writeWorkbook(path, rows);
    const report = await s.exchange.importNational(village, path, {});
    expect(report.errors.map(problemKey).sort()).toEqual(
      [
        `${FIRST_ROW + 3} 村 village_out_of_scope`,
        `${FIRST_ROW + 6} 户编号 household_out_of_scope`,
      ].sort(),
    );
    expect(report.households).toEqual({ created: 1, updated: 0, unchanged: 0, rejected: 2 });
  });

  it("annotates the uploaded workbook: bad cells filled and commented, a problem column added", async () => {
    const rows = rowsOf(next());
    rows[1]!.证件号码 = "3607261980";
    for (const r of rows) r.是否危房户 = "有";
    const path = file();
    await writeWorkbook(path, rows);
    const report = await s.exchange.importNational(SYSTEM_ACTOR, path, {
      county: "360726",
      dryRun: true,
    });
    const out = file();
    const stream = createWriteStream(out);
    await s.exchange.annotate(path, report.errors, stream);
    if (!stream.writableFinished) await finished(stream);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(out);
    const ws = wb.worksheets[0]!;
    const header = ws.getRow(3).values as unknown[];
    const problemColumn = header.indexOf("问题说明");
    expect(problemColumn).toBeGreaterThan(0);
    expect(ws.getRow(1).getCell(1).value).toBe("监测对象信息");
    const idColumn = header.indexOf("证件号码");
    const bad = ws.getRow(FIRST_ROW + 1).getCell(idColumn);
    expect(bad.value).toBe("3607261980");
    expect(bad.fill).toMatchObject({ fgColor: { argb: "FFFFC7CE" } });
    expect(String(bad.note)).toContain("18 位");
    expect(String(ws.getRow(FIRST_ROW + 1).getCell(problemColumn).value)).toContain("证件号码");
    const good = ws.getRow(FIRST_ROW).getCell(idColumn);
    expect(good.fill).toBeUndefined();
    expect(ws.getRow(FIRST_ROW).getCell(problemColumn).value).toContain("是否危房户");
  });

  it("lists the imports that wrote, newest first, within the user's region (导入记录)", async () => {
    const town = (code: string, id: number): Actor => ({
      id,
      username: `town${code}`,
      displayName: "乡镇干部",
      role: "town",
      regionCode: code,
    });
    // 欣山镇's importer is a stored user: the history shows their name, not only the login.
    const stored = await database()
      .db.insertInto("users")
      .values({
        username: "town-xinshan-history",
        password_hash: "-",
        role: "town",
        region_code: VILLAGE_A.slice(0, 9),
        display_name: "欣山镇数据员",
        created_at: "2026-11-20T00:00:00Z",
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const xinshan = {
      ...town(VILLAGE_A.slice(0, 9), Number(stored.id)),
      username: "town-xinshan-history",
    };
    const kongtian = town(VILLAGE_B.slice(0, 9), 9102);
    const ids = async (actor: Actor) =>
      (await s.exchange.history(actor, { limit: 200 })).items.map((i) => i.id);
    const before = await ids(xinshan);

    // Grouped: one good household, one with a bad cell; then the same file as a dry run.
    const [good, bad] = [next(), next()];
    const rows = [...rowsOf(good), ...rowsOf(bad)];
    rows.at(-1)!.是否危房户 = "有";
    const path = file();
    await writeWorkbook(path, rows);
    await s.exchange.importNational(xinshan, path, { dryRun: true });
    expect(await ids(xinshan)).toEqual(before);
    const report = await s.exchange.importNational(xinshan, path, {});
    expect(report.committed).toBe(true);
    const [first] = (await s.exchange.history(xinshan, { limit: 1 })).items;
    expect(first).toMatchObject({
      actor: xinshan.username,
      actorName: "欣山镇数据员",
      region: xinshan.regionCode,
      file: path.split("/").pop(),
      format: "xlsx",
      households: report.households,
      members: report.members,
      problems: report.errors.length,
    });
    expect(first!.households).toEqual({ created: 1, updated: 0, unchanged: 0, rejected: 1 });

    // Not grouped (the whole file is read before the merge): the same counts are kept.
    const [c, d] = [next(), next()];
    const [rc, rd] = [rowsOf(c), rowsOf(d)];
    const mixed = rc.flatMap((r, i) => [r, rd[i]!]);
    const csv = file("csv");
    await writeCsv(csv, mixed);
    const whole = await s.exchange.importNational(xinshan, csv, {});
    const [second] = (await s.exchange.history(xinshan, { limit: 1 })).items;
    expect(second).toMatchObject({
      file: csv.split("/").pop(),
      format: "csv",
      households: whole.households,
      members: whole.members,
      problems: whole.errors.length,
    });
    expect(whole.households.created).toBe(2);

    // Newest first, in pages; another town does not see them, the county and above do.
    const page = await s.exchange.history(xinshan, { limit: 1 });
    expect(page.next).toBe(second!.id);
    const older = await s.exchange.history(xinshan, { limit: 1, before: page.next! });
    expect(older.items.map((i) => i.id)).toEqual([first!.id]);
    expect(await ids(xinshan)).toEqual([second!.id, first!.id, ...before]);
    expect(await ids(kongtian)).not.toContain(first!.id);
    expect(await ids(SYSTEM_ACTOR)).toEqual(expect.arrayContaining([first!.id, second!.id]));
    const county = { ...xinshan, id: 9103, role: "county" as const, regionCode: "360726" };
    expect(await ids(county)).toEqual(expect.arrayContaining([first!.id, second!.id]));
  });
});

describeEachEngine("national export and the round trip", (database, engine) => {
  let s: ReturnType<typeof services>;
  let second: TestDatabase;

  beforeAll(async () => {
    s = services(database());
    await s.regions.load(SYSTEM_ACTOR, "360726");
    const villages = (await s.regions.villagesUnder("360726")).map((v) => v.code);
    const generated = [
      ...generateCounty({ villages, households: 400, seed: 7, today: chinaDate(TODAY) }),
    ];
    // Extra attributes as an earlier import would have left them.
    generated[0]!.household = {
      ...generated[0]!.household,
      extra: { 产业帮扶: "脐橙种植" },
    } as never;
    (generated[1]!.members[0] as Record<string, unknown>).extra = { 帮扶责任人: "刘干部" };
    await s.registry.bulkCreate(SYSTEM_ACTOR, generated as CreateHouseholdInput[], {
      source: "demo",
    });
    second = await openTestDatabase(engine);
  });
  afterAll(async () => {
    await second?.drop();
  });

  async function exportTo(
    exchange: ReturnType<typeof services>["exchange"],
    region: string,
    format: "xlsx" | "csv",
  ) {
    const path = file(format);
    const stream = createWriteStream(path);
    const result = await exchange.exportNational(SYSTEM_ACTOR, { region, format }, stream);
    if (!stream.writableFinished) await finished(stream);
    return { path, result };
  }

  async function cells(path: string) {
    const sheet = await openSheet(path);
    const rows: unknown[][] = [sheet.headers];
    for await (const r of sheet.rows) rows.push(r.cells);
    return { titles: sheet.titleRows.map((t) => t.cells), rows };
  }

  it("exports a county and imports it into a fresh database that exports the same file", async () => {
    const xlsx1 = await exportTo(s.exchange, "360726", "xlsx");
    const csv1 = await exportTo(s.exchange, "360726", "csv");
    expect(xlsx1.result.households).toBe(400);
    expect(csv1.result).toMatchObject({ rows: xlsx1.result.rows, households: 400 });

    const t = services(second);
    await t.regions.load(SYSTEM_ACTOR, "360726");
    const imported = await t.exchange.importNational(SYSTEM_ACTOR, xlsx1.path, {});
    expect(imported.errors).toEqual([]);
    expect(imported.households).toEqual({ created: 400, updated: 0, unchanged: 0, rejected: 0 });

    const csv2 = await exportTo(t.exchange, "360726", "csv");
    expect(readFileSync(csv2.path, "utf8")).toBe(readFileSync(csv1.path, "utf8"));
    const xlsx2 = await exportTo(t.exchange, "360726", "xlsx");
    expect(await cells(xlsx2.path)).toEqual(await cells(xlsx1.path));

    // Import → export → import: nothing changes, no history is written.
    const before = await counts(second);
    for (const path of [xlsx2.path, csv2.path]) {
      const again = await t.exchange.importNational(SYSTEM_ACTOR, path, {});
      expect(again.errors).toEqual([]);
      expect(again.households).toEqual({ created: 0, updated: 0, unchanged: 400, rejected: 0 });
    }
    expect(await counts(second)).toEqual(before);
  });

  it("writes the national shape: titles, header, money in yuan, 是/否, Chinese terms, extra columns", async () => {
    const { path } = await exportTo(s.exchange, "360726", "csv");
    const lines = readFileSync(path, "utf8")
      .replace(/^\ufeff/, "")
      .split("\r\n");
    expect(lines[0]).toBe("监测对象信息");
    expect(lines[1]).toMatch(/^导出范围：江西省赣州市安远县（360726）　导出日期：2026-01-10/);
    const header = lines[2]!.split(",");
    expect(header.slice(0, 8)).toEqual([
      "县",
      "乡",
      "村",
      "村民小组",
      "户编号",
      "姓名",
      "证件类型",
      "证件号码",
    ]);
    expect(header).toContain("人均纯收入（元）");
    expect(header.at(-1)).toBe("帮扶责任人");
    const first = Object.fromEntries(lines[3]!.split(",").map((v, i) => [header[i], v]));
    expect(first.县).toBe("安远县");
    expect(first.证件类型).toBe("居民身份证");
    expect(first.工资性收入).toMatch(/^\d+\.\d{2}$/);
    expect(["是", "否"]).toContain(first.是否危房户);
    expect(["一般农户", "脱贫户"]).toContain(first.户类型);
  });

  it("exports a village or town only, and only inside the user's scope", async () => {
    const village = await exportTo(s.exchange, VILLAGE_A, "csv");
    const town = await exportTo(s.exchange, "360726100", "csv");
    const county = await exportTo(s.exchange, "360726", "csv");
    expect(village.result.households).toBeGreaterThan(0);
    expect(village.result.households).toBeLessThan(town.result.households);
    expect(town.result.households).toBeLessThan(county.result.households);
    const audited = await database()
      .db.selectFrom("audit_log")
      .select("target_id")
      .where("action", "=", "household.export")
      .execute();
    expect(audited.map((a) => a.target_id)).toEqual(
      expect.arrayContaining([VILLAGE_A, "360726100", "360726"]),
    );
    const user: Actor = {
      id: 9002,
      username: "cunB",
      displayName: "",
      role: "village",
      regionCode: VILLAGE_B,
    };
    await expect(
      s.exchange.exportNational(user, { region: "360726", format: "csv" }, new PassThrough()),
    ).rejects.toMatchObject({ kind: "not_found" });
    const viewer: Actor = { ...user, role: "viewer" };
    await expect(
      s.exchange.exportNational(viewer, { region: VILLAGE_B, format: "csv" }, new PassThrough()),
    ).rejects.toMatchObject({ kind: "not_allowed" });
  });
});
