/**
 * MemberIndex finds each ID number's members exactly, latest first, through its integer table
 * and its Map of ID numbers in another form, across growth beyond the capacity it was given,
 * whether members come one by one or in pages of joined texts, and asked between additions; and
 * a load reads its region's members into memory once its file is expected to be large enough.
 */
import { describe, expect, it } from "vitest";
import { makeIdNumber } from "../../core/id-number.ts";
import { holdersFinder, MemberIndex, type MemberSource, PAGE_SEPARATOR } from "./feeds.lookup.ts";
import type { Holder } from "./feeds.repository.ts";

const V1 = "360726100201";
const V2 = "360726100202";

describe("MemberIndex", () => {
  it("agrees with a list of members for ID numbers in every form, past its capacity", () => {
    const index = new MemberIndex(4);
    const model = new Map<string, { id: number; active: boolean; village: string }[]>();
    const ids: string[] = [];
    for (let k = 0; k < 3000; k++) {
      const day = new Date(Date.UTC(1950, 0, 1) + (k % 900) * 86_400_000)
        .toISOString()
        .slice(0, 10);
      ids.push(makeIdNumber("360726", day, Math.floor(k / 900)));
    }
    // Not canonical: a lower-case x, a 15-digit number, letters, text of 18 characters.
    ids.push("36072619800101123x", "360726800101123", "ABCDEFGHIJKLMNOPQR", "36072619800101123 ");
    let id = 0;
    const add = (idNumber: string, active: boolean) => {
      id++;
      const village = id % 2 ? V1 : V2;
      index.add(idNumber, id, id * 10, `成员${id}`, active ? 1 : 0, village);
      const list = model.get(idNumber) ?? [];
      list.unshift({ id, active, village });
      model.set(idNumber, list);
    };
    ids.forEach((n, i) => {
      // Every seventh ID number also has a removed member, registered before the active one.
      if (i % 7 === 0) add(n, false);
      add(n, i % 11 !== 0);
    });
    for (const n of ids) {
      const expected = model.get(n)!;
      const found = index.holders(n);
      expect(found.map((h) => h.id)).toEqual(expected.map((m) => m.id));
      expect(found.map((h) => `${h.name}@${h.village_code}`)).toEqual(
        expected.map((m) => `成员${m.id}@${m.village}`),
      );
      expect(found.map((h) => h.status)).toEqual(
        expected.map((m) => (m.active ? "active" : "removed")),
      );
      const sole = index.soleActive(n);
      if (expected.length === 1 && expected[0]!.active) {
        expect(index.idAt(sole)).toBe(expected[0]!.id);
        expect(index.householdAt(sole)).toBe(expected[0]!.id * 10);
        expect(index.nameAt(sole)).toBe(`成员${expected[0]!.id}`);
        expect(index.villageAt(sole)).toBe(expected[0]!.village);
      } else expect(sole).toBe(-1);
    }
    // Near misses of a registered number find no one.
    const known = ids[5]!;
    for (const miss of [
      `${known.slice(0, 17)}${known[17] === "X" ? "0" : "X"}`,
      `1${known.slice(1)}`,
      known.toLowerCase() === known ? `${known.slice(0, 17)}Y` : known.toLowerCase(),
      makeIdNumber("360726", "2001-01-01", 5),
    ]) {
      expect(index.holders(miss)).toEqual([]);
      expect(index.soleActive(miss)).toBe(-1);
    }
  });

  /** Members as `add` takes them: ID number, id, household, name, active, village. */
  type Member = [string, number, number, string, number, string];
  /** The members in pages of `size`, as `addPage` takes them. */
  const pages = (members: readonly Member[], size: number) => {
    const out: [number, string, string, string, string][] = [];
    for (let i = 0; i < members.length; i += size) {
      const page = members.slice(i, i + size);
      out.push([
        page.length,
        page.map((m) => `${m[1]},${m[2]},${m[4]}`).join(","),
        page.map((m) => m[0]).join(PAGE_SEPARATOR),
        page.map((m) => m[3]).join(PAGE_SEPARATOR),
        page.map((m) => m[5]).join(PAGE_SEPARATOR),
      ]);
    }
    return out;
  };
  const everything = (index: MemberIndex, ids: readonly string[]) =>
    ids.map((n) => {
      const sole = index.soleActive(n);
      const at = sole < 0 ? null : [index.idAt(sole), index.nameAt(sole), index.villageAt(sole)];
      return [index.holders(n), at];
    });

  it("holds the same from pages of joined texts as from members one by one, asked between pages", () => {
    const members: Member[] = [];
    const ids: string[] = [];
    for (let k = 0; k < 2000; k++)
      ids.push(
        makeIdNumber("360726", `19${50 + (k % 40)}-03-0${1 + (k % 9)}`, Math.floor(k / 360)),
      );
    ids.push("360726800101123", "36072619800101123x");
    ids.forEach((n, i) => {
      // Every fifth ID number has two members; names of one to three characters and none.
      const times = i % 5 === 0 ? 2 : 1;
      for (let t = 0; t < times; t++) {
        const id = members.length + 1;
        const name = ["", "甲", "乙丙", "丁戊己", "𠮷"][id % 5]!;
        members.push([
          n,
          id,
          1000 + Math.floor(id / 3),
          name,
          id % 7 ? 1 : 0,
          id % 50 < 30 ? V1 : V2,
        ]);
      }
    });
    const one = new MemberIndex(members.length);
    for (const m of members) one.add(...m);
    const expected = everything(one, ids);
    expect(expected.filter(([, at]) => at !== null).length).toBeGreaterThan(1000);
    for (const size of [1, 7, 500, members.length]) {
      // A small capacity, so that the arrays grow and the table is made again.
      const paged = new MemberIndex(4);
      pages(members, size).forEach((p, i) => {
        expect(paged.addPage(...p)).toBe(true);
        // Asked now and then: the members added since are put in the table before it answers.
        if (i % 3 === 1) paged.soleActive(ids[i % ids.length]!);
      });
      expect(everything(paged, ids), `pages of ${size}`).toEqual(expected);
    }
  });

  it("refuses a page whose texts do not hold as many values as it has members, adding nothing", () => {
    const a = makeIdNumber("360726", "1980-01-01", 1);
    const b = makeIdNumber("360726", "1980-01-02", 1);
    const index = new MemberIndex(4);
    type Page = [number, string | null, string | null, string | null, string | null];
    const good: Page = [
      2,
      "1,10,1,2,20,1",
      `${a}${PAGE_SEPARATOR}${b}`,
      `甲${PAGE_SEPARATOR}乙`,
      `${V1}${PAGE_SEPARATOR}${V1}`,
    ];
    const bad: Page[] = [
      [2, "1,10,1,2,20", good[2], good[3], good[4]], // a number short
      [2, "1,10,1,2,2x,1", good[2], good[3], good[4]], // not a number
      [2, "1,10,1,2,,1", good[2], good[3], good[4]], // an empty number
      [2, good[1], a, good[3], good[4]], // an ID number short (a null)
      [2, good[1], good[2], `甲${PAGE_SEPARATOR}乙${PAGE_SEPARATOR}丙`, good[4]], // a separator in a name
      [2, good[1], good[2], good[3], V1], // a village short
      [2, good[1], good[2], null, good[4]], // names all null
    ];
    for (const page of bad) {
      expect(index.addPage(...page)).toBe(false);
      expect(index.holders(a)).toEqual([]);
    }
    expect(index.addPage(...good)).toBe(true);
    expect(index.holders(b)).toEqual([
      { id: 2, household_id: 20, id_number: b, name: "乙", status: "active", village_code: V1 },
    ]);
  });
});

