import { describe, expect, it } from "vitest";
import { findCandidates, homophoneFolder } from "./duplicates.ts";

const m = (id: number, householdId: number, name: string, birthDate: string | null) => ({
  id,
  householdId,
  name,
  birthDate,
});

describe("likely duplicates", () => {
  const groups = ["张章彰", "林琳霖", "秀绣"];

  it("folds characters that sound alike to one of their group", () => {
    const fold = homophoneFolder(groups);
    expect(fold("章秀琳")).toBe(fold("张绣林"));
    expect(fold("章秀琳")).not.toBe(fold("张秀兰"));
  });

  it("pairs same names and homophone names with the same birth date across households", () => {
    const members = [
      m(1, 10, "张秀林", "1960-03-15"),
      m(2, 20, "张秀林", "1960-03-15"),
      m(3, 30, "章绣琳", "1960-03-15"),
      m(4, 10, "章秀林", "1960-03-15"), // same household as 1: never a pair with it
      m(5, 40, "张秀林", "1961-03-15"), // another birth date
      m(6, 50, "张秀兰", "1960-03-15"), // 兰 does not sound like 林
      m(7, 60, "王五", null),
      m(8, 70, "王五", null),
    ];
    const pairs = findCandidates(members, groups).map((c) => [c.a.id, c.b.id, c.kind]);
    expect(pairs).toEqual([
      [1, 2, "same_name_birth"],
      [1, 3, "homophone"],
      [2, 3, "homophone"],
      [2, 4, "homophone"],
      [3, 4, "homophone"],
    ]);
  });

  it("leaves out reviewed pairs and groups too large to mean anything", () => {
    const members = [m(1, 10, "李明", "1990-01-01"), m(2, 20, "李明", "1990-01-01")];
    expect(findCandidates(members, [], new Set(["1:2"]))).toEqual([]);
    const many = Array.from({ length: 7 }, (_, i) => m(i + 1, i + 1, "李明", "1990-01-01"));
    expect(findCandidates(many, [])).toEqual([]);
    expect(findCandidates(many.slice(0, 3), [])).toHaveLength(3);
  });
});
