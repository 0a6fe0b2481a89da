import { expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { household, VILLAGE_A, VILLAGE_B } from "../../../test/factories.ts";
import { AppError } from "../../core/errors.ts";
import { makeIdNumber } from "../../core/id-number.ts";
import { type Actor, SYSTEM_ACTOR } from "../auth/index.ts";
import { createRegionsService } from "../regions/index.ts";
import { createRegistryService } from "./index.ts";

const ui = { source: "ui" } as const;
const villageUser: Actor = {
  id: null,
  username: "cun",
  displayName: "村干部",
  role: "village",
  regionCode: VILLAGE_A,
};
const viewer: Actor = {
  id: null,
  username: "kan",
  displayName: "只读",
  role: "viewer",
  regionCode: "360726",
};

async function rejects(p: Promise<unknown>, kind: string, code?: string) {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AppError);
  expect((e as AppError).kind).toBe(kind);
  if (code) expect((e as AppError).code).toBe(code);
  return e as AppError;
}

describeEachEngine("registry", (database) => {
  let clock = new Date("2026-03-01T02:00:00Z");
  const services = () => {
    const d = database();
    return {
      regions: createRegionsService({ db: d.db, now: () => clock }),
      registry: createRegistryService({ db: d.db, engine: d.engine, now: () => clock }),
    };
  };

  it("creates a household with its members and a creation event", async () => {
    await services().regions.load(SYSTEM_ACTOR, "360726");
    const input = household(VILLAGE_A, { seed: 1 });
    const detail = await services().registry.create(SYSTEM_ACTOR, input, ui);
    expect(detail.household.householdNumber).toBe(`${VILLAGE_A}0001`);
    expect(detail.household.headName).toBe("张1");
    expect(detail.household.size).toBe(3);
    expect(detail.household.villageName).toBeTruthy();
    expect(detail.household.version).toBe(1);
    expect(detail.members.map((m) => m.relationship)).toEqual(["户主", "配偶", "之子"]);
    // Masked by default; birth date and sex derived from the ID number.
    expect(String(detail.members[0]!.idNumber)).toMatch(/^360726\*+\d{3}[\dX]$/);
    expect(detail.members[0]!.birthDate).toBe("1961-03-15");
    expect(detail.members[0]!.sex).toBe("male");
    expect(detail.members[1]!.health).toBe("***");
    // (24,000 + 6,000 + 0 + 3,000 − 1,500) ÷ 3 = 10,500 yuan
    expect(detail.computed.perCapitaIncome).toBe(1_050_000);
    const history = await services().registry.history(
      SYSTEM_ACTOR,
      detail.household.householdNumber as string,
    );
    expect(history).toHaveLength(1);
    expect(history[0]!.kind).toBe("household.created");
  });

  it("edits through versioned events and refuses a stale version", async () => {
    const { registry } = services();
    const no = `${VILLAGE_A}0001`;
    clock = new Date("2026-03-05T02:00:00Z");
    const after = await registry.update(
      SYSTEM_ACTOR,
      no,
      { version: 1, changes: { wageIncome: 3_000_000, groupName: "第8组" }, reason: "入户核实" },
      ui,
    );
    expect(after.household.version).toBe(2);
    expect(after.household.wageIncome).toBe(3_000_000);
    const stale = await rejects(
      registry.update(SYSTEM_ACTOR, no, { version: 1, changes: { groupName: "第9组" } }, ui),
      "conflict",
      "version_conflict",
    );
    expect(stale.detail).toMatchObject({ currentVersion: 2 });
    expect((await registry.get(SYSTEM_ACTOR, no)).household.groupName).toBe("第8组");
    // An edit that changes nothing writes nothing.
    const same = await registry.update(
      SYSTEM_ACTOR,
      no,
      { version: 2, changes: { groupName: "第8组" } },
      ui,
    );
    expect(same.household.version).toBe(2);

    const member = after.members[2]!;
    clock = new Date("2026-03-10T02:00:00Z");
    const edited = await registry.updateMember(
      SYSTEM_ACTOR,
      no,
      member.id,
      { version: 2, changes: { education: "大专" }, reason: "毕业" },
      ui,
    );
    expect(edited.members[2]!.education).toBe("大专");
    const history = await registry.history(SYSTEM_ACTOR, no);
    expect(history.map((h) => h.kind)).toEqual([
      "member.updated",
      "household.updated",
      "household.created",
    ]);
    expect(history[0]!.changes).toEqual([
      {
        field: "education",
        label: "文化程度",
        memberId: member.id,
        memberName: "张小1",
        old: "高中",
        new: "大专",
      },
    ]);
    expect(history[0]!.reason).toBe("毕业");
    expect(history[1]!.changes.find((c) => c.field === "wageIncome")).toMatchObject({
      old: 2_400_000,
      new: 3_000_000,
    });
  });

  it("shows the household as of a past date, and its rows equal the replay of its events", async () => {
    const { registry } = services();
    const no = `${VILLAGE_A}0001`;
    const before = await registry.get(SYSTEM_ACTOR, no, { asOf: "2026-03-03" });
    expect(before.household.wageIncome).toBe(2_400_000);
    expect(before.household.groupName).toBe("第2组");
    expect(before.household.version).toBe(1);
    const middle = await registry.get(SYSTEM_ACTOR, no, { asOf: "2026-03-05" });
    expect(middle.household.wageIncome).toBe(3_000_000);
    expect(middle.members[2]!.education).toBe("高中");
    await rejects(
      registry.get(SYSTEM_ACTOR, no, { asOf: "2025-01-01" }),
      "not_found",
      "household_not_yet_created",
    );
    expect(await registry.replayed(no)).toEqual(await registry.stored(no));
  });

  it("adds and removes members, changes the head, and keeps the invariants", async () => {
    const { registry } = services();
    const no = `${VILLAGE_A}0001`;
    let d = await registry.get(SYSTEM_ACTOR, no);
    const baby = makeIdNumber("360726", "2024-05-05", 22);
    d = await registry.addMember(
      SYSTEM_ACTOR,
      no,
      {
        version: d.household.version,
        member: { name: "张宝", idType: "resident_id", idNumber: baby, relationship: "之孙女" },
      },
      ui,
    );
    expect(d.household.size).toBe(4);
    const babyId = d.members.find((m) => m.name === "张宝")!.id;
    // A second head is refused, naming the field.
    const twoHeads = await rejects(
      registry.updateMember(
        SYSTEM_ACTOR,
        no,
        d.members[1]!.id,
        { version: d.household.version, changes: { relationship: "户主" } },
        ui,
      ),
      "invalid_data",
      "household_two_heads",
    );
    expect(twoHeads.field).toMatch(/^members\[\d\]\.relationship$/);
    // A child older than the head is refused.
    await rejects(
      registry.addMember(
        SYSTEM_ACTOR,
        no,
        {
          version: d.household.version,
          member: {
            name: "错",
            idType: "resident_id",
            idNumber: makeIdNumber("360726", "1950-01-01", 31),
            relationship: "之子",
          },
        },
        ui,
      ),
      "invalid_data",
      "member_age_relationship",
    );
    // The head cannot be removed while others remain.
    await rejects(
      registry.removeMember(
        SYSTEM_ACTOR,
        no,
        d.members[0]!.id,
        { version: d.household.version, reason: "death" },
        ui,
      ),
      "invalid_data",
      "remove_head",
    );
    d = await registry.changeHead(
      SYSTEM_ACTOR,
      no,
      { version: d.household.version, memberId: d.members[1]!.id, formerHeadRelationship: "配偶" },
      ui,
    );
    expect(d.household.headName).toBe("李1");
    d = await registry.removeMember(
      SYSTEM_ACTOR,
      no,
      d.members[0]!.id,
      { version: d.household.version, reason: "death", on: "2026-03-09" },
      ui,
    );
    expect(d.household.size).toBe(3);
    expect(d.members[0]!.status).toBe("removed");
    expect(d.members[0]!.removedReason).toBe("death");
    // The removed member's ID number is free again; the baby's is not.
    await rejects(
      services().registry.create(
        SYSTEM_ACTOR,
        {
          ...household(VILLAGE_B, { seed: 7 }),
          members: [{ name: "重", idType: "resident_id", idNumber: baby, relationship: "户主" }],
        },
        ui,
      ),
      "conflict",
      "id_number_in_other_household",
    );
    expect(babyId).toBeGreaterThan(0);
    expect(await registry.replayed(no)).toEqual(await registry.stored(no));
  });

  it("rejects bad data whole and writes nothing", async () => {
    const { registry } = services();
    const good = household(VILLAGE_B, { seed: 20 });
    const bad = household(VILLAGE_B, { seed: 21 });
    const valid = bad.members[1]!.idNumber!;
    bad.members[1]!.idNumber = valid.slice(0, 17) + (valid[17] === "1" ? "2" : "1");
    const e = await rejects(
      registry.bulkCreate(SYSTEM_ACTOR, [good, bad], ui),
      "invalid_data",
      "id_number_check_char",
    );
    expect(e.message).toContain("第 2 户");
    expect(e.field).toBe("members[1].idNumber");
    await rejects(registry.get(SYSTEM_ACTOR, good.household.householdNumber!), "not_found");
    await rejects(
      registry.create(SYSTEM_ACTOR, household("360726999999", { seed: 22 }), ui),
      "invalid_data",
      "village_not_found",
    );
    await rejects(registry.create(SYSTEM_ACTOR, household(VILLAGE_A, { seed: 1 }), ui), "conflict");
  });

  it("limits a village user to their village and a viewer to reading", async () => {
    const { registry } = services();
    await registry.create(SYSTEM_ACTOR, household(VILLAGE_B, { seed: 30 }), ui);
    const mine = await registry.list(villageUser, { limit: 50 });
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((i) => i.villageCode === VILLAGE_A)).toBe(true);
    expect((await registry.list(villageUser, { limit: 50, region: VILLAGE_B })).items).toEqual([]);
    await rejects(registry.get(villageUser, `${VILLAGE_B}0030`), "not_found");
    await rejects(
      registry.update(
        villageUser,
        `${VILLAGE_B}0030`,
        { version: 1, changes: { groupName: "x" } },
        ui,
      ),
      "not_found",
    );
    await rejects(
      registry.create(villageUser, household(VILLAGE_B, { seed: 31 }), ui),
      "not_allowed",
      "village_out_of_scope",
    );
    const d = await registry.get(villageUser, `${VILLAGE_A}0001`);
    await rejects(
      registry.update(
        villageUser,
        `${VILLAGE_A}0001`,
        { version: d.household.version, changes: { villageCode: VILLAGE_B } },
        ui,
      ),
      "not_allowed",
      "village_out_of_scope",
    );
    await rejects(
      registry.update(
        viewer,
        `${VILLAGE_A}0001`,
        { version: d.household.version, changes: { groupName: "x" } },
        ui,
      ),
      "not_allowed",
    );
    await rejects(registry.get(viewer, `${VILLAGE_A}0001`, { unmask: true }), "not_allowed");
  });

  it("finds households by ID number, name and household number, page by page", async () => {
    const { registry } = services();
    const inputs = Array.from({ length: 7 }, (_, i) => household(VILLAGE_B, { seed: 100 + i }));
    await registry.bulkCreate(SYSTEM_ACTOR, inputs, { source: "import", sourceRef: "test.xlsx" });
    const id = inputs[3]!.members[1]!.idNumber!;
    const byId = await registry.list(SYSTEM_ACTOR, { idNumber: id.toLowerCase(), limit: 10 });
    expect(byId.items.map((i) => i.householdNumber)).toEqual([
      inputs[3]!.household.householdNumber,
    ]);
    const byQ = await registry.list(SYSTEM_ACTOR, { q: id, limit: 10 });
    expect(byQ.items.map((i) => i.householdNumber)).toEqual([inputs[3]!.household.householdNumber]);
    const byName = await registry.list(SYSTEM_ACTOR, { q: "张小105", limit: 10 });
    expect(byName.items.map((i) => i.headName)).toEqual(["张105"]);
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await registry.list(SYSTEM_ACTOR, { region: VILLAGE_B, limit: 3, after });
      seen.push(...r.items.map((i) => i.householdNumber));
      if (!r.next) break;
      after = r.next;
    }
    expect(seen).toHaveLength(8);
    expect(new Set(seen).size).toBe(8);
    const history = await registry.history(SYSTEM_ACTOR, inputs[0]!.household.householdNumber!);
    expect(history[0]).toMatchObject({ source: "import", sourceRef: "test.xlsx" });
  });

  it("filters the list the same whichever filters come together, and in whatever order asked", async () => {
    // The list's query is compiled once per combination of filters and reused with other
    // values (runShaped): each combination, asked with different values, must filter as the
    // unfiltered list filtered here does.
    const { registry } = services();
    const all = (await registry.list(SYSTEM_ACTOR, { limit: 500 })).items;
    expect(all.length).toBeGreaterThan(8);
    expect(new Set(all.map((h) => h.householdType)).size).toBeGreaterThan(1);
    const scopes: [Actor, string | undefined][] = [
      [SYSTEM_ACTOR, undefined],
      [viewer, undefined],
      [villageUser, undefined],
      [SYSTEM_ACTOR, VILLAGE_A],
      [viewer, VILLAGE_B],
      [villageUser, VILLAGE_B],
    ];
    // Household numbers: no name (head's or member's) holds one.
    const qs = [undefined, VILLAGE_B, `${VILLAGE_A}00`, `${VILLAGE_B}01`];
    for (const [actor, region] of scopes)
      for (const householdType of [undefined, "ordinary", "formerly_poor"] as const)
        for (const q of qs) {
          const got = await registry.list(actor, { limit: 500, region, householdType, q });
          const want = all.filter(
            (h) =>
              (actor.regionCode === null || h.villageCode.startsWith(actor.regionCode)) &&
              (region === undefined || h.villageCode.startsWith(region)) &&
              (householdType === undefined || h.householdType === householdType) &&
              (q === undefined || h.householdNumber.startsWith(q)),
          );
          expect(
            got.items.map((h) => h.householdNumber),
            `${actor.username} ${region} ${householdType} ${q}`,
          ).toEqual(want.map((h) => h.householdNumber));
        }
  });

  it("merges full households: creates, updates only what changed, reports missing members, rolls back dry runs", async () => {
    const { registry } = services();
    const a = household(VILLAGE_B, { seed: 300 });
    const b = household(VILLAGE_B, { seed: 301 });
    const dry = await registry.merge(
      SYSTEM_ACTOR,
      [a, b],
      { source: "import", sourceRef: "x.xlsx" },
      { dryRun: true },
    );
    expect(dry).toMatchObject({
      committed: false,
      households: { created: 2, updated: 0, unchanged: 0, rejected: 0 },
    });
    await rejects(registry.get(SYSTEM_ACTOR, a.household.householdNumber!), "not_found");

    const first = await registry.merge(SYSTEM_ACTOR, [a, b], {
      source: "import",
      sourceRef: "x.xlsx",
    });
    expect(first).toMatchObject({
      committed: true,
      households: { created: 2 },
      members: { created: 6 },
    });
    const again = await registry.merge(SYSTEM_ACTOR, [a, b], {
      source: "import",
      sourceRef: "x.xlsx",
    });
    expect(again.households).toEqual({ created: 0, updated: 0, unchanged: 2, rejected: 0 });
    expect(await registry.history(SYSTEM_ACTOR, a.household.householdNumber!)).toHaveLength(1);

    // b changes income and one member's education, loses a member from the file, gains a baby.
    const b2 = structuredClone(b);
    b2.household.wageIncome = 999_900;
    b2.members[1]!.education = "初中";
    const dropped = b2.members.splice(2, 1)[0]!;
    b2.members.push({
      name: "新生",
      idType: "resident_id",
      idNumber: makeIdNumber("360726", "2025-01-02", 44),
      relationship: "之孙女",
    });
    const second = await registry.merge(SYSTEM_ACTOR, [a, b2], {
      source: "import",
      sourceRef: "y.xlsx",
    });
    expect(second.households).toEqual({ created: 0, updated: 1, unchanged: 1, rejected: 0 });
    expect(second.members).toEqual({ created: 1, updated: 1, unchanged: 4, rejected: 0 });
    const outcome = second.outcomes[1]!;
    expect(outcome.missingMembers).toEqual([
      { name: dropped.name, idNumber: expect.stringMatching(/^360726\*+/) },
    ]);
    const d = await registry.get(SYSTEM_ACTOR, b.household.householdNumber!);
    expect(d.household.wageIncome).toBe(999_900);
    expect(d.household.size).toBe(4);
    const h = await registry.history(SYSTEM_ACTOR, b.household.householdNumber!);
    expect(h.map((e) => e.kind)).toEqual([
      "member.added",
      "member.updated",
      "household.updated",
      "household.created",
    ]);
    expect(h[0]).toMatchObject({ source: "import", sourceRef: "y.xlsx" });
    expect(await registry.replayed(b.household.householdNumber!)).toEqual(
      await registry.stored(b.household.householdNumber!),
    );
  });

  it("rejects a bad household alone, or the whole input with atomic all", async () => {
    const { registry } = services();
    const good = household(VILLAGE_B, { seed: 310 });
    const bad = household(VILLAGE_B, { seed: 311 });
    bad.members[2]!.relationship = "户主";
    const taken = household(VILLAGE_B, { seed: 312 });
    taken.members[1]!.idNumber = household(VILLAGE_B, { seed: 300 }).members[1]!.idNumber;
    const all = await registry.merge(
      SYSTEM_ACTOR,
      [good, bad, taken],
      { source: "import" },
      { atomic: "all" },
    );
    expect(all.committed).toBe(false);
    expect(all.households.rejected).toBe(2);
    await rejects(registry.get(SYSTEM_ACTOR, good.household.householdNumber!), "not_found");
    const each = await registry.merge(SYSTEM_ACTOR, [good, bad, taken], { source: "import" });
    expect(each.committed).toBe(true);
    expect(each.households).toEqual({ created: 1, updated: 0, unchanged: 0, rejected: 2 });
    expect(each.outcomes[1]!.problems.map((p) => [p.code, p.field])).toEqual([
      ["household_two_heads", "members[2].relationship"],
    ]);
    expect(each.outcomes[2]!.problems.map((p) => [p.code, p.field])).toEqual([
      ["id_number_in_other_household", "members[1].idNumber"],
    ]);
    expect((await registry.get(SYSTEM_ACTOR, good.household.householdNumber!)).household.size).toBe(
      3,
    );
  });

  it("stores text as given, tabs, backslashes and line breaks included, in rows and events", async () => {
    const { registry } = services();
    const odd = "第1组\t东\\N\n\\ \r（新）";
    const inputs = [1, 2, 3].map((k) => {
      const h = household(VILLAGE_B, { seed: 900 + k });
      h.household.groupName = `${odd}${k}`;
      h.household.extra = { 备注: odd, "tab\tkey": "\\N" };
      h.members[0]!.workLocation = odd;
      h.members[1]!.extra = { 说明: "a\\b\tc" };
      return h;
    });
    expect(await registry.bulkCreate(SYSTEM_ACTOR, inputs, { source: "demo" })).toEqual({
      created: 3,
      members: 9,
    });
    for (const [k, input] of inputs.entries()) {
      const no = input.household.householdNumber!;
      const stored = await registry.stored(no);
      expect(stored!.household.groupName).toBe(`${odd}${k + 1}`);
      expect(stored!.household.extra).toEqual({ 备注: odd, "tab\tkey": "\\N" });
      expect(stored!.members[0]!.workLocation).toBe(odd);
      expect(stored!.members[1]!.extra).toEqual({ 说明: "a\\b\tc" });
      expect(stored!.members[2]!.workLocation).toBeNull();
      expect(await registry.replayed(no)).toEqual(stored);
    }
  });
});
