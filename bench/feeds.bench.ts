/**
 * Department feed ingest, measured: a medical feed (医保住院结算) of N rows loaded with
 * `feed load` semantics — read, validate every cell, match each row by ID number to the
 * registry, write the facts, all in one transaction — against a registry of about N members
 * (90 % of the rows match; 10 % name nobody), and, for xlsx, against a bare exceljs streaming
 * read of the same file. Targets (issue #6): CSV ≥ 100,000 rows/s on SQLite; xlsx ≥ 70 % of the
 * bare read. No timing is asserted anywhere.
 *
 *   node bin/run-ts.js bench/feeds.bench.ts [--rows 1000000] [--formats csv,xlsx]
 *                                           [--xlsx-rows 200000] [--engine sqlite|postgres]
 *                                           [--members N] [--cpu-prof <dir>]
 *
 * `--members` sets the registry's size (default: as many members as the file has rows). A
 * county of DESIGN.md's scale (1,000,000 households) has about 3,250,000 members: with
 * `--members 3250000` the rows name members spread over that registry, and the load reads
 * three times as many members to match them.
 *
 * Each load is reported with its wall time, the CPU seconds of this process (user + system,
 * `process.cpuUsage()`, every thread; the PostgreSQL server's own CPU is not in it) and of its
 * main thread alone (a large file is read in a worker thread), and the load average when it
 * started, since the machine is usually shared. `bareReadRowsPerSecond` is the file read through `openTable` alone (the
 * reader the load uses: our CSV parser, the fast xlsx reader), the floor under any load.
 * `checkpointSeconds` (SQLite) is how long the load's WAL checkpoint, which runs in a worker
 * thread once the load has committed (db/checkpoint.ts), went on after the load returned.
 *
 * The registry is written straight into the tables (households and members only; no history):
 * what is measured is the feed load, not the registry's bulk load (see docs/benchmarks.md).
 */
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { Session } from "node:inspector/promises";
import os from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { parseArgs } from "node:util";
import { stringify } from "csv-stringify";
import ExcelJS from "exceljs";
import { makeIdNumber } from "../src/core/id-number.ts";
import { checkpoints } from "../src/db/checkpoint.ts";
import { connect, type Database, sqliteHandle } from "../src/db/connect.ts";
import { migrate } from "../src/db/migrate.ts";
import { SYSTEM_ACTOR } from "../src/modules/auth/index.ts";
import type { HeaderRule } from "../src/modules/exchange/index.ts";
import { openTable } from "../src/modules/exchange/index.ts";
import { createFeedsService } from "../src/modules/feeds/index.ts";
import { createPolicyService } from "../src/modules/policy/index.ts";

const VILLAGE = "360726100201";
const PER_HOUSEHOLD = 4;
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** The largest V8 heap (used) seen every 50 ms while `work` runs, in MB. */
async function peakHeap<T>(work: () => Promise<T>): Promise<[T, number]> {
  let peak = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 50);
  try {
    return [await work(), Math.round(peak / 1048576)];
  } finally {
    clearInterval(timer);
  }
}

/** The k-th registered person's ID number (unique for k < 36,500 days × 1,000 sequences). */
function idOf(k: number): string {
  const day = new Date(Date.UTC(1940, 0, 1) + (k % 30_000) * 86_400_000).toISOString().slice(0, 10);
  return makeIdNumber("360726", day, Math.floor(k / 30_000) % 1000);
}
const nameOf = (k: number) => `成员${k}`;

async function seedRegistry(database: Database, members: number) {
  const started = performance.now();
  const db = database.db;
  const at = "2026-11-20T00:00:00Z";
  const households = Math.ceil(members / PER_HOUSEHOLD);
  await db.transaction().execute(async (trx) => {
    for (let h = 0; h < households; h += 500) {
      const rows = [];
      for (let i = h; i < Math.min(households, h + 500); i++)
        rows.push({
          household_number: `${VILLAGE}${String(i).padStart(8, "0")}`,
          village_code: VILLAGE,
          size: PER_HOUSEHOLD,
          version: 1,
          created_at: at,
          updated_at: at,
        });
      const ids = await trx.insertInto("households").values(rows).returning("id").execute();
      const ms = [];
      for (const [n, r] of ids.entries())
        for (let p = 0; p < PER_HOUSEHOLD; p++) {
          const k = (h + n) * PER_HOUSEHOLD + p;
          if (k >= members) break;
          ms.push({
            household_id: Number(r.id),
            name: nameOf(k),
            id_number: idOf(k),
            relationship: p === 0 ? "户主" : "之子",
            position: p,
            status: "active" as const,
          });
        }
      for (let i = 0; i < ms.length; i += 400)
        await trx
          .insertInto("members")
          .values(ms.slice(i, i + 400))
          .execute();
    }
  });
  return (performance.now() - started) / 1000;
}

