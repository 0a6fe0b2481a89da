import { describe, expect, it } from "vitest";
import { CountyRegions, type RegionName, villageDisplayName } from "./national.regions.ts";

const r = (code: string, name: string): RegionName => ({
  code,
  name,
  level: code.length === 9 ? 4 : 5,
  parent_code: code.length === 9 ? code.slice(0, 6) : code.slice(0, 9),
});

const county = new CountyRegions(
  { code: "360726", name: "安远县", level: 3, parent_code: "3607" },
  [
    r("360726100", "欣山镇"),
    r("360726100001", "东江源社区居委会"),
    r("360726100201", "濂江村村委会"),
    r("360726100202", "修田村村委会"),
    r("360726200", "镇岗乡"),
    r("360726200001", "镇岗居委会"),
    r("360726200200", "镇岗村村委会"),
    r("360726101", "孔田镇"),
    r("360726101001", "孔田镇居委会"),
    r("360726101201", "修田村村委会"),
  ],
);

describe("village names", () => {
  it("drop the committee suffix where the rest still names the village", () => {
    expect(villageDisplayName("濂江村村委会")).toBe("濂江村");
    expect(villageDisplayName("东江源社区居委会")).toBe("东江源社区");
    expect(villageDisplayName("镇岗居委会")).toBe("镇岗居委会");
    expect(villageDisplayName("孔田镇居委会")).toBe("孔田镇居委会");
  });

  it.each([
    ["欣山镇", "濂江村", "360726100201"],
    ["欣山", "濂江", "360726100201"],
    ["欣山镇", "濂江村村委会", "360726100201"],
    ["欣山镇", "东江源社区", "360726100001"],
    ["镇岗乡", "镇岗", "360726200001"],
    ["镇岗乡", "镇岗村", "360726200200"],
    ["孔田镇", "孔田镇居委会", "360726101001"],
    ["孔田镇", "修田村", "360726101201"],
    ["", "濂江村", "360726100201"],
    ["", "360726101201", "360726101201"],
    ["360726100", "修田村", "360726100202"],
  ])("%s %s → %s", (town, village, code) => {
    expect(county.resolve(town, village)).toEqual({ code });
  });

  it("says what is wrong when a name does not lead to one village", () => {
    expect(county.resolve("欣山镇", "不存在村")).toMatchObject({ level: "village" });
    expect(county.resolve("天上镇", "濂江村")).toMatchObject({ level: "town" });
    expect(county.resolve("", "修田村")).toMatchObject({
      level: "village",
      problem: expect.stringContaining("请填写“乡”列"),
    });
    expect(county.resolve("", "360726999999")).toMatchObject({ level: "village" });
  });

  it("gives names that lead back to the same village", () => {
    for (const code of ["360726100201", "360726100001", "360726200001", "360726200200"]) {
      const { town, village } = county.names(code);
      expect(county.resolve(town, village)).toEqual({ code });
    }
    expect(county.isNamed("安远县")).toBe(true);
    expect(county.isNamed("安远")).toBe(true);
    expect(county.isNamed("信丰县")).toBe(false);
  });
});
