/**
 * National-format import and export, measured: the whole import (read, validate, merge, commit)
 * of a generated county's file against a bare exceljs streaming read of the same file, the CSV
 * import rate, a re-import of the same file (all unchanged) and the export.
 * Targets (DESIGN.md): xlsx import ≥ 70 % of the bare read; CSV ≥ 100,000 rows/s.
 *
 *   node --import tsx bench/import.bench.ts [--sizes 100000,1000000] [--engines sqlite,postgres]
 *                                           [--formats xlsx,csv] [--files-dir DIR]
 *
 * `runImportBench(options)` returns the results, for bench/run.ts. Every measurement runs in a
 * child process of its own (clean heap, its own peak RSS). PostgreSQL is FANGPIN_BENCH_PG
 * (default postgres://postgres@127.0.0.1:5432/test), in a fresh schema dropped afterwards.
 * A large file is read in a worker thread (src/modules/exchange/national.pipeline.ts);
 * FANGPIN_IMPORT_WORKER=never (or always) in the environment measures the import without it.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parse as parseCsv } from "csv-parse";
import ExcelJS from "exceljs";
import { sql } from "kysely";
import { chinaDate } from "../src/core/dates.ts";
import { connect, type Database, type Engine } from "../src/db/connect.ts";
import { migrate } from "../src/db/migrate.ts";
import { SYSTEM_ACTOR } from "../src/modules/auth/index.ts";
import { createExchangeService, NATIONAL_COLUMNS } from "../src/modules/exchange/index.ts";
import { nationalRow, nationalWriter } from "../src/modules/exchange/national.format.ts";
import { CountyRegions, type RegionName } from "../src/modules/exchange/national.regions.ts";
import { createRegionsService, readChinaDivision } from "../src/modules/regions/index.ts";
import { generateCounty } from "./generator.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const COUNTY = "360726";
const SEED = 1;
const MEMBERS_PER_HOUSEHOLD = 3.25;

export type Format = "xlsx" | "csv";

export interface ImportBenchOptions {
  /** Member rows per file (default 100,000 and 1,000,000). */
  sizes?: number[];
  engines?: Engine[];
  formats?: Format[];
  /** PostgreSQL to measure on (default FANGPIN_BENCH_PG or the local test server). */
  pgUrl?: string;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /**
   * Folder where the generated files are kept and reused by later runs (default: a temporary
   * folder removed afterwards), so that runs before and after a change read the same bytes.
   */
  filesDir?: string;
}

