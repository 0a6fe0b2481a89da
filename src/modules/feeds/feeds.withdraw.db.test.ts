/**
 * Withdrawing a feed load (撤销导入) on both engines: the store returns to what it was before the
 * load (by row key and by period), later loads standing on it must be withdrawn first, the same
 * file loads again afterwards, and only someone who may load the feed in the load's region can
 * withdraw it, with a reason, once, on the audit log.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine, type TestDatabase } from "../../../test/engines.ts";
import { sampleHouseholds } from "../../../test/feed-samples.ts";
import { type Actor, SYSTEM_ACTOR } from "../auth/index.ts";
import { createPolicyService } from "../policy/index.ts";
import { createRegionsService } from "../regions/index.ts";
import { createRegistryService } from "../registry/index.ts";
import { createFeedsService } from "./feeds.service.ts";

const sample = (type: string) =>
  new URL(`../../../docs/formats/samples/${type}.csv`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "fangpin-feed-withdraw-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const write = (text: string) => {
  const path = join(dir, `w${++fileNo}.csv`);
  writeFileSync(path, text);
  return path;
};

const NOW = new Date("2026-11-20T02:00:00Z");
const policies = createPolicyService();
const actor = (role: Actor["role"], regionCode: string | null, username: string = role): Actor => ({
  id: null,
  username,
  displayName: username,
  role,
  regionCode,
});
const county = actor("department", "360726", "dept-county");

describeEachEngine("withdrawing a feed load", (database) => {
  let feeds: ReturnType<typeof createFeedsService>;

  /** Current facts of a feed type: row key → values, effective dates and load. */
  const current = async (db: TestDatabase, type: string) => {
    const rows = await db.db
      .selectFrom("facts")
      .select(["row_key", "vals", "effective_from", "effective_to", "load_id"])
      .where("feed_type", "=", type)
      .where("superseded_at", "is", null)
      .orderBy("row_key")
      .execute();
    return rows.map((r) => ({ ...r, load_id: Number(r.load_id) }));
  };

  beforeAll(async () => {
    const deps = { db: database().db, engine: database().engine, now: () => NOW };
    await createRegionsService(deps).load(SYSTEM_ACTOR, "360726");
    await createRegistryService(deps).bulkCreate(SYSTEM_ACTOR, sampleHouseholds(), {
      source: "demo",
    });
    feeds = createFeedsService({ ...deps, policies });
  });

  it("by row key: undoes a correction, refuses to pull a load from under a later one, then undoes it", async () => {
    const first = await feeds.load(county, "medical", sample("medical"));
    expect(first.committed).toBe(true);
    const afterFirst = await current(database(), "medical");

    const corrected = readFileSync(sample("medical"), "utf8").replace(
      "肺恶性肿瘤,126500.00,38200.50,是",
      "肺部感染,12650.00,382.05,否",
    );
    const second = await feeds.load(county, "medical", write(corrected));
    expect(second.facts.superseded).toBe(1);

    await expect(feeds.withdraw(county, first.loadId!, "误传")).rejects.toMatchObject({
      code: "feed_load_superseded",
      detail: { loads: [second.loadId] },
    });

    const w = await feeds.withdraw(county, second.loadId!, "更正文件未经核实");
    expect({ ended: w.ended, restored: w.restored }).toEqual({ ended: 1, restored: 1 });
    expect(w.households).toHaveLength(1);
    expect(await current(database(), "medical")).toEqual(afterFirst);

    const all = await feeds.withdraw(county, first.loadId!, "上传了上个月的文件");
    expect({ ended: all.ended, restored: all.restored }).toEqual({
      ended: afterFirst.length,
      restored: 0,
    });
    expect(await current(database(), "medical")).toEqual([]);

    // The same file as the withdrawn load is a new load again, not "unchanged".
    const again = await feeds.load(county, "medical", sample("medical"));
    expect(again.committed).toBe(true);
    expect(again.facts).toEqual({ created: afterFirst.length, unchanged: 0, superseded: 0 });

    const record = await feeds.loadRecord(county, first.loadId!);
    expect(record).toMatchObject({
      withdrawn_at: NOW.toISOString(),
      withdrawn_by: "dept-county",
      withdraw_reason: "上传了上个月的文件",
    });
  });

  it("by period: the rows a month's re-upload no longer listed are current again", async () => {
    const month = await feeds.load(county, "civil_affairs", sample("civil_affairs"));
    const full = await current(database(), "civil_affairs");
    expect(full).toHaveLength(month.facts.created);

    const lines = readFileSync(sample("civil_affairs"), "utf8").split("\n");
    // Without the first person (the last row names nobody in the registry).
    const shorter = await feeds.load(
      county,
      "civil_affairs",
      write([lines[0], ...lines.slice(2)].join("\n")),
    );
    expect(shorter.facts.superseded).toBe(1);
    expect(await current(database(), "civil_affairs")).toHaveLength(full.length - 1);

    const w = await feeds.withdraw(county, shorter.loadId!, "漏了一行");
    expect(w.restored).toBe(1);
    expect(await current(database(), "civil_affairs")).toEqual(full);
  });

  it("needs a reason, happens once, and is on the audit log", async () => {
    const load = await feeds.load(county, "vehicle", sample("vehicle"));
    await expect(feeds.withdraw(county, load.loadId!, "  ")).rejects.toMatchObject({
      code: "reason_required",
    });
    await feeds.withdraw(county, load.loadId!, "车辆数据重复上传");
    await expect(feeds.withdraw(county, load.loadId!, "再撤一次")).rejects.toMatchObject({
      code: "feed_load_withdrawn",
    });
    const entries = await database()
      .db.selectFrom("audit_log")
      .select(["action", "target_id", "actor_name", "detail"])
      .where("action", "=", "feed.withdraw")
      .where("target_id", "=", String(load.loadId))
      .execute();
    expect(entries).toHaveLength(1);
    expect(entries[0]!.actor_name).toBe("dept-county");
    expect(JSON.parse(entries[0]!.detail!)).toMatchObject({
      feedType: "vehicle",
      reason: "车辆数据重复上传",
    });
  });

  it("only someone who may load the feed in the load's region may withdraw it", async () => {
    const load = await feeds.load(county, "death", sample("death"));
    const id = load.loadId!;
    await expect(
      feeds.withdraw(actor("department", "360726100"), id, "乡镇撤销县级批次"),
    ).rejects.toMatchObject({ code: "feed_load_out_of_scope" });
    await expect(feeds.withdraw(actor("village", "360726100201"), id, "x")).rejects.toMatchObject({
      kind: "not_allowed",
    });
    // Another county does not see the load at all.
    await expect(feeds.withdraw(actor("county", "360781"), id, "x")).rejects.toMatchObject({
      code: "feed_load_not_found",
    });
    const token: Actor = {
      ...county,
      token: { id: 1, feedTypes: ["death"] },
    };
    await expect(feeds.withdraw(token, id, "x")).rejects.toMatchObject({
      code: "token_not_allowed",
    });
    expect((await current(database(), "death")).length).toBeGreaterThan(0);
    const w = await feeds.withdraw(actor("county", "360726", "county-officer"), id, "核实有误");
    expect(w.ended).toBeGreaterThan(0);
    expect(await current(database(), "death")).toEqual([]);
  });
});
