import { describe, expect, it } from "vitest";
import { chinaDate, endOfChinaDay, ISO_DATE, ISO_MONTH } from "./dates.ts";

describe("chinaDate", () => {
  it("gives the calendar day in Beijing (UTC+8)", () => {
    expect(chinaDate(new Date("2024-03-01T00:00:00Z"))).toBe("2024-03-01");
    expect(chinaDate(new Date("2024-03-01T15:59:59.999Z"))).toBe("2024-03-01");
    expect(chinaDate(new Date("2024-03-01T16:00:00Z"))).toBe("2024-03-02");
    expect(chinaDate(new Date("2023-12-31T16:30:00Z"))).toBe("2024-01-01");
    expect(chinaDate(new Date("2024-02-28T18:00:00Z"))).toBe("2024-02-29");
  });
});

describe("endOfChinaDay", () => {
  it("is midnight in Beijing after the day, in UTC", () => {
    expect(endOfChinaDay("2024-03-01")).toBe("2024-03-01T16:00:00.000Z");
    expect(endOfChinaDay("2024-02-28")).toBe("2024-02-28T16:00:00.000Z");
    expect(endOfChinaDay("2023-12-31")).toBe("2023-12-31T16:00:00.000Z");
  });

  it("agrees with chinaDate: the instant before is the day, the instant itself the next day", () => {
    for (const day of ["2024-02-29", "2024-12-31", "2025-06-15"]) {
      const end = Date.parse(endOfChinaDay(day));
      expect(chinaDate(new Date(end - 1))).toBe(day);
      expect(chinaDate(new Date(end))).not.toBe(day);
    }
  });
});

describe("ISO patterns", () => {
  it("match dates and months", () => {
    expect(ISO_DATE.test("2024-03-01")).toBe(true);
    expect(ISO_DATE.test("2024-3-1")).toBe(false);
    expect(ISO_DATE.test("2024-03-01T00:00")).toBe(false);
    expect(ISO_MONTH.test("2024-03")).toBe(true);
    expect(ISO_MONTH.test("2024-12")).toBe(true);
    expect(ISO_MONTH.test("2024-13")).toBe(false);
    expect(ISO_MONTH.test("2024-00")).toBe(false);
    expect(ISO_MONTH.test("2024-3")).toBe(false);
    expect(ISO_MONTH.test("2024-03-01")).toBe(false);
  });
});
