/**
 * Region names as people write them in the national files (乡: 欣山镇 or 欣山; 村: 濂江村,
 * 濂江, or the statistics bureau's 濂江村村委会) matched to the region codes of one county.
 * The statistics-bureau names carry committee suffixes (村委会, 社区居委会); matching strips them.
 */
import { toHalfWidth } from "../../core/money.ts";

export interface RegionName {
  code: string;
  name: string;
  level: number;
  parent_code: string | null;
}

const clean = (name: string) => toHalfWidth(name).replace(/[\s\u00a0]+/g, "");

const COMMITTEE = /(村民委员会|居民委员会|村委会|居委会|委员会)$/;
const VILLAGE_KIND = /(村|社区|居)$/;
const TOWN_KIND = /(民族乡|街道办事处|街道|镇|乡)$/;
const COUNTY_KIND = /(自治县|自治旗|县|市|区|旗)$/;

/**
 * A village's name as the national files write it: without the committee suffix when what is left
 * still says what it is (濂江村村委会 → 濂江村, 东江源社区居委会 → 东江源社区); 镇岗居委会 stays.
 */
export function villageDisplayName(name: string): string {
  const stripped = clean(name).replace(COMMITTEE, "");
  return VILLAGE_KIND.test(stripped) && !/^(村|社区|居)$/.test(stripped) ? stripped : clean(name);
}

/** Keys a name is found by exactly (the full name, and without the committee suffix). */
function exactVillageKeys(name: string): string[] {
  const full = clean(name);
  return [...new Set([full, full.replace(COMMITTEE, "")].filter((k) => k !== ""))];
}

/** Keys a name is found by when nothing matches exactly (濂江 for 濂江村). */
function looseVillageKeys(name: string): string[] {
  const stripped = clean(name).replace(COMMITTEE, "");
  const bare = stripped.replace(VILLAGE_KIND, "");
  return bare === "" ? [] : [bare];
}

function townKeys(name: string): string[] {
  const full = clean(name);
  const bare = full.replace(TOWN_KIND, "");
  return [...new Set([full, bare].filter((k) => k !== ""))];
}

export function countyKeys(name: string): string[] {
  const full = clean(name);
  const bare = full.replace(COUNTY_KIND, "");
  return [...new Set([full, bare].filter((k) => k !== ""))];
}

function index(entries: readonly RegionName[], keys: (name: string) => string[]) {
  const map = new Map<string, RegionName[]>();
  for (const e of entries) {
    for (const k of keys(e.name)) {
      const list = map.get(k) ?? [];
      if (!list.includes(e)) list.push(e);
      map.set(k, list);
    }
  }
  return map;
}

/** Finds by the first key that matches anything; ambiguous when it matches several. */
function find(
  map: Map<string, RegionName[]>,
  keys: string[],
  within?: (r: RegionName) => boolean,
): RegionName[] {
  for (const k of keys) {
    const found = (map.get(k) ?? []).filter((r) => !within || within(r));
    if (found.length > 0) return found;
  }
  return [];
}

export type Resolution = { code: string } | { problem: string; level: "town" | "village" };

/** The towns and villages of one county, for matching names. */
export class CountyRegions {
  readonly code: string;
  readonly name: string;
  private readonly towns: Map<string, RegionName[]>;
  private readonly townList: RegionName[];
  private readonly villages: Map<string, RegionName[]>;
  private readonly looseVillages: Map<string, RegionName[]>;
  private readonly villageCodes: Set<string>;
  private readonly byCode: Map<string, RegionName>;

  constructor(county: RegionName, below: readonly RegionName[]) {
    this.code = county.code;
    this.name = county.name;
    this.townList = below.filter((r) => r.level === 4);
    this.towns = index(this.townList, townKeys);
    const villages = below.filter((r) => r.level === 5);
    this.villages = index(villages, exactVillageKeys);
    this.looseVillages = index(villages, looseVillageKeys);
    this.villageCodes = new Set(villages.map((v) => v.code));
    this.byCode = new Map(below.map((r) => [r.code, r]));
  }

  /**
   * Names of a village's town and the village as an export writes them: the short village name
   * when it leads back to the village, else the full name, else (two villages of one town with
   * the same full name) the code.
   */
  names(villageCode: string): { town: string; village: string } {
    const village = this.byCode.get(villageCode);
    const town = this.byCode.get(villageCode.slice(0, 9));
    if (!village || !town) return { town: town?.name ?? "", village: villageCode };
    for (const name of [villageDisplayName(village.name), clean(village.name)]) {
      const r = this.resolve(town.name, name);
      if ("code" in r && r.code === villageCode) return { town: town.name, village: name };
    }
    return { town: town.name, village: villageCode };
  }

  /** True when the 县 text names this county (安远县 or 安远). */
  isNamed(text: string): boolean {
    const mine = countyKeys(this.name);
    return countyKeys(text).some((k) => mine.includes(k));
  }

  /**
   * The village a row names: a 12-digit code in 村, or 村 by name within 乡 (by name, or the
   * town's 9-digit code); without 乡, a village name unique in the county.
   */
  resolve(townText: string, villageText: string): Resolution {
    const village = clean(villageText);
    const town = clean(townText);
    if (village === "") return { problem: "“村”为空，请填写行政村名称", level: "village" };
    if (/^\d{12}$/.test(village)) {
      return this.villageCodes.has(village)
        ? { code: village }
        : {
            problem: `行政村代码 ${village} 不在${this.name}（${this.code}）的区划中`,
            level: "village",
          };
    }
    let within: ((r: RegionName) => boolean) | undefined;
    let townName = "";
    if (town !== "") {
      const unique = /^\d{9}$/.test(town)
        ? this.townList.filter((t) => t.code === town)
        : find(this.towns, townKeys(town));
      if (unique.length === 0)
        return { problem: `乡镇“${townText}”在${this.name}不存在，请核对乡镇名称`, level: "town" };
      if (unique.length > 1)
        return {
          problem: `${this.name}有多个乡镇与“${townText}”相符，请填写乡镇全称`,
          level: "town",
        };
      const code = unique[0]!.code;
      townName = unique[0]!.name;
      within = (r) => r.parent_code === code;
    }
    const keys = [...exactVillageKeys(village), ...looseVillageKeys(village)];
    let found = find(this.villages, keys, within);
    if (found.length === 0) found = find(this.looseVillages, keys, within);
    if (found.length === 1) return { code: found[0]!.code };
    const where = townName || this.name;
    if (found.length === 0)
      return {
        problem: `行政村“${villageText}”在${where}不存在，请核对村名（或填写 12 位区划代码）`,
        level: "village",
      };
    return {
      problem: town
        ? `${where}有多个行政村与“${villageText}”相符，请在“村”列填写 12 位区划代码`
        : `${this.name}有多个行政村名为“${villageText}”，请填写“乡”列或 12 位区划代码`,
      level: "village",
    };
  }
}