export interface ImportBenchResult {
  work: "file" | "bare read" | "import" | "re-import" | "export";
  format: Format;
  engine: Engine | null;
  /** Member rows. */
  rows: number;
  households: number;
  seconds: number;
  rowsPerSecond: number;
  /** Import phases in seconds: reading and checking rows, resolving and checking households, merge. */
  phases?: { read: number; check: number; merge: number };
  /** Import rate ÷ bare read rate of the same file. */
  ofBareRead?: number;
  /**
   * CPU seconds of this process (user + system) for the work: on a machine shared with other
   * work, wall time stretches with the load and CPU time much less (PostgreSQL's own CPU is not
   * counted).
   */
  cpuSeconds?: number;
  /**
   * CPU seconds of the importing (main) thread alone, where Linux tells (/proc/thread-self): a
   * large file is read in a worker thread, whose CPU is in `cpuSeconds` but not here.
   */
  mainThreadCpuSeconds?: number;
  /** Bare read CPU seconds ÷ import CPU seconds of the same file. */
  ofBareReadCpu?: number;
  fileMb?: number;
  peakRssMb: number;
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
/** CPU seconds of the calling thread so far (Linux), or null. */
function threadCpu(): number | null {
  try {
    const stat = readFileSync("/proc/thread-self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

const cpuSince = (start: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
};

// ─── phases (child processes) ──────────────────────────────────────────────────

/** Writes a generated county of about `rows` members as a national file, without a database. */
async function phaseFile(rows: number, format: Format, path: string): Promise<ImportBenchResult> {
  const below: RegionName[] = [];
  let county: RegionName = { code: COUNTY, name: "", level: 3, parent_code: "3607" };
  for await (const batch of readChinaDivision(COUNTY)) {
    for (const r of batch) {
      if (r.code === COUNTY) county = r;
      else if (r.code.startsWith(COUNTY)) below.push(r);
    }
  }
  const regions = new CountyRegions(county, below);
  const villages = below.filter((r) => r.level === 5).map((r) => r.code);
  const started = performance.now();
  const out = createWriteStream(path);
  const writer = await nationalWriter(format, out, NATIONAL_COLUMNS, [
    "监测对象信息",
    `导出范围：安远县（${COUNTY}）　导出日期：${chinaDate(new Date())}`,
  ]);
  let written = 0;
  let households = 0;
  const generator = generateCounty({
    villages,
    households: Math.ceil(rows / MEMBERS_PER_HOUSEHOLD) + 1000,
    seed: SEED,
    today: chinaDate(new Date()),
  });
  for (const h of generator) {
    if (written >= rows) break;
    const where = { county: regions.name, ...regions.names(h.household.villageCode!) };
    for (const m of h.members)
      writer.row(nationalRow(NATIONAL_COLUMNS, h.household, m, where, format));
    written += h.members.length;
    households++;
    if (households % 1000 === 0) await writer.drain();
  }
  await writer.finish();
  if (!out.writableFinished) await finished(out);
  const seconds = (performance.now() - started) / 1000;
  return {
    work: "file",
    format,
    engine: null,
    rows: written,
    households,
    seconds,
    rowsPerSecond: written / seconds,
    fileMb: statSync(path).size / 1e6,
    peakRssMb: peakRssMb(),
  };
}

/** The floor: exceljs' streaming reader (or csv-parse) over the file, doing nothing else. */
async function phaseBare(path: string, format: Format): Promise<ImportBenchResult> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let rows = 0;
  if (format === "xlsx") {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, {});
    for await (const sheet of reader) for await (const _row of sheet) rows++;
  } else {
    for await (const _record of createReadStream(path).pipe(
      parseCsv({ bom: true, relax_column_count: true }),
    ))
      rows++;
  }
  const seconds = (performance.now() - started) / 1000;
  const data = rows - 3;
  return {
    work: "bare read",
    format,
    engine: null,
    rows: data,
    households: 0,
    seconds,
    rowsPerSecond: data / seconds,
    cpuSeconds: cpuSince(cpu),
    peakRssMb: peakRssMb(),
  };
}

async function freshDatabase(
  engine: Engine,
  pgUrl: string,
): Promise<{ database: Database; drop: () => Promise<void> }> {
  if (engine === "sqlite") {
    const dir = mkdtempSync(join(os.tmpdir(), "fangpin-bench-import-"));
    const database = await connect(`sqlite:${join(dir, "bench.db")}`);
    await migrate(database);
    return {
      database,
      drop: async () => {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const url = new URL(pgUrl);
  url.searchParams.set("schema", schema);
  const database = await connect(url.toString());
  await migrate(database);
  return {
    database,
    drop: async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
      await database.close();
    },
  };
}

/** Import into a fresh database, import the same file again, export the county. */
async function phaseImport(
  engine: Engine,
  path: string,
  format: Format,
  pgUrl: string,
): Promise<ImportBenchResult[]> {
  const { database, drop } = await freshDatabase(engine, pgUrl);
  try {
    const now = () => new Date();
    await createRegionsService({ db: database.db, now }).load(SYSTEM_ACTOR, COUNTY);
    const exchange = createExchangeService({ db: database.db, engine: database.engine, now });
    const results: ImportBenchResult[] = [];
    for (const work of ["import", "re-import"] as const) {
      const marks: Record<string, number> = {};
      const cpu = process.cpuUsage();
      const mainCpu = threadCpu();
      const started = performance.now();
      const report = await exchange.importNational(SYSTEM_ACTOR, path, {
        onProgress: (p) => {
          marks[p.phase] ??= performance.now();
        },
      });
      const end = performance.now();
      if (report.errors.length > 0)
        throw new Error(
          `benchmark file has problems: ${JSON.stringify(report.errors.slice(0, 3))}`,
        );
      const seconds = (end - started) / 1000;
      const at = (phase: string, fallback: number) => marks[phase] ?? fallback;
      results.push({
        work,
        format,
        engine,
        rows: report.rows,
        households:
          report.households.created + report.households.updated + report.households.unchanged,
        seconds,
        rowsPerSecond: report.rows / seconds,
        cpuSeconds: cpuSince(cpu),
        mainThreadCpuSeconds:
          mainCpu === null ? undefined : (threadCpu() ?? mainCpu) - mainCpu || undefined,
        // A grouped file is read, checked and merged batch by batch: no phases to tell apart.
        phases:
          marks.checking === undefined
            ? undefined
            : {
                read: (at("checking", end) - started) / 1000,
                check: (at("merging", end) - at("checking", end)) / 1000,
                merge: (end - at("merging", end)) / 1000,
              },
        peakRssMb: peakRssMb(),
      });
    }
    const out = join(os.tmpdir(), `fangpin-bench-export-${process.pid}.${format}`);
    try {
      const started = performance.now();
      const stream = createWriteStream(out);
      const r = await exchange.exportNational(SYSTEM_ACTOR, { region: COUNTY, format }, stream);
      if (!stream.writableFinished) await finished(stream);
      const seconds = (performance.now() - started) / 1000;
      results.push({
        work: "export",
        format,
        engine,
        rows: r.rows,
        households: r.households,
        seconds,
        rowsPerSecond: r.rows / seconds,
        fileMb: statSync(out).size / 1e6,
        peakRssMb: peakRssMb(),
      });
    } finally {
      rmSync(out, { force: true });
    }
    return results;
  } finally {
    await drop();
  }
}

// ─── the parent ────────────────────────────────────────────────────────────────

function child(args: string[]): Promise<ImportBenchResult[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", SELF, "--phase", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    p.on("error", reject);
    p.on("close", (code) => {
      const last = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0 || !last.startsWith("["))
        reject(new Error(`import bench phase ${args.join(" ")} failed (exit ${code})\n${out}`));
      else resolve(JSON.parse(last) as ImportBenchResult[]);
    });
  });
}

async function postgresReachable(url: string): Promise<boolean> {
  try {
    const database = await connect(url);
    await sql`select 1`.execute(database.db);
    await database.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs the import benchmark: for each size and format, writes a file, reads it bare, and imports,
 * re-imports and exports it on each engine.
 */
export async function runImportBench(
  options: ImportBenchOptions = {},
): Promise<ImportBenchResult[]> {
  const sizes = options.sizes ?? [100_000, 1_000_000];
  const formats = options.formats ?? ["xlsx", "csv"];
  const pgUrl =
    options.pgUrl ?? process.env.FANGPIN_BENCH_PG ?? "postgres://postgres@127.0.0.1:5432/test";
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let engines = options.engines ?? ["sqlite", "postgres"];
  if (engines.includes("postgres") && !(await postgresReachable(pgUrl))) {
    log(`PostgreSQL at ${pgUrl} is not reachable: skipped`);
    engines = engines.filter((e) => e !== "postgres");
  }
  const dir = options.filesDir ?? mkdtempSync(join(os.tmpdir(), "fangpin-bench-files-"));
  if (options.filesDir) mkdirSync(dir, { recursive: true });
  const results: ImportBenchResult[] = [];
  try {
    for (const size of sizes) {
      for (const format of formats) {
        const path = join(dir, `county-${size}.${format}`);
        const add = (rs: ImportBenchResult[]) => {
          for (const r of rs) {
            results.push(r);
            log(row(r));
          }
          return rs;
        };
        if (!options.filesDir || !existsSync(path)) {
          log(`${format} file of ${size} rows…`);
          add(await child(["file", "--size", String(size), "--format", format, "--file", path]));
        }
        const [bare] = add(await child(["bare", "--format", format, "--file", path]));
        for (const engine of engines) {
          log(`${format} import of ${size} rows into ${engine}…`);
          const rs = await child([
            "import",
            "--engine",
            engine,
            "--format",
            format,
            "--file",
            path,
            "--pg",
            pgUrl,
          ]);
          for (const r of rs)
            if (r.work !== "export") {
              r.ofBareRead = r.rowsPerSecond / bare!.rowsPerSecond;
              if (r.cpuSeconds && bare!.cpuSeconds)
                r.ofBareReadCpu = bare!.cpuSeconds / r.cpuSeconds;
            }
          add(rs);
        }
        if (!options.filesDir) rmSync(path, { force: true });
      }
    }
  } finally {
    if (!options.filesDir) rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

const n0 = (x: number) => Math.round(x).toLocaleString("en-US");

function row(r: ImportBenchResult): string {
  const notes: string[] = [];
  if (r.phases)
    notes.push(
      `read ${r.phases.read.toFixed(1)} s, check ${r.phases.check.toFixed(1)} s, merge ${r.phases.merge.toFixed(1)} s`,
    );
  if (r.ofBareRead !== undefined) notes.push(`${Math.round(r.ofBareRead * 100)} % of bare read`);
  if (r.cpuSeconds !== undefined) notes.push(`CPU ${r.cpuSeconds.toFixed(1)} s`);
  if (r.mainThreadCpuSeconds !== undefined)
    notes.push(`main thread ${r.mainThreadCpuSeconds.toFixed(1)} s`);
  if (r.ofBareReadCpu !== undefined)
    notes.push(`${Math.round(r.ofBareReadCpu * 100)} % of bare read by CPU`);
  if (r.fileMb !== undefined) notes.push(`${r.fileMb.toFixed(0)} MB`);
  return `| ${r.work} | ${r.format} | ${r.engine ?? "—"} | ${n0(r.rows)} | ${r.seconds.toFixed(1)} | ${n0(r.rowsPerSecond)} | ${notes.join("; ")} | ${n0(r.peakRssMb)} MB |`;
}

/** The results as a Markdown table. */
export function importBenchTable(results: readonly ImportBenchResult[]): string {
  return [
    "| work | format | engine | rows | seconds | rows/s | notes | peak RSS |",
    "|---|---|---|---:|---:|---:|---|---:|",
    ...results.map(row),
  ].join("\n");
}

async function main() {
  const { values } = parseArgs({
    options: {
      phase: { type: "string" },
      size: { type: "string" },
      format: { type: "string" },
      file: { type: "string" },
      engine: { type: "string" },
      pg: { type: "string" },
      sizes: { type: "string", default: "100000,1000000" },
      engines: { type: "string", default: "sqlite,postgres" },
      formats: { type: "string", default: "xlsx,csv" },
      "files-dir": { type: "string" },
    },
    strict: true,
  });
  const format = values.format as Format;
  if (values.phase) {
    const file = values.file!;
    const result =
      values.phase === "file"
        ? [await phaseFile(Number(values.size), format, file)]
        : values.phase === "bare"
          ? [await phaseBare(file, format)]
          : await phaseImport(values.engine as Engine, file, format, values.pg!);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const results = await runImportBench({
    sizes: values.sizes.split(",").map(Number),
    engines: values.engines.split(",") as Engine[],
    formats: values.formats.split(",") as Format[],
    filesDir: values["files-dir"],
  });
  process.stdout.write(`${importBenchTable(results)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
