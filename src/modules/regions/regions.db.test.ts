import { beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { AppError } from "../../core/errors.ts";
import type { Actor } from "../auth/auth.schema.ts";
import { SYSTEM_ACTOR } from "../auth/auth.schema.ts";
import { createRegionsService, type RegionsService } from "./regions.service.ts";

const NOW = new Date("2025-06-15T02:00:00Z");
const COUNTY = "360726";
/** 欣山镇 */
const TOWN = "360726100";

function actor(role: Actor["role"], regionCode: string | null): Actor {
  return { id: 42, username: `${role}-user`, displayName: role, role, regionCode };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error("expected the promise to reject with an AppError");
}

describeEachEngine("regions service", (database) => {
  let regions: RegionsService;
  let loaded: number;
  let villageA: string;
  let villageB: string;
  let otherTownVillage: string;

  beforeAll(async () => {
    regions = createRegionsService({ db: database().db, now: () => NOW });
    ({ loaded } = await regions.load(SYSTEM_ACTOR, COUNTY));
    const villages = await regions.villagesUnder(TOWN);
    villageA = villages[0]!.code;
    villageB = villages[1]!.code;
    otherTownVillage = (await regions.villagesUnder("360726101"))[0]!.code;
  });

  it("loads 安远县: 18 towns and 九龙工业园, 177 villages, and its ancestors", async () => {
    const county = await regions.show(SYSTEM_ACTOR, COUNTY);
    expect(county).toMatchObject({ code: COUNTY, name: "安远县", level: "county", parent: "3607" });
    expect(county.children).toHaveLength(19);
    expect(county.children.map((c) => c.name)).toContain("九龙工业园");
    expect(county.children.map((c) => c.name)).toContain("欣山镇");
    expect(county.children.filter((c) => /[镇乡]$/.test(c.name))).toHaveLength(18);
    expect(county.children.map((c) => c.code)).toEqual(
      [...county.children.map((c) => c.code)].sort(),
    );

    expect(await regions.villagesUnder(COUNTY)).toHaveLength(177);
    expect(await regions.show(SYSTEM_ACTOR, "36")).toMatchObject({
      name: "江西省",
      level: "province",
      parent: null,
    });
    const city = await regions.show(SYSTEM_ACTOR, "3607");
    expect(city).toMatchObject({ name: "赣州市", level: "city", parent: "36" });
    // Only the loaded county hangs under the city; the rest of Jiangxi was not loaded.
    expect(city.children).toEqual([{ code: COUNTY, name: "安远县" }]);

    // province + city + county + 19 + 177
    expect(loaded).toBe(199);
    expect(await regions.count()).toBe(199);
  });

  it("gives every village a town parent inside the county", async () => {
    const villages = await regions.villagesUnder(COUNTY);
    for (const v of villages) {
      expect(v.code).toMatch(/^360726\d{6}$/);
      expect(v.parent_code).toBe(v.code.slice(0, 9));
    }
    const town = await regions.show(SYSTEM_ACTOR, TOWN);
    expect(town).toMatchObject({ name: "欣山镇", level: "town", parent: COUNTY });
    expect(town.children.length).toBe(villages.filter((v) => v.parent_code === TOWN).length);
  });

  it("loads again without adding anything", async () => {
    const again = await regions.load(SYSTEM_ACTOR, COUNTY);
    expect(again.loaded).toBe(199);
    expect(await regions.count()).toBe(199);
    expect((await regions.show(SYSTEM_ACTOR, COUNTY)).children).toHaveLength(19);
  });

  it("writes an audit entry for each load", async () => {
    const rows = await database()
      .db.selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "region.load")
      .orderBy("id")
      .execute();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows[0]).toMatchObject({
      actor_name: "system",
      target_type: "region",
      target_id: COUNTY,
      at: NOW.toISOString(),
    });
    expect(JSON.parse(rows[0]!.detail!)).toEqual({ loaded: 199 });
  });

  it("refuses an invalid prefix", async () => {
    for (const prefix of ["3", "360", "36072", "3607261", "360726100201", "abc", "36 07"]) {
      const e = await rejection(regions.load(SYSTEM_ACTOR, prefix));
      expect(e.kind, prefix).toBe("invalid_data");
      expect(e.code, prefix).toBe("region_prefix_invalid");
      expect(e.field).toBe("province");
    }
    expect(await regions.count()).toBe(199);
  });

  it("refuses a prefix with nothing under it and leaves no trace", async () => {
    const auditBefore = await database().db.selectFrom("audit_log").select("id").execute();
    const e = await rejection(regions.load(SYSTEM_ACTOR, "99"));
    expect(e.kind).toBe("invalid_data");
    expect(e.code).toBe("region_not_found");
    expect(await regions.count()).toBe(199);
    const auditAfter = await database().db.selectFrom("audit_log").select("id").execute();
    expect(auditAfter).toHaveLength(auditBefore.length);
  });

  it("shows a village-scoped user only their own village", async () => {
    const villager = actor("village", villageA);
    const own = await regions.show(villager, villageA);
    expect(own).toMatchObject({ code: villageA, level: "village", parent: TOWN, children: [] });

    for (const code of [villageB, otherTownVillage, TOWN, COUNTY, "36", "360726999999"]) {
      const e = await rejection(regions.show(villager, code));
      expect(e.kind, code).toBe("not_found");
      expect(e.code, code).toBe("region_not_found");
    }
  });

  it("answers the same for a region out of scope and one that does not exist", async () => {
    const townUser = actor("town", TOWN);
    const outside = await rejection(regions.show(townUser, otherTownVillage));
    const missing = await rejection(regions.show(townUser, `${TOWN}999`));
    expect(outside.kind).toBe(missing.kind);
    expect(outside.code).toBe(missing.code);
    expect((await regions.show(townUser, villageB)).code).toBe(villageB);
  });

  it("refuses users whose role may not read regions", async () => {
    const e = await rejection(
      regions.show({ ...actor("viewer", null), role: "nobody" as Actor["role"] }, COUNTY),
    );
    expect(e.kind).toBe("not_allowed");
  });

  it("searches within the user's subtree only", async () => {
    const all = await regions.search(SYSTEM_ACTOR, "村", 100);
    expect(all.length).toBeGreaterThan(10);
    expect(all.some((r) => !r.code.startsWith(TOWN))).toBe(true);

    const townHits = await regions.search(actor("town", TOWN), "村", 100);
    expect(townHits.length).toBeGreaterThan(0);
    for (const r of townHits) expect(r.code.startsWith(TOWN)).toBe(true);
    expect(townHits.length).toBeLessThan(all.length);

    const villager = actor("village", villageA);
    const villageName = (await regions.show(villager, villageA)).name;
    const mine = await regions.search(villager, villageName.slice(0, 2), 100);
    expect(mine.map((r) => r.code)).toEqual([villageA]);
    expect(await regions.search(villager, "安远", 100)).toEqual([]);
  });

  it("gives search hits their full name and honours the limit", async () => {
    const [hit] = await regions.search(SYSTEM_ACTOR, "欣山镇", 5);
    expect(hit).toEqual({
      code: TOWN,
      name: "欣山镇",
      level: "town",
      fullName: "江西省 赣州市 安远县 欣山镇",
    });
    expect(await regions.search(SYSTEM_ACTOR, "村", 3)).toHaveLength(3);
    // LIKE wildcards typed by the user do not act as wildcards.
    expect(await regions.search(SYSTEM_ACTOR, "欣_镇", 5)).toEqual([]);
    expect(await regions.search(SYSTEM_ACTOR, "不存在的地名", 5)).toEqual([]);
  });

  it("lists the path root first", async () => {
    const path = await regions.path(SYSTEM_ACTOR, villageA);
    expect(path.map((p) => p.code)).toEqual(["36", "3607", COUNTY, TOWN, villageA]);
    expect(path.map((p) => p.level)).toEqual(["province", "city", "county", "town", "village"]);
    expect(path.slice(0, 4).map((p) => p.name)).toEqual(["江西省", "赣州市", "安远县", "欣山镇"]);
    expect(await regions.path(SYSTEM_ACTOR, "36")).toEqual([
      { code: "36", name: "江西省", level: "province" },
    ]);
  });

  it("refuses a path outside the user's subtree", async () => {
    const e = await rejection(regions.path(actor("village", villageA), villageB));
    expect(e.kind).toBe("not_found");
    // Within scope the ancestors above the user's own region are still named (breadcrumb).
    expect(
      (await regions.path(actor("village", villageA), villageA)).map((p) => p.code),
    ).toHaveLength(5);
  });
});
