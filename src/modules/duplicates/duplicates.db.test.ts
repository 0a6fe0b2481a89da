/**
 * Duplicate review on both engines: likely duplicates are found across households (same name
 * and birth date, or names that sound alike), within the reader's region only; dismissing hides
 * a pair; merging removes the duplicate as 重复录入 with an event in its household's history
 * and records who decided.
 */
import { beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { household, VILLAGE_A, VILLAGE_B } from "../../../test/factories.ts";
import { type Actor, SYSTEM_ACTOR } from "../auth/index.ts";
import { createPolicyService } from "../policy/index.ts";
import { createRegionsService } from "../regions/index.ts";
import { createRegistryService } from "../registry/index.ts";
import { createDuplicatesService } from "./duplicates.service.ts";

const NOW = new Date("2026-11-20T02:00:00Z");
const county: Actor = {
  id: null,
  username: "xian",
  displayName: "县",
  role: "county",
  regionCode: "360726",
};
const villageA: Actor = { ...county, username: "cunA", role: "village", regionCode: VILLAGE_A };

describeEachEngine("duplicate review", (database) => {
  let s: ReturnType<typeof setup>;
  function setup() {
    const d = database();
    const deps = { db: d.db, engine: d.engine, now: () => NOW };
    const registry = createRegistryService(deps);
    return {
      registry,
      regions: createRegionsService(deps),
      duplicates: createDuplicatesService({ ...deps, policies: createPolicyService(), registry }),
    };
  }
  // Seeds 1, 21, 41 and 61: heads born the same day (the factory's year repeats every 20).
  const h1 = household(VILLAGE_A, { seed: 1 });
  const h2 = household(VILLAGE_A, { seed: 21 });
  const h3 = household(VILLAGE_B, { seed: 41 });
  const h4 = household(VILLAGE_B, { seed: 61 });
  h1.members[0]!.name = "张秀林";
  h2.members[0]!.name = "章绣琳";
  h3.members[0]!.name = "张秀林";
  h4.members[0]!.name = "张秀兰";

  beforeAll(async () => {
    s = setup();
    await s.regions.load(SYSTEM_ACTOR, "360726");
    await s.registry.bulkCreate(SYSTEM_ACTOR, [h1, h2, h3, h4], { source: "demo" });
  });

  const pairsOf = async (actor: Actor) =>
    (await s.duplicates.candidates(actor)).map((p) => [
      p.a.householdNumber,
      p.b.householdNumber,
      p.kind,
    ]);

  it("finds same names and homophone names born the same day, in other households", async () => {
    const [n1, n2, n3] = [h1, h2, h3].map((h) => h.household.householdNumber!);
    expect(await pairsOf(county)).toEqual([
      [n1, n2, "homophone"],
      [n1, n3, "same_name_birth"],
      [n2, n3, "homophone"],
    ]);
    const [first] = await s.duplicates.candidates(county);
    expect(first!.a.idNumber).toContain("*");
    // A village sees the pairs inside it only: 欣山镇's village does not learn of 孔田镇's 张秀林.
    expect(await pairsOf(villageA)).toEqual([[n1, n2, "homophone"]]);
  });

  it("dismisses a pair: it is not offered again", async () => {
    const [pair] = await s.duplicates.candidates(villageA);
    await expect(
      s.duplicates.dismiss(villageA, pair!.a.memberId, pair!.b.memberId, null),
    ).rejects.toMatchObject({ kind: "not_allowed" });
    await s.duplicates.dismiss(county, pair!.b.memberId, pair!.a.memberId, "不同人，身份证已核");
    expect(await pairsOf(villageA)).toEqual([]);
    await expect(
      s.duplicates.dismiss(county, pair!.a.memberId, pair!.b.memberId, null),
    ).rejects.toMatchObject({ kind: "not_found" });
  });

  it("merges: the duplicate leaves its household as 重复录入, both histories kept", async () => {
    const pair = (await s.duplicates.candidates(county)).find((p) => p.kind === "same_name_birth")!;
    // The duplicate is a head with a family: it must be a member the registry may remove.
    await expect(
      s.duplicates.merge(county, pair.a.memberId, pair.b.memberId, null),
    ).rejects.toMatchObject({ code: "remove_head" });
    const n3 = h3.household.householdNumber!;
    const d3 = await s.registry.get(SYSTEM_ACTOR, n3);
    const spouse = d3.members[1]!;
    await s.registry.changeHead(
      SYSTEM_ACTOR,
      n3,
      { version: d3.household.version, memberId: spouse.id, formerHeadRelationship: "配偶" },
      { source: "ui" },
    );
    await s.duplicates.merge(county, pair.a.memberId, pair.b.memberId, "同一人两处建档");
    const after = await s.registry.get(SYSTEM_ACTOR, n3);
    const gone = after.members.find((m) => m.id === pair.b.memberId)!;
    expect(gone).toMatchObject({ status: "removed", removedReason: "duplicate" });
    const history = await s.registry.history(SYSTEM_ACTOR, n3);
    expect(JSON.stringify(history[0])).toContain("同一人两处建档");
    expect(await pairsOf(county)).toEqual([]);
    const reviews = await database().db.selectFrom("duplicate_reviews").selectAll().execute();
    expect(reviews.map((r) => r.decision).sort()).toEqual(["dismissed", "merged"]);
    expect(reviews.find((r) => r.decision === "merged")!.kept_member).toBe(pair.a.memberId);
  });
});
