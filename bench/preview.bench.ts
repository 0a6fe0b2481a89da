/**
 * What-if preview, measured over a generated county (安远县, seed 1): loading the columnar
 * snapshot (time, bytes, heap), evaluating every shipped rule in JS over it, and previewing a
 * changed monitoring line — the first preview (every rule of the policy in force evaluated)
 * and the following ones (the policy in force cached: what a user changing the line waits
 * for). Target (DESIGN.md): a what-if preview over 1,000,000 households ≤ 150 ms.
 *
 *   node --expose-gc --import tsx bench/preview.bench.ts [--households 1000000] [--engines sqlite,postgres]
 *                                                        [--db URL  (measure a loaded database as it is)]
 *
 * `runPreviewBench(options)` returns the results and `previewBenchTable` formats them, for
 * bench/run.ts. Each engine is measured in a child process of its own (clean heap, its own
 * peak RSS, `--expose-gc` for the memory figures). The database is filled by plain INSERTs of
 * the generator's rows (no history, no validation: this measures the preview, not the load);
 * PostgreSQL is FANGPIN_BENCH_PG (default postgres://postgres@127.0.0.1:5432/test), in a fresh
 * schema dropped afterwards.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type Kysely, sql } from "kysely";
import { chinaDate } from "../src/core/dates.ts";
import { compileJs } from "../src/core/rules/js.ts";
import { connect, type Database, type Engine } from "../src/db/connect.ts";
import { migrate } from "../src/db/migrate.ts";
import type { DB } from "../src/db/schema.ts";
import { type Actor, SYSTEM_ACTOR } from "../src/modules/auth/index.ts";
import { createPreviewService } from "../src/modules/monitoring/preview.service.ts";
import { createPolicyService } from "../src/modules/policy/index.ts";
import { createRegionsService } from "../src/modules/regions/index.ts";
import { householdColumns, memberColumns } from "../src/modules/registry/registry.mapping.ts";
import { generateCounty } from "./generator.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const COUNTY = "360726";
const SEED = 1;
const PG_URL = process.env.FANGPIN_BENCH_PG ?? "postgres://postgres@127.0.0.1:5432/test";

export interface PreviewBenchOptions {
  /** Households in the county (default 1,000,000). */
  households?: number;
  /**
   * Measure this database as it is (a county 360726 already loaded, e.g. by the load phase of
   * bench/run.ts) instead of filling a fresh one; `engines` and `households` are then ignored.
   */
  dbUrl?: string;
  engines?: Engine[];
  pgUrl?: string;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface PreviewBenchResult {
  engine: Engine;
  households: number;
  members: number;
  /** Filling the database by plain INSERTs (set-up, not a target). */
  fillSeconds: number;
  snapshot: {
    seconds: number;
    /** Bytes in the snapshot's typed arrays and dictionaries. */
    bytes: number;
    bytesPerHousehold: number;
    /** Growth of the JS heap plus array buffers after a GC. */
    memoryMb: number;
    householdColumns: number;
    memberColumns: number;
  };
  /** Every rule of the county's policy compiled to JS and run over every household. */
  evaluate: {
    rules: number;
    compileMs: number;
    bindMs: number;
    /** The first run of each rule (V8 compiling it included), and a second run of all. */
    runMs: number;
    warmRunMs: number;
    slowest: { rule: string; ms: number }[];
  };
  preview: {
    /** The first preview: every rule in force evaluated, then the changed ones. */
    firstMs: number;
    /** Further changes of the line (median and worst of several). */
    changedLineMs: number;
    changedLineWorstMs: number;
    /** A household edited, then a preview (snapshot brought up to date first). */
    afterEditMs: number;
    gained: number;
  };
  peakRssMb: number;
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const memoryMb = () => {
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 1e6;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function freshDatabase(engine: Engine, pgUrl: string) {
  if (engine === "sqlite") {
    const dir = mkdtempSync(join(os.tmpdir(), "fangpin-preview-"));
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

/** Fills a migrated database with the generated county by plain INSERTs, chunk by chunk. */
export async function fillForBench(
  db: Kysely<DB>,
  households: number,
  today: string,
  log: (s: string) => void,
) {
  const regions = createRegionsService({ db, now: () => new Date() });
  await regions.load(SYSTEM_ACTOR, COUNTY);
  const villages = (await regions.villagesUnder(COUNTY)).map((v) => v.code);
  const at = new Date().toISOString();
  let members = 0;
  let done = 0;
  let chunk: ReturnType<typeof generateCounty> extends Generator<infer T> ? T[] : never = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const batch = chunk;
    chunk = [];
    await db.transaction().execute(async (trx) => {
      const rows = batch.map((h) => ({
        ...householdColumns(h.household),
        head_name: h.members.find((m) => m.relationship === "户主")?.name ?? null,
        size: h.members.length,
        version: 1,
        created_at: at,
        updated_at: at,
      }));
      const ids = new Map<string, number>();
      for (let i = 0; i < rows.length; i += 400) {
        const inserted = await trx
          .insertInto("households")
          .values(rows.slice(i, i + 400) as never)
          .returning(["id", "household_number"])
          .execute();
        for (const r of inserted) ids.set(r.household_number, Number(r.id));
      }
      const memberRows = batch.flatMap((h) =>
        h.members.map((m, position) => ({
          ...memberColumns(m),
          household_id: ids.get(h.household.householdNumber!)!,
          position,
          status: "active",
        })),
      );
      for (let i = 0; i < memberRows.length; i += 600)
        await trx
          .insertInto("members")
          .values(memberRows.slice(i, i + 600) as never)
          .execute();
      members += memberRows.length;
    });
    done += batch.length;
    if (done % 100_000 < batch.length) log(`  filled ${done} / ${households} households`);
  };
  for (const h of generateCounty({ villages, households, seed: SEED, today })) {
    chunk.push(h);
    if (chunk.length >= 5000) await flush();
  }
  await flush();
  await sql`ANALYZE`.execute(db);
  return members;
}

/** One engine, in this process. */
async function phase(
  engine: Engine,
  households: number,
  pgUrl: string,
  log: (s: string) => void,
): Promise<PreviewBenchResult> {
  const { database, drop } = await freshDatabase(engine, pgUrl);
  try {
    return await measure(database, engine, households, log);
  } finally {
    await drop();
  }
}

async function measure(
  database: Database,
  engine: Engine,
  households: number | null,
  log: (s: string) => void,
): Promise<PreviewBenchResult> {
  const now = () => new Date();
  const today = chinaDate(now());
  const t0 = performance.now();
  const members =
    households === null ? null : await fillForBench(database.db, households, today, log);
  const fillSeconds = (performance.now() - t0) / 1000;

  const policies = createPolicyService();
  const policy = policies.forRegion(COUNTY, Number(today.slice(0, 4)));
  const service = createPreviewService({
    db: database.db,
    engine: database.engine,
    now,
    policies,
  });

  // The snapshot, as the server loads it on a county's first preview.
  gc();
  const before = memoryMb();
  const t1 = performance.now();
  const snapshot = await service.warm(COUNTY, { evaluate: false });
  const snapshotSeconds = (performance.now() - t1) / 1000;
  gc();
  const stats = snapshot.stats();
  const snapshotMemory = memoryMb() - before;
  log(`  ${engine}: snapshot of ${stats.households} households in ${snapshotSeconds.toFixed(1)} s`);

  // Every rule in JS over every household.
  let compileMs = 0;
  let bindMs = 0;
  let runMs = 0;
  const perRule: { rule: string; ms: number }[] = [];
  const out = new Uint8Array(snapshot.rows);
  const bound: { run(out: Uint8Array): void }[] = [];
  for (const c of policy.compiled) {
    const a = performance.now();
    const rule = compileJs(c.when, { params: policy.parameters, today });
    const b = performance.now();
    const rb = rule.bind(snapshot);
    const d = performance.now();
    rb.run(out);
    const e = performance.now();
    compileMs += b - a;
    bindMs += d - b;
    runMs += e - d;
    perRule.push({ rule: c.rule.id, ms: e - d });
    bound.push(rb);
  }
  const warmStart = performance.now();
  for (const rb of bound) rb.run(out);
  const warmRunMs = performance.now() - warmStart;

  // Previews of a changed monitoring line.
  const actor: Actor = {
    id: null,
    username: "bench",
    displayName: "",
    role: "county",
    regionCode: COUNTY,
  };
  const line = Number(policy.parameters.monitoringLine ?? 7500);
  const timed = async (monitoringLine: number) => {
    const a = performance.now();
    const r = await service.preview(actor, { parameters: { monitoringLine } });
    return { ms: performance.now() - a, r };
  };
  const first = await timed(line + 500);
  const changed: number[] = [];
  for (let k = 1; k <= 7; k++) changed.push((await timed(line + 100 * k)).ms);

  // One household edited (as the registry reports it), then a preview.
  const edited = await database.db
    .selectFrom("households")
    .select(["id", "wage_income", "business_income"])
    .orderBy("id")
    .limit(1)
    .executeTakeFirstOrThrow();
  const edit = (wage: number | null, business: number | null) =>
    database.db
      .updateTable("households")
      .set({ wage_income: wage, business_income: business })
      .where("id", "=", edited.id)
      .execute();
  await edit(0, 0);
  service.markChanged([{ id: Number(edited.id) }]);
  const afterEdit = await timed(line + 300);
  // Put it back: the database may be someone's (--db).
  await edit(edited.wage_income, edited.business_income);

  return {
    engine,
    households: stats.households,
    members: members ?? stats.members,
    fillSeconds,
    snapshot: {
      seconds: snapshotSeconds,
      bytes: stats.bytes,
      bytesPerHousehold: stats.bytes / stats.households,
      memoryMb: snapshotMemory,
      householdColumns: snapshot.neededNow().filter((n) => n.table === "h").length,
      memberColumns: snapshot.neededNow().filter((n) => n.table === "m").length,
    },
    evaluate: {
      rules: policy.compiled.length,
      compileMs,
      bindMs,
      runMs,
      warmRunMs,
      slowest: perRule.sort((a, b) => b.ms - a.ms).slice(0, 5),
    },
    preview: {
      firstMs: first.ms,
      changedLineMs: median(changed),
      changedLineWorstMs: Math.max(...changed),
      afterEditMs: afterEdit.ms,
      gained: first.r.rules.find((r) => r.id === "income.below_line")?.gained ?? 0,
    },
    peakRssMb: peakRssMb(),
  };
}

function child(
  engine: Engine | null,
  households: number,
  pgUrl: string,
  dbUrl?: string,
): Promise<PreviewBenchResult> {
  return new Promise((resolve, reject) => {
    const phase = dbUrl
      ? ["existing", "--db", dbUrl]
      : [engine!, "--households", String(households)];
    const p = spawn(
      process.execPath,
      ["--expose-gc", "--import", "tsx", SELF, "--phase", ...phase],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, FANGPIN_BENCH_PG: pgUrl },
      },
    );
    let out = "";
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    p.on("error", reject);
    p.on("close", (code) => {
      const last = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0 || !last.startsWith("{"))
        reject(new Error(`preview bench (${engine}) failed (exit ${code})\n${out}`));
      else resolve(JSON.parse(last) as PreviewBenchResult);
    });
  });
}

