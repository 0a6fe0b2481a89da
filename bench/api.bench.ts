/**
 * The API under load, against the real server in a child process (`fangpin serve`), measured
 * from this process over HTTP with keep-alive:
 *
 * - household lookup by ID number (`GET /api/households?idNumber=…`) from `--concurrency`
 *   clients at once for `--seconds` (target: p99 ≤ 20 ms under 200 clients);
 * - the county dashboard rollup (`GET /api/signals/summary?region=<county>`: counts by town,
 *   rule and severity), one request at a time (target: p95 ≤ 50 ms);
 * - the server's peak RSS after a full sweep of the county has loaded its columnar snapshot
 *   (target at 1,000,000 households: ≤ 1.5 GB).
 *
 *   node bin/run-ts.js bench/api.bench.ts [--db <url>] [--households 100000] [--concurrency 200]
 *                                         [--seconds 15]
 *
 * Without --db a demo county of --households is generated into a temporary SQLite file first.
 * No timing is asserted anywhere; the numbers go to docs/benchmarks.md by hand.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { connect } from "../src/db/connect.ts";
import { addCountyUser, fangpin, memoryOf, serve, signIn } from "./server.ts";

const COUNTY = "360726";
const USER = { username: "bench", password: "Bench@2026-api" };

const { values } = parseArgs({
  options: {
    db: { type: "string" },
    households: { type: "string", default: "100000" },
    concurrency: { type: "string", default: "200" },
    seconds: { type: "string", default: "15" },
    port: { type: "string", default: "18731" },
  },
});
const concurrency = Number(values.concurrency);
const seconds = Number(values.seconds);
const port = Number(values.port);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 10) / 10;
  return {
    n: s.length,
    p50: r(percentile(s, 50)),
    p95: r(percentile(s, 95)),
    p99: r(percentile(s, 99)),
    max: r(s.at(-1) ?? Number.NaN),
  };
};

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function main() {
  const temp = mkdtempSync(join(os.tmpdir(), "fangpin-api-bench-"));
  const url = values.db ?? `sqlite:${join(temp, "api.db")}`;
  try {
    if (!values.db) {
      const started = performance.now();
      fangpin(
        "demo",
        "--db",
        url,
        "--county",
        COUNTY,
        "--households",
        values.households!,
        "--seed",
        "1",
      );
      console.error(
        `demo county of ${values.households} households in ${((performance.now() - started) / 1000).toFixed(0)} s`,
      );
    }
    addCountyUser(url, USER, COUNTY);
    const database = await connect(url);
    const ids = (
      await database.db
        .selectFrom("members")
        .select("id_number")
        .where("status", "=", "active")
        .where("id_number", "is not", null)
        .orderBy("id")
        .limit(200_000)
        .execute()
    )
      .map((r) => r.id_number!)
      .filter((_, i) => i % 97 === 0);
    const households = Number(
      (
        await database.db
          .selectFrom("households")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
    await database.close();

    const { child, base } = await serve(url, port);
    try {
      const cookie = await signIn(base, USER);
      const get = async (path: string) => {
        const t = performance.now();
        const res = await fetch(`${base}${path}`, { headers: { cookie } });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`${path}: ${res.status}`);
        return performance.now() - t;
      };

      // A full sweep first: it loads the county's columnar snapshot, the server's largest
      // resident structure, and fills the signals the rollup counts.
      const sweepStarted = performance.now();
      const sweep = await fetch(`${base}/api/sweeps`, {
        method: "POST",
        headers: { cookie, "content-type": "application/json" },
        body: JSON.stringify({ region: COUNTY }),
      });
      if (!sweep.ok) throw new Error(`sweep: ${sweep.status} ${await sweep.text()}`);
      const sweepSeconds = (performance.now() - sweepStarted) / 1000;

      // Warm-up, then the lookups from `concurrency` clients for `seconds`.
      for (let i = 0; i < 50; i++) await get(`/api/households?idNumber=${ids[i % ids.length]}`);
      const lookups: number[] = [];
      const until = performance.now() + seconds * 1000;
      let next = 0;
      const cpu0 = process.cpuUsage();
      const serverCpu0 = cpuSeconds(child.pid!);
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < until) {
            const id = ids[next++ % ids.length]!;
            lookups.push(await get(`/api/households?idNumber=${id}`));
          }
        }),
      );
      const clientCpu = process.cpuUsage(cpu0);
      const lookupServerCpu = cpuSeconds(child.pid!) - serverCpu0;

      for (let i = 0; i < 5; i++) await get(`/api/signals/summary?region=${COUNTY}`);
      const rollups: number[] = [];
      const rollupCpu0 = cpuSeconds(child.pid!);
      for (let i = 0; i < 100; i++)
        rollups.push(await get(`/api/signals/summary?region=${COUNTY}`));
      const rollupServerCpu = cpuSeconds(child.pid!) - rollupCpu0;

      const result = {
        engine: url.startsWith("sqlite:") ? "sqlite" : "postgres",
        households,
        sweepSeconds: Math.round(sweepSeconds * 10) / 10,
        lookup: {
          concurrency,
          seconds,
          perSecond: Math.round(lookups.length / seconds),
          ...stats(lookups),
        },
        lookupClientCpuSeconds: Math.round((clientCpu.user + clientCpu.system) / 1e5) / 10,
        lookupServerCpuSeconds: Math.round(lookupServerCpu * 10) / 10,
        lookupServerCpuMsPerRequest:
          Math.round((lookupServerCpu / Math.max(1, lookups.length)) * 1e5) / 100,
        rollup: stats(rollups),
        rollupServerCpuMsPerRequest: Math.round(rollupServerCpu * 1000) / 100,
        serverPeakRssMb: memoryOf(child.pid!).peakMb,
        loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
      };
      console.log(JSON.stringify(result));
    } finally {
      child.kill();
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

await main();
