import { describe, expect, it } from "vitest";
import {
  COUNT_ALL_TRANSFERS,
  countedTransfer,
  type IncomeComponents,
  type IncomePolicy,
  netIncome,
  perCapitaIncome,
} from "./income.ts";

const NOTHING: IncomeComponents = {
  wageIncome: null,
  businessIncome: null,
  propertyIncome: null,
  transferIncome: null,
  businessCosts: null,
};

/** A household of four: 24,000 wages, 8,000 business, 1,000 property, 6,000 transfers, 3,000 costs. */
const FOUR: IncomeComponents = {
  wageIncome: 2_400_000,
  businessIncome: 800_000,
  propertyIncome: 100_000,
  transferIncome: 600_000,
  businessCosts: 300_000,
  transferParts: { dibao: 360_000, pension: 180_000, eco_subsidy: 60_000 },
};

const ONLY_DIBAO_AND_PENSION: IncomePolicy = { countedTransfers: ["dibao", "pension"] };

describe("countedTransfer", () => {
  it('counts the whole transfer total under "*"', () => {
    expect(countedTransfer(FOUR, COUNT_ALL_TRANSFERS)).toBe(600_000);
    expect(countedTransfer(FOUR, { countedTransfers: ["dibao", "*"] })).toBe(600_000);
  });

  it("counts only the listed parts when parts are known", () => {
    expect(countedTransfer(FOUR, ONLY_DIBAO_AND_PENSION)).toBe(540_000);
    expect(countedTransfer(FOUR, { countedTransfers: ["eco_subsidy"] })).toBe(60_000);
    expect(countedTransfer(FOUR, { countedTransfers: ["unknown_kind"] })).toBe(0);
    expect(countedTransfer(FOUR, { countedTransfers: [] })).toBe(0);
  });

  it("counts a transfer total without parts whole", () => {
    const noParts = { ...FOUR, transferParts: undefined };
    expect(countedTransfer(noParts, ONLY_DIBAO_AND_PENSION)).toBe(600_000);
    expect(countedTransfer({ ...FOUR, transferParts: {} }, ONLY_DIBAO_AND_PENSION)).toBe(600_000);
  });

  it("is zero when transfers were not surveyed", () => {
    expect(countedTransfer(NOTHING, COUNT_ALL_TRANSFERS)).toBe(0);
    expect(countedTransfer(NOTHING, ONLY_DIBAO_AND_PENSION)).toBe(0);
  });
});

describe("netIncome", () => {
  it("adds the four incomes and subtracts business costs", () => {
    // 24,000 + 8,000 + 1,000 + 6,000 − 3,000 = 36,000 yuan
    expect(netIncome(FOUR, COUNT_ALL_TRANSFERS)).toBe(3_600_000);
    // 24,000 + 8,000 + 1,000 + (3,600 + 1,800) − 3,000 = 35,400 yuan
    expect(netIncome(FOUR, ONLY_DIBAO_AND_PENSION)).toBe(3_540_000);
  });

  it("is null when nothing was surveyed", () => {
    expect(netIncome(NOTHING, COUNT_ALL_TRANSFERS)).toBeNull();
    expect(
      netIncome({ ...NOTHING, transferParts: { dibao: 100 } }, COUNT_ALL_TRANSFERS),
    ).toBeNull();
  });

  it("treats components not surveyed as zero once anything was surveyed", () => {
    expect(netIncome({ ...NOTHING, wageIncome: 500_000 }, COUNT_ALL_TRANSFERS)).toBe(500_000);
    expect(netIncome({ ...NOTHING, wageIncome: 0 }, COUNT_ALL_TRANSFERS)).toBe(0);
    expect(netIncome({ ...NOTHING, businessCosts: 120_000 }, COUNT_ALL_TRANSFERS)).toBe(-120_000);
  });
});

describe("perCapitaIncome", () => {
  it("divides net income by household size", () => {
    expect(perCapitaIncome(FOUR, 4, COUNT_ALL_TRANSFERS)).toBe(900_000);
    expect(perCapitaIncome(FOUR, 4, ONLY_DIBAO_AND_PENSION)).toBe(885_000);
    expect(perCapitaIncome(FOUR, 1, COUNT_ALL_TRANSFERS)).toBe(3_600_000);
  });

  it("rounds to the fen", () => {
    // 1,000.00 yuan ÷ 3 = 333.333… → 33,333 fen; 1,000.02 ÷ 3 = 333.34 exactly
    expect(perCapitaIncome({ ...NOTHING, wageIncome: 100_000 }, 3, COUNT_ALL_TRANSFERS)).toBe(
      33_333,
    );
    expect(perCapitaIncome({ ...NOTHING, wageIncome: 100_002 }, 3, COUNT_ALL_TRANSFERS)).toBe(
      33_334,
    );
    expect(perCapitaIncome({ ...NOTHING, wageIncome: 200_001 }, 3, COUNT_ALL_TRANSFERS)).toBe(
      66_667,
    );
    expect(perCapitaIncome({ ...NOTHING, wageIncome: 5 }, 2, COUNT_ALL_TRANSFERS)).toBe(3);
  });

  it("is null when nothing was surveyed or the household has no members", () => {
    expect(perCapitaIncome(NOTHING, 4, COUNT_ALL_TRANSFERS)).toBeNull();
    expect(perCapitaIncome(FOUR, 0, COUNT_ALL_TRANSFERS)).toBeNull();
    expect(perCapitaIncome(FOUR, -1, COUNT_ALL_TRANSFERS)).toBeNull();
  });

  it("can be negative when costs exceed income", () => {
    expect(
      perCapitaIncome(
        { ...NOTHING, wageIncome: 100_000, businessCosts: 500_000 },
        2,
        COUNT_ALL_TRANSFERS,
      ),
    ).toBe(-200_000);
  });
});
