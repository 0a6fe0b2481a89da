import { describe, expect, it } from "vitest";
import { AppError } from "./errors.ts";
import { formatYuan, parseYuan, toHalfWidth } from "./money.ts";

function thrown(f: () => unknown): AppError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error("expected an AppError");
}

describe("parseYuan — text", () => {
  it("reads amounts as people write them", () => {
    expect(parseYuan("7,500.5")).toBe(750_050);
    expect(parseYuan("7500")).toBe(750_000);
    expect(parseYuan("7500.05")).toBe(750_005);
    expect(parseYuan("1,234,567.89")).toBe(123_456_789);
    expect(parseYuan("1，234.5")).toBe(123_450);
    expect(parseYuan(" 88 元")).toBe(8_800);
    expect(parseYuan("5.")).toBe(500);
    expect(parseYuan("+12.3")).toBe(1_230);
    expect(parseYuan("0007")).toBe(700);
  });

  it("folds full-width digits, signs and points", () => {
    expect(parseYuan("１２３")).toBe(12_300);
    expect(parseYuan("１２３．４")).toBe(12_340);
    expect(parseYuan("－２０")).toBe(-2_000);
  });

  it("keeps the sign of negative amounts", () => {
    expect(parseYuan("-20")).toBe(-2_000);
    expect(parseYuan("-0.01")).toBe(-1);
    expect(parseYuan("-1,000.50")).toBe(-100_050);
  });

  it("rounds past the second decimal half away from zero", () => {
    expect(parseYuan("1234.565")).toBe(123_457);
    expect(parseYuan("1234.564")).toBe(123_456);
    expect(parseYuan("1234.5650001")).toBe(123_457);
    expect(parseYuan("0.995")).toBe(100);
    expect(parseYuan("9.999")).toBe(1_000);
    expect(parseYuan("-1234.565")).toBe(-123_457);
    expect(parseYuan("-1234.564")).toBe(-123_456);
  });

  it("turns -0 into 0", () => {
    expect(Object.is(parseYuan("-0"), 0)).toBe(true);
    expect(Object.is(parseYuan("-0.001"), 0)).toBe(true);
  });

  it("returns null for blanks", () => {
    expect(parseYuan("")).toBeNull();
    expect(parseYuan("   ")).toBeNull();
    expect(parseYuan("\u3000")).toBeNull();
    expect(parseYuan(null)).toBeNull();
    expect(parseYuan(undefined)).toBeNull();
  });

  it("refuses text that is not a number, naming the field", () => {
    for (const text of ["abc", "12a", "1.2.3", "--5", "1e5", ".5", "-", "五百"]) {
      const e = thrown(() => parseYuan(text, "wageIncome"));
      expect(e.kind, text).toBe("invalid_data");
      expect(e.code, text).toBe("money_not_number");
      expect(e.field, text).toBe("wageIncome");
    }
    expect(thrown(() => parseYuan("abc")).message).toContain("abc");
  });

  it("refuses amounts beyond safe integers of fen", () => {
    const e = thrown(() => parseYuan("900000000000000000"));
    expect(e.kind).toBe("invalid_data");
    expect(e.code).toBe("money_too_large");
  });
});

describe("parseYuan — numbers (Excel cells)", () => {
  it("converts yuan to fen", () => {
    expect(parseYuan(0)).toBe(0);
    expect(parseYuan(7500.5)).toBe(750_050);
    expect(parseYuan(1234.56)).toBe(123_456);
    expect(parseYuan(0.1 + 0.2)).toBe(30);
    expect(parseYuan(-20)).toBe(-2_000);
  });

  it("rounds half away from zero despite binary floating point", () => {
    // 1234.565 is stored as 1234.56499999…; people meant …565.
    expect(parseYuan(1234.565)).toBe(123_457);
    expect(parseYuan(1.005)).toBe(101);
    expect(parseYuan(-1234.565)).toBe(-123_457);
    expect(parseYuan(-1.125)).toBe(-113);
    expect(parseYuan(1234.564)).toBe(123_456);
  });

  it("refuses NaN and infinities", () => {
    for (const n of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const e = thrown(() => parseYuan(n, "businessCosts"));
      expect(e.kind).toBe("invalid_data");
      expect(e.code).toBe("money_not_number");
      expect(e.field).toBe("businessCosts");
    }
  });
});

describe("formatYuan", () => {
  it("prints two decimals, no grouping", () => {
    expect(formatYuan(750_050)).toBe("7500.50");
    expect(formatYuan(0)).toBe("0.00");
    expect(formatYuan(5)).toBe("0.05");
    expect(formatYuan(100)).toBe("1.00");
    expect(formatYuan(123_456_789)).toBe("1234567.89");
    expect(formatYuan(-5)).toBe("-0.05");
    expect(formatYuan(-100_050)).toBe("-1000.50");
  });

  it("round-trips with parseYuan", () => {
    for (const fen of [0, 1, 99, 100, 101, 750_050, -1, -750_050, 9_007_199_254_740_991]) {
      expect(parseYuan(formatYuan(fen))).toBe(fen);
    }
  });
});

describe("toHalfWidth", () => {
  it("maps full-width ASCII and the ideographic space", () => {
    expect(toHalfWidth("ＡＢｘ１２．，（）")).toBe("ABx12.,()");
    expect(toHalfWidth("a\u3000b")).toBe("a b");
    expect(toHalfWidth("安远县")).toBe("安远县");
  });
});
