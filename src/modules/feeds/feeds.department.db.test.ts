/**
 * A department's data officer bound to their feeds (users.feed_types, migration 015) on both
 * engines: created with them (checked against the feeds in force, for the department role only),
 * signed in with them, and then loading, listing, reading and withdrawing only those — another
 * department's loads are not found, as if they did not exist. An officer not bound works with
 * every feed, as before.
 */
import { beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { sampleHouseholds } from "../../../test/feed-samples.ts";
import { type Actor, createAuthService, SYSTEM_ACTOR } from "../auth/index.ts";
import { createPolicyService } from "../policy/index.ts";
import { createRegionsService } from "../regions/index.ts";
import { createRegistryService } from "../registry/index.ts";
import { createFeedsRepository, NO_COUNTS } from "./feeds.repository.ts";
import { createFeedsService } from "./feeds.service.ts";

const SAMPLES = new URL("../../../docs/formats/samples/", import.meta.url);
const sample = (type: string) => new URL(`${type}.csv`, SAMPLES).pathname;
const NOW = new Date("2026-11-20T02:00:00Z");
const policies = createPolicyService();
const feedTypesOf = (region: string) => policies.forRegion(region, 2026).feeds;

describeEachEngine("a department's officer and their feeds", (database) => {
  let feeds: ReturnType<typeof createFeedsService>;
  let auth: ReturnType<typeof createAuthService>;
  let medical: Actor;
  let any: Actor;

  beforeAll(async () => {
    const d = database();
    const deps = { db: d.db, engine: d.engine, now: () => NOW };
    await createRegionsService(deps).load(SYSTEM_ACTOR, "360726");
    await createRegistryService(deps).bulkCreate(SYSTEM_ACTOR, sampleHouseholds(), {
      source: "demo",
    });
    feeds = createFeedsService({ ...deps, policies });
    auth = createAuthService({ ...deps, feedTypesOf });
    const base = { password: "Fangpin-test-2026", role: "department" as const, region: "360726" };
    const made = await auth.addUser(
      { ...base, username: "yibao", displayName: "县医保局", feedTypes: ["medical", "medical"] },
      SYSTEM_ACTOR,
    );
    expect(made.feedTypes).toEqual(["medical"]);
    await auth.addUser({ ...base, username: "dept-any", displayName: "部门" }, SYSTEM_ACTOR);
    medical = (await auth.actorFor("yibao"))!;
    any = (await auth.actorFor("dept-any"))!;
  });

  it("is created with feeds in force, for the department role only, and signs in with them", async () => {
    expect(medical.feedTypes).toEqual(["medical"]);
    expect(any.feedTypes).toBeUndefined();
    const base = { password: "Fangpin-test-2026", region: "360726" };
    await expect(
      auth.addUser(
        { ...base, username: "x1", role: "county", feedTypes: ["medical"] },
        SYSTEM_ACTOR,
      ),
    ).rejects.toMatchObject({ code: "user_feed_types_role", field: "feedTypes" });
    await expect(
      auth.addUser(
        { ...base, username: "x2", role: "department", feedTypes: ["medical", "tax"] },
        SYSTEM_ACTOR,
      ),
    ).rejects.toMatchObject({ code: "feed_type_unknown", field: "feedTypes.1" });
    const session = await auth.login("yibao", "Fangpin-test-2026");
    expect(session.actor.feedTypes).toEqual(["medical"]);
    expect((await auth.authenticate(session.token))?.feedTypes).toEqual(["medical"]);
  });

  it("loads, lists, reads and withdraws only their own feeds", async () => {
    expect(Object.keys(feeds.definitions(medical))).toEqual(["medical"]);
    expect(Object.keys(feeds.definitions(any)).length).toBeGreaterThan(10);

    // Another department's file is refused before anything is read or written.
    await expect(feeds.load(medical, "vehicle", sample("vehicle"))).rejects.toMatchObject({
      kind: "not_allowed",
      code: "feed_not_allowed",
    });
    const own = await feeds.load(medical, "medical", sample("medical"));
    expect(own.committed).toBe(true);
    const other = await feeds.load(any, "vehicle", sample("vehicle"));
    expect(other.committed).toBe(true);

    const listed = async (actor: Actor) => (await feeds.loads(actor)).map((l) => Number(l.id));
    expect(await listed(medical)).toEqual([own.loadId]);
    expect(await listed(any)).toEqual([other.loadId, own.loadId]);
    await expect(feeds.report(medical, other.loadId!)).rejects.toMatchObject({
      code: "feed_load_not_found",
    });
    await expect(feeds.withdraw(medical, other.loadId!, "传错了")).rejects.toMatchObject({
      code: "feed_load_not_found",
    });
    expect((await feeds.report(medical, own.loadId!)).feedType).toBe("medical");
    const undone = await feeds.withdraw(medical, own.loadId!, "传错了月份");
    expect(undone.loadId).toBe(own.loadId);
  });

  it("lists the latest loads the user may see, however many they may not came after them", async () => {
    const repo = createFeedsRepository(database().db);
    const load = (feedType: string, region: string | null) =>
      repo.insertLoad({
        feed_type: feedType,
        file_hash: `${feedType}-${region}-${Math.random()}`,
        file_name: `${feedType}.csv`,
        format: "csv",
        policy_id: "county",
        region_code: region,
        actor_id: null,
        actor_name: "test",
        loaded_at: NOW.toISOString(),
        ...NO_COUNTS,
      });
    const mine = [
      await load("medical", "360726"),
      await load("medical", "3607"),
      await load("medical", "360726100"),
    ];
    const elsewhere = [
      await load("medical", "360726105"),
      await load("medical", "3608"),
      await load("medical", null),
    ];
    // More loads of another department than the list ever read before filtering (1,000).
    for (let i = 0; i < 1001; i++) await load("vehicle", "360726");
    const listed = async (actor: Actor, limit?: number) =>
      (await feeds.loads(actor, limit)).map((l) => Number(l.id));
    const town: Actor = { ...medical, regionCode: "360726100" };
    // The first test's load (the county's) follows them.
    expect((await listed(town)).slice(0, 3)).toEqual([...mine].reverse());
    expect(await listed(town, 2)).toEqual([mine[2], mine[1]]);
    // The county's officer sees the town loads below too, not the other county's or the nation's.
    const county = await listed(medical);
    expect(county.slice(0, 4)).toEqual([elsewhere[0], mine[2], mine[1], mine[0]]);
    expect(county).not.toContain(elsewhere[1]);
    expect(county).not.toContain(elsewhere[2]);
    // An unbound officer's list is full of the latest vehicle loads.
    expect(await listed(any, 5)).toHaveLength(5);
  });
});
