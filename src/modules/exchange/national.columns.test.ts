import { describe, expect, it } from "vitest";
import {
  bindHeaders,
  columnFor,
  isHeaderRow,
  NATIONAL_COLUMNS,
  normalizeHeader,
  unmappedFields,
} from "./national.columns.ts";

describe("header normalisation", () => {
  it.each([
    [" 人均纯收入（元） ", "人均纯收入(元)"],
    ["耕地面积 (亩)", "耕地面积(亩)"],
    ["县（市、区、旗）", "县(市、区、旗)"],
    ["\u3000证件号码\u00a0", "证件号码"],
    ["*姓名", "姓名"],
    ["公益性岗位（月数）", "公益性岗位(月数)"],
  ])("%j → %j", (raw, normalized) => {
    expect(normalizeHeader(raw)).toBe(normalized);
  });

  it("matches known aliases of the region and identity columns", () => {
    const key = (h: string) => {
      const t = columnFor(h)?.target;
      if (!t) return null;
      return t.kind === "region"
        ? `region.${t.level}`
        : t.kind === "passthrough"
          ? "extra"
          : t.field.key;
    };
    expect(key("县(市、区、旗)")).toBe("region.county");
    expect(key("县（市、区、旗）")).toBe("region.county");
    expect(key("乡（镇）")).toBe("region.town");
    expect(key("乡镇")).toBe("region.town");
    expect(key("行政村")).toBe("region.village");
    expect(key("身份证号码")).toBe("idNumber");
    expect(key("人均纯收入")).toBe("perCapitaIncome");
    expect(key("人均纯收入（元）")).toBe("perCapitaIncome");
    expect(key("耕地面积（亩）")).toBe("arableLand");
    expect(key("耕地面积")).toBe("arableLand");
    expect(key("致贫/返贫风险3")).toBe("riskFactors");
    expect(columnFor("致贫/返贫风险3")?.target).toMatchObject({ slot: 2 });
    expect(key("产业帮扶")).toBe("extra");
    expect(key("帮扶责任人")).toBeNull();
  });
});

describe("the column table", () => {
  it("maps every field of the registry that has a national header, once", () => {
    expect(unmappedFields()).toEqual([]);
    const headers = NATIONAL_COLUMNS.map((c) => normalizeHeader(c.header));
    expect(new Set(headers).size).toBe(headers.length);
  });

  it("starts with the region and identity columns in the national order", () => {
    expect(NATIONAL_COLUMNS.slice(0, 8).map((c) => c.header)).toEqual([
      "县",
      "乡",
      "村",
      "村民小组",
      "户编号",
      "姓名",
      "证件类型",
      "证件号码",
    ]);
  });
});

describe("binding a header row", () => {
  it("finds the header row by 证件号码 and 户编号", () => {
    expect(isHeaderRow(["监测对象信息"])).toBe(false);
    expect(isHeaderRow(["户编号", "姓名", "证件号码"])).toBe(true);
    expect(isHeaderRow(["户编号", "姓名", "身份证号码"])).toBe(true);
    expect(isHeaderRow(["户编号", "姓名"])).toBe(false);
  });

  it("keeps unknown and duplicate columns as extra attributes and skips blank headers", () => {
    const bound = bindHeaders(["村", "户编号", "", "行政村", " 帮扶责任人 ", "产业帮扶（元）"]);
    expect(bound.map((b) => [b.index, b.header, b.column?.header ?? null, b.extraKey])).toEqual([
      [0, "村", "村", null],
      [1, "户编号", "户编号", null],
      [3, "行政村", null, "行政村"],
      [4, "帮扶责任人", null, "帮扶责任人"],
      [5, "产业帮扶（元）", null, "产业帮扶(元)"],
    ]);
    expect(bindHeaders(["产业帮扶"])[0]).toMatchObject({ extraKey: "产业帮扶" });
  });
});
