/**
 * MemberIndex finds each ID number's members exactly, latest first, through its integer table
 * and its Map of ID numbers in another form, across growth beyond the capacity it was given.
 */
import { describe, expect, it } from "vitest";
import { makeIdNumber } from "../../core/id-number.ts";
import { MemberIndex } from "./feeds.lookup.ts";

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
});