const HEADER = [
  "证件号码",
  "姓名",
  "结算单号",
  "医疗机构",
  "入院日期",
  "出院日期",
  "诊断",
  "医疗总费用(元)",
  "合规自付费用(元)",
  "是否重大疾病",
];

/** Row i of the feed: 90 % name a registered member, 10 % someone unknown. */
function feedRow(i: number, members: number): string[] {
  const unknown = i % 10 === 9;
  const k = unknown ? members + i : (i * 7919) % members;
  const day = 1 + (i % 28);
  return [
    idOf(k),
    unknown ? `外来${i}` : nameOf(k),
    `JS${String(i).padStart(12, "0")}`,
    i % 3 === 0 ? "赣州市人民医院" : "安远县人民医院",
    `2026-09-${String(day).padStart(2, "0")}`,
    `2026-10-${String(day).padStart(2, "0")}`,
    i % 5 === 0 ? "肺炎" : "高血压",
    `${(i % 50_000) + 1000}.00`,
    `${(i % 9000) + 100}.50`,
    i % 17 === 0 ? "是" : "否",
  ];
}

async function writeCsv(path: string, rows: number, members: number) {
  const out = createWriteStream(path);
  const csv = stringify({ bom: true });
  csv.pipe(out);
  csv.write(HEADER);
  for (let i = 0; i < rows; i++) {
    if (!csv.write(feedRow(i, members))) await new Promise((r) => csv.once("drain", r));
  }
  csv.end();
  await finished(out);
}

async function writeXlsx(path: string, rows: number, members: number) {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: false });
  const ws = wb.addWorksheet("住院结算");
  ws.addRow(HEADER).commit();
  for (let i = 0; i < rows; i++) ws.addRow(feedRow(i, members)).commit();
  ws.commit();
  await wb.commit();
}

/** Seconds for exceljs' streaming reader to read every row (the header included), nothing else. */
async function bareXlsx(path: string, expected: number): Promise<[number, number]> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let n = 0;
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(createReadStream(path), {});
  for await (const sheet of reader) for await (const _ of sheet) n++;
  if (n !== expected + 1) throw new Error(`bare read saw ${n} rows, expected ${expected + 1}`);
  return [(performance.now() - started) / 1000, cpuSeconds(cpu)];
}

/** Seconds (wall, CPU) to read every data row with the loader's own reader, nothing else. */
async function bareOpenTable(path: string, expected: number): Promise<[number, number]> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const header: HeaderRule = { isHeader: (t) => t[0] === HEADER[0], notFound: () => "" };
  const table = await openTable(path, header);
  let n = 0;
  for await (const _ of table.rows) n++;
  if (n !== expected) throw new Error(`openTable saw ${n} rows, expected ${expected}`);
  return [(performance.now() - started) / 1000, cpuSeconds(cpu)];
}

