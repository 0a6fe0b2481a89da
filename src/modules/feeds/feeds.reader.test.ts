/**
 * The feed reader in a worker thread gives what it gives in this thread: the same head, the
 * same batches (valid rows, problems, counts), the same errors for a file it cannot read —
 * and it stops when the loader stops early.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeIdNumber } from "../../core/id-number.ts";
import { createPolicyService } from "../policy/index.ts";
import {
  type FeedFile,
  type FeedReadRequest,
  openFeedFile,
  openFeedFileInWorker,
  ROW_FIELDS,
} from "./feeds.reader.ts";

const dir = mkdtempSync(join(tmpdir(), "fangpin-feed-reader-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const write = (content: string | Buffer, ext = "csv") => {
  const path = join(dir, `f${++fileNo}.${ext}`);
  writeFileSync(path, content);
  return path;
};

const feeds = createPolicyService().forRegion("360726", 2026).feeds;
const request = (path: string, feedType = "medical"): FeedReadRequest => ({
  path,
  feedType,
  def: feeds[feedType]!,
  today: "2026-11-20",
  batchRows: 100,
});

async function drain(file: FeedFile) {
  const batches = [];
  for await (const b of file.batches) batches.push(b);
  return { format: file.format, headerRow: file.headerRow, headers: file.headers, batches };
}

async function inWorker(r: FeedReadRequest): Promise<FeedFile> {
  const file = await openFeedFileInWorker(r);
  // Null would mean the worker did not start and the load read the file itself.
  expect(file).not.toBeNull();
  return file!;
}

/** A medical file of `n` rows, with a bad ID number, a bad date and a repeated key among them. */
function medical(n: number, faults: boolean) {
  const lines = ["医保结算单明细", "证件号码,姓名,结算单号,出院日期,合规自付费用(元),是否重大疾病"];
  for (let i = 0; i < n; i++) {
    const id = makeIdNumber("360726", "1970-01-01", i % 900);
    let row = `${id},人${i},JS-${i},2026-11-03,${i}.50,${i % 2 ? "是" : "否"}`;
    if (faults && i === 150) row = `${id.slice(0, 17)}0,人${i},JS-${i},2026-11-03,1,否`;
    if (faults && i === 260) row = `${id},人${i},JS-${i},2026-13-03,1,否`;
    if (faults && i === 270) row = `${id},人${i},JS-3,2026-11-03,1,否`;
    lines.push(row);
  }
  return lines.join("\r\n");
}

describe("feed reader in a worker thread", () => {
  it("reads a file as this thread does: head, rows, problems, counts", async () => {
    for (const faults of [false, true]) {
      const path = write(medical(450, faults));
      const here = await drain(await openFeedFile(request(path)));
      const there = await drain(await inWorker(request(path)));
      expect(there).toEqual(here);
      expect(here.headerRow).toBe(2);
      expect(here.batches.map((b) => b.read)).toEqual([100, 100, 100, 100, 50]);
      const valid = here.batches.reduce((n, b) => n + b.rows.length / ROW_FIELDS, 0);
      const problems = here.batches.flatMap((b) => b.problems.map((p) => `${p.row}:${p.code}`));
      if (faults) {
        // Rows after the first refused one are checked, not passed on: nothing will be written.
        expect(valid).toBe(150);
        expect(problems).toEqual([
          "153:id_number_check_char",
          "263:date_invalid",
          "273:duplicate_row_key",
        ]);
      } else {
        expect(valid).toBe(450);
        expect(problems).toEqual([]);
      }
      expect(here.batches.at(-1)!.fraction).toBe(1);
    }
  });

  it("throws what this thread throws for a file it cannot use", async () => {
    const files = [
      write("证件号码,姓名,结算单号\n360726197005050719,钟建国,JS1\n"),
      write("姓名,地址\n张三,某地\n"),
      write(Buffer.from("PK\u0003\u0004 not really a workbook"), "xlsx"),
      write('证件号码,姓名,结算单号,出院日期,合规自付费用(元)\n"3607,钟建国,JS1,2026-11-03,1\n'),
      join(dir, "missing.csv"),
    ];
    for (const path of files) {
      const fault = async (open: () => Promise<FeedFile | null>) => {
        try {
          await drain((await open())!);
        } catch (e) {
          const { kind, code, message } = e as { kind?: string; code?: string; message: string };
          return { kind, code, message };
        }
        return null;
      };
      const here = await fault(() => openFeedFile(request(path)));
      expect(here, path).not.toBeNull();
      expect(await fault(() => openFeedFileInWorker(request(path))), path).toEqual(here);
    }
  });

  it("stops when the reader is closed before the end", async () => {
    const file = await inWorker(request(write(medical(2000, false))));
    const first = await file.batches.next();
    expect(first.done).toBe(false);
    file.close();
    await expect(file.batches.next()).resolves.toMatchObject({ done: true });
  });

  it("is null when the worker cannot start, so the loader reads the file itself", async () => {
    const path = write(medical(10, false));
    const broken = write("throw new Error('no loader here');", "mjs");
    expect(
      await openFeedFileInWorker(request(path), { entry: new URL(`file://${broken}`) }),
    ).toBeNull();
    expect(
      await openFeedFileInWorker(request(path), {
        entry: new URL(`file://${join(dir, "none.js")}`),
      }),
    ).toBeNull();
  });
});
