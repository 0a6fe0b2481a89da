/**
 * The server's memory during a large department-data load: `fangpin serve` on a copy of a
 * registry (made beforehand, e.g. `fangpin demo --households 1000000 --seed 1`), a county
 * user, a full sweep first (the columnar snapshot loaded), then a medical CSV of `--rows` rows
 * naming the registry's active members (one row in ten names nobody) posted to
 * `POST /api/feeds/medical/loads`. The server's RSS is read from /proc every 100 ms (Linux).
 * Target (DESIGN.md): ≤ 1.5 GB at 1,000,000 households. Nothing is asserted; the figures go
 * to docs/benchmarks.md by hand.
 *
 *   node bin/run-ts.js bench/feeds-server.bench.ts --db <sqlite file> [--rows 1000000]
 *                                                  [--server-node-options "--max-old-space-size=700"]
 *
 * The database is copied into a temporary directory first, so the same one serves every run.
 */
import { copyFileSync, createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { parseArgs } from "node:util";
import BetterSqlite3 from "better-sqlite3";
import { makeIdNumber } from "../src/core/id-number.ts";
import { addCountyUser, memoryOf, serve, signIn } from "./server.ts";

const { values } = parseArgs({
  options: {
    db: { type: "string" },
    rows: { type: "string", default: "1000000" },
    port: { type: "string", default: "18800" },
    /** NODE_OPTIONS for the server alone (a heap limit, say); this process keeps its own. */
    "server-node-options": { type: "string", default: "" },
  },
});
if (!values.db) throw new Error("--db <sqlite file> is required (a registry made beforehand)");
const rows = Number(values.rows);
const USER = { username: "benchcounty", password: "Bench@2026-feeds" };
const dir = mkdtempSync(join(os.tmpdir(), "fangpin-feeds-server-"));
const db = join(dir, "f.db");
const csv = join(dir, "medical.csv");

async function writeCsv() {
  const raw = new BetterSqlite3(db, { readonly: true });
  const members = raw
    .prepare("select id_number, name from members where status = 'active'")
    .raw()
    .all() as [string, string][];
  raw.close();
  const out = createWriteStream(csv);
  out.write(
    "\ufeff证件号码,姓名,结算单号,医疗机构,入院日期,出院日期,诊断,医疗总费用(元),合规自付费用(元),是否重大疾病\n",
  );
  let text = "";
  for (let i = 0; i < rows; i++) {
    const unknown = i % 10 === 9;
    const [id, name] = unknown
      ? [makeIdNumber("360781", "1975-01-01", i % 1000), `外来${i}`]
      : members[(i * 7919) % members.length]!;
    const day = String(1 + (i % 28)).padStart(2, "0");
    text += `${id},${name},JS${String(i).padStart(12, "0")},${i % 3 ? "安远县人民医院" : "赣州市人民医院"},2026-09-${day},2026-10-${day},${i % 5 ? "高血压" : "肺炎"},${(i % 50_000) + 1000}.00,${(i % 9000) + 100}.50,${i % 17 ? "否" : "是"}\n`;
    if (text.length > 1 << 20) {
      if (!out.write(text)) await new Promise<void>((r) => out.once("drain", () => r()));
      text = "";
    }
  }
  out.end(text);
  await finished(out);
  return members.length;
}

try {
  copyFileSync(values.db, db);
  const registry = new BetterSqlite3(db, { readonly: true });
  const { county } = registry
    .prepare("select substr(village_code, 1, 6) as county from households limit 1")
    .get() as { county: string };
  registry.close();
  addCountyUser(`sqlite:${db}`, USER, county);
  const members = await writeCsv();
  const { child: server, base } = await serve(
    `sqlite:${db}`,
    Number(values.port),
    values["server-node-options"],
  );
  try {
    const cookie = await signIn(base, USER);
    let started = performance.now();
    const sweep = await fetch(`${base}/api/sweeps`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify({ region: county }),
    });
    if (!sweep.ok) throw new Error(`sweep: ${sweep.status}`);
    const sweepSeconds = (performance.now() - started) / 1000;
    const beforeLoad = memoryOf(server.pid!);
    /** RSS every half second of the request: seconds from its start, MB. */
    const timeline: [number, number][] = [];
    started = performance.now();
    let tick = 0;
    const timer = setInterval(() => {
      if (tick++ % 5 === 0)
        timeline.push([
          Number(((performance.now() - started) / 1000).toFixed(1)),
          memoryOf(server.pid!).rssMb,
        ]);
    }, 100);
    const res = await fetch(`${base}/api/feeds/medical/loads?fileName=medical.csv`, {
      method: "POST",
      headers: { cookie, "content-type": "text/csv" },
      body: Readable.toWeb(createReadStream(csv)) as ReadableStream,
      duplex: "half",
    } as RequestInit);
    const report = (await res.json()) as Record<string, unknown>;
    clearInterval(timer);
    if (!res.ok) throw new Error(`load: ${res.status} ${JSON.stringify(report)}`);
    const after = memoryOf(server.pid!);
    process.stdout.write(
      `${JSON.stringify({
        members,
        rows: report.rows,
        matched: report.matched,
        signals: report.signals,
        sweepSeconds: Number(sweepSeconds.toFixed(1)),
        rssBeforeLoadMb: beforeLoad.rssMb,
        requestSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
        peakRssMb: after.peakMb,
        rssAfterMb: after.rssMb,
        timeline,
      })}\n`,
    );
  } finally {
    server.kill();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
