/**
 * A load whose file is read in a worker thread (every file here: `workerMinBytes: 0`) reports
 * and writes what a load reading it in its own thread does, on both engines: the samples, a file
 * with bad rows, a re-load, a correction; and it reports progress.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine, type TestDatabase } from "../../../test/engines.ts";
import { idOf, PEOPLE, sampleHouseholds } from "../../../test/feed-samples.ts";
import { sqliteHandle } from "../../db/connect.ts";
import { type Actor, SYSTEM_ACTOR } from "../auth/index.ts";
import { createPolicyService } from "../policy/index.ts";
import { createRegionsService } from "../regions/index.ts";
import { createRegistryService } from "../registry/index.ts";
import { createFeedsService, type FeedProgress } from "./feeds.service.ts";

const SAMPLES = new URL("../../../docs/formats/samples/", import.meta.url);
const sample = (type: string) => new URL(`${type}.csv`, SAMPLES).pathname;
const dir = mkdtempSync(join(tmpdir(), "fangpin-feeds-worker-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const write = (text: string) => {
  const path = join(dir, `f${++fileNo}.csv`);
  writeFileSync(path, text);
  return path;
};

const NOW = new Date("2026-11-20T02:00:00Z");
const policies = createPolicyService();
const definitions = policies.forRegion("360726", 2026).feeds;
const TYPES = Object.keys(definitions);
const county: Actor = {
  id: null,
  username: "dept-360726",
  displayName: "部门数据专员",
  role: "department",
  regionCode: "360726",
};

const town: Actor = { ...county, username: "dept-360726101", regionCode: "360726101" };

describeEachEngine("feed loads read in a worker thread", (database) => {
  const feeds = (d: TestDatabase, workerMinBytes: number) =>
    createFeedsService({ db: d.db, engine: d.engine, now: () => NOW, policies, workerMinBytes });
  let worker: ReturnType<typeof feeds>;
  let here: ReturnType<typeof feeds>;

  beforeAll(async () => {
    const d = database();
    const deps = { db: d.db, engine: d.engine, now: () => NOW };
    await createRegionsService(deps).load(SYSTEM_ACTOR, "360726");
    await createRegistryService(deps).bulkCreate(SYSTEM_ACTOR, sampleHouseholds(), {
      source: "demo",
    });
    worker = feeds(d, 0);
    here = feeds(d, Number.POSITIVE_INFINITY);
  });

  const facts = async () =>
    (
      await database()
        .db.selectFrom("facts")
        .select(["feed_type", "row_key", "member_id", "vals", "row_number", "superseded_at"])
        .orderBy("id")
        .execute()
    ).map((f) => ({ ...f, member_id: Number(f.member_id) }));

  it("reports every sample as a load in its own thread, and writes the same facts", async () => {
    // For a county's, a town's and a nationwide user.
    for (const type of TYPES)
      for (const actor of [county, town, SYSTEM_ACTOR]) {
        const a = await worker.load(actor, type, sample(type), { dryRun: true });
        const b = await here.load(actor, type, sample(type), { dryRun: true });
        expect(a, `${actor.username} ${type}`).toEqual(b);
      }
    for (const type of TYPES) {
      const r = await worker.load(county, type, sample(type));
      expect(r.committed, type).toBe(true);
    }
    const written = await facts();
    expect(written.length).toBeGreaterThan(TYPES.length);
    // The same files again, read here: nothing new.
    for (const type of TYPES) {
      const r = await here.load(county, type, sample(type));
      expect(r.facts.created, type).toBe(0);
    }
    expect(await facts()).toEqual(written);
  });

  it("refuses a file with bad rows with the same errors, writing nothing", async () => {
    const text = [
      "证件号码,姓名,号牌号码,车辆类型,初次登记日期,机动车状态",
      `${idOf(PEOPLE.owner)},钟建国,赣B·11111,小型轿车,2024-01-05,正常`,
      `${idOf(PEOPLE.patient).slice(0, 17)}0,王金华,赣B·22222,小型轿车,2024-01-05,正常`,
      `${idOf(PEOPLE.clerk)},钟海波,赣B·33333,小型轿车,2024-13-05,在用`,
      `${idOf(PEOPLE.buyer)},钟丽萍,赣B·11111,小型轿车,2024-01-05,正常`,
    ].join("\n");
    const before = await facts();
    const path = write(text);
    const a = await worker.load(county, "vehicle", path);
    expect(a).toEqual(await here.load(county, "vehicle", path));
    expect(a.rejected).toBe(3);
    expect(a.committed).toBe(false);
    expect(await facts()).toEqual(before);
    for (const bad of ["证件号码,姓名,号牌号码\n1,2,3\n", "姓名,地址\n张三,某地\n"]) {
      const path = write(bad);
      const fault = (s: typeof worker) =>
        s.load(county, "vehicle", path).then(
          () => null,
          (e: { kind: string; code: string; message: string }) => [e.kind, e.code, e.message],
        );
      const expected = await fault(here);
      expect(expected).not.toBeNull();
      expect(await fault(worker)).toEqual(expected);
    }
  });

  it("compares with current facts in scope as a load in its own thread", async () => {
    const corrected = write(
      readFileSync(sample("medical"), "utf8").replace("38200.50", "36200.50"),
    );
    for (const actor of [town, county, SYSTEM_ACTOR])
      for (const path of [sample("medical"), sample("civil_affairs"), corrected]) {
        const type = path.includes("civil") ? "civil_affairs" : "medical";
        const a = await worker.load(actor, type, path, { dryRun: true });
        expect(a, `${actor.username} ${path}`).toEqual(
          await here.load(actor, type, path, { dryRun: true }),
        );
      }
    // 王金华 and 陈小明 live in 欣山镇: for 孔田镇's user they are not in the registry.
    const other = await worker.load(town, "medical", corrected, { dryRun: true });
    expect({ matched: other.matched, unmatched: other.unmatched }).toEqual({
      matched: 0,
      unmatched: 3,
    });
  });

  it("supersedes a corrected row and reports progress to the end", async () => {
    const corrected = readFileSync(sample("medical"), "utf8").replace("38200.50", "36200.50");
    const progress: FeedProgress[] = [];
    const r = await worker.load(county, "medical", write(corrected), {
      onProgress: (p) => progress.push(p),
    });
    expect(r.facts).toEqual({ created: 1, unchanged: 1, superseded: 1 });
    expect(progress.at(-1)).toEqual({ phase: "done", fraction: 1, rows: r.rows });
    expect(progress.some((p) => p.phase === "reading" && p.rows > 0)).toBe(true);
  });

  it("leaves SQLite's foreign-key checks on after a load, committed or refused", async () => {
    // PostgreSQL's checks are never turned off; SQLite's are, for a load's transaction only.
    const raw = sqliteHandle(database().db);
    const bad = `证件号码,姓名,死亡日期\n${idOf(PEOPLE.owner)},钟建国,2026-13-01\n`;
    await worker.load(county, "death", write(bad));
    if (raw) expect(raw.pragma("foreign_keys", { simple: true })).toBe(1);
    await here.load(county, "death", sample("death"));
    if (raw) expect(raw.pragma("foreign_keys", { simple: true })).toBe(1);
    await expect(
      database()
        .db.insertInto("facts")
        .values({
          feed_type: "death",
          row_key: "[]",
          id_number: "x",
          member_id: 999_999,
          household_id: 999_999,
          village_code: "360726100201",
          effective_from: "2026-01-01",
          effective_to: null,
          period: null,
          vals: "{}",
          load_id: 999_999,
          row_number: 1,
          superseded_by: null,
          superseded_load: null,
          superseded_at: null,
        })
        .execute(),
    ).rejects.toThrow(/FOREIGN KEY|foreign key/);
  });
});