async function reachable(pgUrl: string): Promise<boolean> {
  try {
    const database = await connect(pgUrl);
    try {
      await sql`select 1`.execute(database.db);
      return true;
    } finally {
      await database.close();
    }
  } catch {
    return false;
  }
}

/** Measures each engine in a child process; PostgreSQL is skipped when unreachable. */
export async function runPreviewBench(
  options: PreviewBenchOptions = {},
): Promise<PreviewBenchResult[]> {
  const households = options.households ?? 1_000_000;
  const pgUrl = options.pgUrl ?? PG_URL;
  const log = options.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const results: PreviewBenchResult[] = [];
  if (options.dbUrl) {
    log(`preview bench: ${options.dbUrl}`);
    return [await child(null, households, pgUrl, options.dbUrl)];
  }
  for (const engine of options.engines ?? ["sqlite", "postgres"]) {
    if (engine === "postgres" && !(await reachable(pgUrl))) {
      log(`  postgres: ${pgUrl} unreachable, skipped`);
      continue;
    }
    log(`preview bench: ${engine}, ${households} households`);
    results.push(await child(engine, households, pgUrl));
  }
  return results;
}

const f = (x: number, digits = 0) =>
  x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A Markdown table of the results. */
export function previewBenchTable(results: readonly PreviewBenchResult[]): string {
  const rows = [
    "| engine | households | snapshot load | snapshot size | heap + buffers | all rules in JS | first preview | changed line (median / worst) | after one edit | peak RSS |",
    "| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |",
  ];
  for (const r of results) {
    rows.push(
      `| ${r.engine} | ${f(r.households)} | ${f(r.snapshot.seconds, 1)} s | ${f(r.snapshot.bytes / 1e6)} MB (${f(r.snapshot.bytesPerHousehold)} B/household; ${r.snapshot.householdColumns} + ${r.snapshot.memberColumns} columns) | ${f(r.snapshot.memoryMb)} MB | ${f(r.evaluate.warmRunMs)} ms (first run ${f(r.evaluate.runMs)} ms; compile ${f(r.evaluate.compileMs)} ms) for ${r.evaluate.rules} rules | ${f(r.preview.firstMs)} ms | ${f(r.preview.changedLineMs)} / ${f(r.preview.changedLineWorstMs)} ms | ${f(r.preview.afterEditMs)} ms | ${f(r.peakRssMb)} MB |`,
    );
  }
  return rows.join("\n");
}

if (process.argv[1] === SELF) {
  const { values } = parseArgs({
    options: {
      phase: { type: "string" },
      households: { type: "string", default: "1000000" },
      engines: { type: "string", default: "sqlite,postgres" },
      db: { type: "string" },
    },
    allowPositionals: true,
  });
  const households = Number(values.households);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  if (values.phase !== undefined && values.db) {
    const database = await connect(values.db);
    try {
      const result = await measure(database, database.engine, null, log);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } finally {
      await database.close();
    }
  } else if (values.phase) {
    const result = await phase(values.phase as Engine, households, PG_URL, log);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const results = await runPreviewBench({
      households,
      engines: values.engines.split(",") as Engine[],
      log,
      ...(values.db ? { dbUrl: values.db } : {}),
    });
    process.stdout.write(`${previewBenchTable(results)}\n`);
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  }
}