/** Runs `work`, with a CPU profile of it written to `dir/name.cpuprofile` when `dir` is given. */
async function profiled<T>(dir: string | undefined, name: string, work: () => Promise<T>) {
  if (!dir) return work();
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  try {
    return await work();
  } finally {
    const { profile } = await session.post("Profiler.stop");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

/**
 * CPU seconds of this process's main thread alone (Linux, from /proc; null elsewhere): with
 * the file read in a worker thread, the main thread's matching and writing is what bounds the
 * wall time on an idle machine, and on a shared one this moves less than the wall time does.
 */
function mainThreadCpu(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};

async function main() {
  const { values } = parseArgs({
    options: {
      rows: { type: "string", default: "1000000" },
      "xlsx-rows": { type: "string", default: "200000" },
      formats: { type: "string", default: "csv,xlsx" },
      engine: { type: "string", default: "sqlite" },
      "cpu-prof": { type: "string" },
      members: { type: "string" },
    },
  });
  const rows = Number(values.rows);
  const xlsxRows = Number(values["xlsx-rows"]);
  const formats = String(values.formats).split(",");
  const dir = mkdtempSync(join(os.tmpdir(), "fangpin-feeds-bench-"));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const results: Record<string, unknown>[] = [];
  try {
    for (const format of formats) {
      const n = format === "xlsx" ? xlsxRows : rows;
      const members = values.members === undefined ? n : Number(values.members);
      const url =
        values.engine === "postgres"
          ? `${process.env.FANGPIN_BENCH_PG ?? "postgres://postgres@127.0.0.1:5432/test"}?schema=feedbench${Date.now()}`
          : `sqlite:${join(dir, `${format}.db`)}`;
      const database = await connect(url);
      try {
        await migrate(database);
        const seeded = await seedRegistry(database, members);
        log(`${format}: registry of ${members} members written in ${seeded.toFixed(1)} s`);
        const file = join(dir, `medical.${format}`);
        let started = performance.now();
        if (format === "xlsx") await writeXlsx(file, n, members);
        else await writeCsv(file, n, members);
        log(
          `${format}: file of ${n} rows written in ${((performance.now() - started) / 1000).toFixed(1)} s`,
        );
        const [bare, bareCpu] = format === "xlsx" ? await bareXlsx(file, n) : [null, null];
        if (bare !== null)
          log(
            `xlsx: bare exceljs read ${(n / bare).toFixed(0)} rows/s, ${bareCpu!.toFixed(1)} s CPU`,
          );
        const [own, ownCpu] = await bareOpenTable(file, n);
        log(
          `${format}: bare openTable read ${(n / own).toFixed(0)} rows/s, ${ownCpu.toFixed(1)} s CPU`,
        );
        const feeds = createFeedsService({
          db: database.db,
          engine: database.engine,
          now: () => new Date("2026-11-20T02:00:00Z"),
          policies: createPolicyService(),
        });
        started = performance.now();
        let cpu = process.cpuUsage();
        let mainCpu = mainThreadCpu();
        const loadavg = os.loadavg()[0]!;
        const prof = values["cpu-prof"];
        const rssBefore = peakRssMb();
        const [report, loadHeapMb] = await peakHeap(() =>
          profiled(prof, `${format}-${database.engine}-load`, () =>
            feeds.load(SYSTEM_ACTOR, "medical", file),
          ),
        );
        const loadRssMb = peakRssMb();
        const seconds = (performance.now() - started) / 1000;
        const loadCpu = cpuSeconds(cpu);
        const loadMainCpu = mainCpu === null ? null : mainThreadCpu()! - mainCpu;
        // The load has committed; on SQLite its WAL is being checkpointed in a worker thread
        // (db/checkpoint.ts). Timed apart, and waited for before the reload.
        started = performance.now();
        const raw = sqliteHandle(database.db);
        if (raw) await checkpoints(raw);
        const checkpoint = (performance.now() - started) / 1000;
        started = performance.now();
        cpu = process.cpuUsage();
        mainCpu = mainThreadCpu();
        const again = await profiled(prof, `${format}-${database.engine}-reload`, () =>
          feeds.load(SYSTEM_ACTOR, "medical", file),
        );
        const reload = (performance.now() - started) / 1000;
        const reloadCpu = cpuSeconds(cpu);
        const reloadMainCpu = mainCpu === null ? null : mainThreadCpu()! - mainCpu;
        const result = {
          format,
          engine: database.engine,
          rows: report.rows,
          members,
          matched: report.matched,
          unmatched: report.unmatched,
          created: report.facts.created,
          rejected: report.rejected,
          seconds: Number(seconds.toFixed(1)),
          rowsPerSecond: Math.round(report.rows / seconds),
          cpuSeconds: Number(loadCpu.toFixed(1)),
          rowsPerCpuSecond: Math.round(report.rows / loadCpu),
          mainThreadCpuSeconds: loadMainCpu === null ? null : Number(loadMainCpu.toFixed(1)),
          loadAverage: Number(loadavg.toFixed(2)),
          checkpointSeconds: raw ? Number(checkpoint.toFixed(1)) : null,
          reloadUnchanged: again.facts.unchanged,
          reloadSeconds: Number(reload.toFixed(1)),
          reloadRowsPerSecond: Math.round(again.rows / reload),
          reloadCpuSeconds: Number(reloadCpu.toFixed(1)),
          reloadMainThreadCpuSeconds:
            reloadMainCpu === null ? null : Number(reloadMainCpu.toFixed(1)),
          bareReadRowsPerSecond: Math.round(n / own),
          bareReadCpuSeconds: Number(ownCpu.toFixed(1)),
          bareRowsPerSecond: bare === null ? null : Math.round(n / bare),
          bareCpuSeconds: bareCpu === null ? null : Number(bareCpu.toFixed(1)),
          ofBareRead: bare === null ? null : Number((bare / seconds).toFixed(2)),
          ofBareReadCpu: bareCpu === null ? null : Number((bareCpu / loadCpu).toFixed(2)),
          fileMb: Math.round(statSync(file).size / 1048576),
          peakRssMb: peakRssMb(),
          peakRssBeforeLoadMb: rssBefore,
          peakRssAfterLoadMb: loadRssMb,
          loadPeakHeapMb: loadHeapMb,
        };
        log(JSON.stringify(result));
        results.push(result);
      } finally {
        await database.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

await main();