describe("holdersFinder", () => {
  const holder = (idNumber: string, id: number): Holder => ({
    id,
    household_id: id * 10,
    id_number: idNumber,
    name: `成员${id}`,
    status: "active",
    village_code: V1,
  });
  const ids = [1, 2, 3].map((k) => makeIdNumber("360726", "1970-01-01", k));
  /** A registry of 1,200,000 members (three of them named) that records what it was asked. */
  function source() {
    const calls: string[] = [];
    const members: MemberSource = {
      async lookup(idNumbers) {
        calls.push(`lookup ${idNumbers.length}`);
        return ids.filter((n) => idNumbers.includes(n)).map((n, i) => holder(n, i + 1));
      },
      async active() {
        return [];
      },
      async count() {
        calls.push("count");
        return 1_200_000;
      },
      async scan(_range, into) {
        calls.push("scan");
        ids.forEach((n, i) => {
          into.add(n, i + 1, (i + 1) * 10, `成员${i + 1}`, 1, V1);
        });
      },
    };
    return { calls, members };
  }

  it("reads the members into memory once the file is expected to be large enough, even if it first seemed small", async () => {
    const { calls, members } = source();
    const finder = holdersFinder(members, null);
    // 20,000 rows expected, then 99,999: fewer than a twelfth of the members, too few to read
    // them all.
    expect((await finder.holdersOf(ids, 20_000)).get(ids[0]!)![0]!.id).toBe(1);
    expect(await finder.indexFor!(99_999)).toBeNull();
    // The estimate grows: now a twelfth of them.
    const index = await finder.indexFor!(100_000);
    expect(index?.soleActive(ids[2]!)).toBe(2);
    expect((await finder.holdersOf(ids, 120_000)).get(ids[1]!)![0]!.id).toBe(2);
    expect(calls).toEqual(["count", "lookup 3", "scan"]);
  });

  it("looks members up per chunk for a small file without counting them", async () => {
    const { calls, members } = source();
    const finder = holdersFinder(members, null);
    await finder.holdersOf(ids, 9_000);
    expect(await finder.indexFor!(9_000)).toBeNull();
    expect(calls).toEqual(["lookup 3"]);
  });
});
