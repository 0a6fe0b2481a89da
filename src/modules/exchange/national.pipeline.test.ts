/**
 * The reading pipeline of imports: a file read in a worker thread gives the same batches,
 * households, problems and errors as the same file read in this thread.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { household, VILLAGE_A } from "../../../test/factories.ts";
import {
  KONGTIAN_XIAWEI,
  type NationalRow,
  nationalRows,
  writeCsv,
  writeWorkbook,
  XINSHAN_XIUTIAN,
} from "../../../test/national-files.ts";
import { type CheckedFile, openChecked } from "./national.pipeline.ts";

const dir = mkdtempSync(join(tmpdir(), "fangpin-pipeline-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TODAY = "2026-01-10";

/** Forty households with faults of every kind the reading thread finds. */
function faultyRows(): NationalRow[] {
  const rows: NationalRow[][] = [];
  for (let i = 0; i < 40; i++)
    rows.push(
      nationalRows(
        household(VILLAGE_A, { seed: 5000 + i }),
        i % 3 ? XINSHAN_XIUTIAN : KONGTIAN_XIAWEI,
      ),
    );
  const id = String(rows[1]![1]!.证件号码);
  rows[1]![1]!.证件号码 = id.slice(0, 17) + (id[17] === "1" ? "2" : "1");
  rows[2]![0]!.证件号码 = 12345;
  rows[3]![1]!.是否危房户 = "有";
  rows[4]![2]!.户类型 = "不知道";
  rows[5]![1]!.工资性收入 = "1,2,3";
  rows[6]![0]!.与户主关系 = "子";
  rows[7]![0]!.户编号 = null;
  rows[8]![2]!.证件号码 = rows[9]![1]!.证件号码!;
  rows[10]![0]!["人均纯收入（元）"] = "99999";
  rows[11]![2]!.出生日期 = "20990101";
  for (const r of rows[12]!) r.村 = "没有村";
  rows[13]![1]!.姓名 = null;
  return rows.flat();
}

async function readAll(file: CheckedFile) {
  const batches: unknown[] = [];
  try {
    for await (const b of file.batches()) {
      batches.push({
        last: b.last,
        drafts: b.drafts.map((d) => ({
          ...d,
          // The same keys in the same order: the registry's events list changes in key order.
          keys: [Object.keys(d.household), ...d.members.map((m) => Object.keys(m))],
        })),
        problems: [...file.collector.problems],
      });
      file.collector.release(b.drafts);
    }
  } finally {
    file.close();
  }
  return {
    format: file.format,
    headerRow: file.headerRow,
    headers: file.headers,
    rows: file.collector.rows,
    batches,
    problems: file.collector.problems,
  };
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: { name?: string; message?: string; kind?: string; code?: string; detail?: unknown }) => ({
      name: e.name,
      message: e.message,
      kind: e.kind,
      code: e.code,
      detail: e.detail,
    }),
  );

describe("national import pipeline", () => {
  it("reads in a worker thread what it reads in this one: batches, households, problems", async () => {
    for (const ext of ["csv", "xlsx"] as const) {
      const path = join(dir, `faulty.${ext}`);
      if (ext === "csv") writeCsv(path, faultyRows());
      else await writeWorkbook(path, faultyRows());
      const options = { today: TODAY, batch: 7 };
      const main = await openChecked(path, { ...options, worker: "never" });
      const worker = await openChecked(path, { ...options, worker: "always" });
      expect(main.thread).toBe("main");
      expect(worker.thread).toBe("worker");
      const a = await readAll(main);
      const b = await readAll(worker);
      expect(a.batches.length).toBeGreaterThan(3);
      expect(new Set(a.problems.map((p) => p.code)).size).toBeGreaterThan(8);
      expect(b).toEqual(a);
    }
  });

  it("throws the errors of a file read in a worker thread as in this thread", async () => {
    const noHeader = join(dir, "no-header.csv");
    writeCsv(noHeader, [], ["姓名", "证件号码"]);
    const missing = join(dir, "missing.csv");
    writeCsv(missing, [], ["户编号", "证件号码", "姓名"]);
    const broken = join(dir, "broken.csv");
    const rows = faultyRows().slice(0, 20);
    writeCsv(broken, rows);
    // A quote that never closes: the file breaks off after the header.
    writeFileSync(broken, '"unclosed,\r\n', { flag: "a" });
    const scattered = join(dir, "scattered.csv");
    writeCsv(scattered, [...rows.slice(1), rows[0]!]);
    for (const path of [noHeader, missing, join(dir, "nothing.csv"), broken, scattered]) {
      const run = async (worker: "never" | "always") => {
        const file = await openChecked(path, { today: TODAY, batch: 2, worker });
        return readAll(file);
      };
      const inMain = await errorOf(run("never"));
      expect(inMain, path).not.toBeNull();
      expect(await errorOf(run("always"))).toEqual(inMain);
    }
  });
});
