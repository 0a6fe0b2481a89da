/**
 * RowKeys answers exactly as a Map from key to first row would: the same key (and only the
 * same key) finds the row that named it first, across growth of its buffers and table, for keys
 * in any script and of any length.
 */
import { describe, expect, it } from "vitest";
import { RowKeys } from "./row-keys.ts";

/** A deterministic stream of numbers in [0, 1). */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("RowKeys", () => {
  it("records a key's first row and finds it again, not its later rows", () => {
    const keys = new RowKeys();
    expect(keys.firstRow('["JS0001"]', 2)).toBeUndefined();
    expect(keys.firstRow('["JS0002"]', 3)).toBeUndefined();
    expect(keys.firstRow('["JS0001"]', 4)).toBe(2);
    expect(keys.firstRow('["JS0001"]', 5)).toBe(2);
    expect(keys.size).toBe(2);
  });

  it("tells apart keys that share a prefix, differ in one character or only in script", () => {
    const keys = new RowKeys();
    const distinct = [
      "a",
      "ab",
      "abc",
      "",
      "b",
      "安远县",
      "安远",
      "安远县人民医院",
      "ａ",
      "😀",
      "😀😀",
    ];
    for (const [i, k] of distinct.entries()) expect(keys.firstRow(k, i + 1)).toBeUndefined();
    for (const [i, k] of distinct.entries()) expect(keys.firstRow(k, 100)).toBe(i + 1);
    expect(keys.size).toBe(distinct.length);
  });

  it("keeps keys longer than its scratch buffer whole", () => {
    const keys = new RowKeys();
    const long = "长".repeat(400); // 1,200 bytes
    expect(keys.firstRow(long, 7)).toBeUndefined();
    expect(keys.firstRow(`${long}x`, 8)).toBeUndefined();
    expect(keys.firstRow("长".repeat(399), 9)).toBeUndefined();
    expect(keys.firstRow(long, 10)).toBe(7);
    expect(keys.firstRow(`${long}x`, 11)).toBe(8);
  });

  it("agrees with a Map over 200,000 random keys with repeats, through every growth", () => {
    const next = random(42);
    const keys = new RowKeys();
    const map = new Map<string, number>();
    let repeats = 0;
    for (let row = 1; row <= 200_000; row++) {
      // About one key in five is drawn again; some are Chinese, lengths vary.
      const n = Math.floor(next() * 160_000);
      const key = n % 3 === 0 ? `["${n}","县${n % 97}"]` : `JS${n.toString(36)}`;
      const expected = map.get(key);
      if (expected === undefined) map.set(key, row);
      else repeats++;
      expect(keys.firstRow(key, row)).toBe(expected);
    }
    expect(repeats).toBeGreaterThan(30_000);
    expect(keys.size).toBe(map.size);
  });
});
