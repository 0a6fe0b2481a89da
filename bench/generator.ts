/**
 * The synthetic demo county: households and members of 安远县 (360726, Ganzhou, Jiangxi) with
 * realistic shapes, shared by the `demo` command, `npm start` and the benchmarks.
 *
 * Deterministic for a seed (own PRNG, no Math.random, no clock), streaming (one household at a
 * time, nothing kept but a few counters), and every household passes `checkHousehold`.
 *
 * Sources and assumptions for the distributions (figures rounded; where no public figure exists
 * the number is an assumption chosen to look like a real county's registry export):
 * - Household size: registered (户籍) rural households of Ganzhou average about 3.2–3.5 people;
 *   the 2020 census shows rural households shrinking and many one- and two-person elderly
 *   households (空巢老人). Table `SIZE_WEIGHTS` gives mean ≈ 3.2 with 40 % of 1–2 persons.
 * - Ages: heads drawn by size from `HEAD_AGE_BY_SIZE` (mostly men of 35–75); the other members
 *   follow from the household's shape (spouse, children, three-generation stem families). The
 *   result resembles the 2020 census rural pyramid: ≈ 20 % aged 0–14, ≈ 25 % aged 60+.
 * - Relationship age gaps keep a margin over `checkHousehold` (children ≥ 17 years younger than
 *   the head, grandchildren ≥ 42, parents ≥ 22 older), so a one-day shift never breaks a rule.
 * - Sex ratio at birth: Jiangxi's was among the highest in China (≈ 1.2–1.4 for 1990–2010
 *   births), so children of those cohorts are 54 % boys.
 * - Surnames: common Hakka surnames of southern Ganzhou; villages are clan villages (宗族村), so
 *   each village has one to three dominant surnames holding 35–70 % of its households.
 * - Ethnicity: 99.5 % 汉族; 畲族 is Ganzhou's main minority.
 * - ID numbers: 360726 (安远县) for most; people born before 1985 often keep 362126, the code of
 *   安远 under the former 赣州地区 (before 1999), and some married in from neighbouring counties
 *   (3607xx). Sequence parity follows sex; the sequence is drawn from a per-day counter, so
 *   numbers are unique by construction.
 * - Household type: 安远 registered about 11–12 % of households as poor in 2014; 58 of its
 *   villages were poor villages (贫困村). Poor villages here get 13 % 脱贫户, others 7 % (≈ 9 %).
 * - Monitoring (since 2021): about 6 % of formerly poor households are 脱贫不稳定户; about 0.8 %
 *   of ordinary households 边缘易致贫户 and 0.25 % 突发严重困难户 (≈ 1.5 % in all). More than
 *   half of monitored households nationally had their risk eliminated by 2023; here the chance
 *   grows with the months since identification (at least 6).
 * - Income: per-capita net income is log-normal; Ganzhou rural per-capita disposable income was
 *   ≈ 16,000 yuan in 2023, 脱贫县 rural incomes ≈ 16,400; formerly poor households lower, monitored
 *   ones near the monitoring line (7,500 yuan here), a share below it unless their risk was
 *   eliminated. Transfers follow members: resident pension ≈ 1,800–2,600 yuan a year from 60,
 *   低保 ≈ 4,200–6,000 per recipient, 特困 ≈ 8,000–9,500, land subsidies per mu.
 * - Health: chronic illness, serious illness and disability rise with age (China's 2006
 *   disability survey: 6.3 % disabled overall, far more among the old), doubled in poor and
 *   monitored households; a household's risk factor 因病/因残 always has a matching member.
 * - Housing: almost all A/B since the 2020 安全住房 campaign; C/D (dangerous) are rare.
 * - Land: 安远 is hilly (forest cover ≈ 84 %) and famous for navel oranges (脐橙): ≈ 0.8 mu of arable
 *   land per person, forest land for most households, orchards for about a third.
 */
import { makeIdNumber } from "../src/core/id-number.ts";
import { COUNT_ALL_TRANSFERS, perCapitaIncome } from "../src/core/income.ts";
import type { HouseholdValues, MemberValues } from "../src/core/registry-fields.ts";

export interface CountyOptions {
  /** 12-digit village codes of the county (from the regions table). */
  villages: readonly string[];
  households: number;
  seed: number;
  /** The day ages and months are computed against (YYYY-MM-DD). */
  today: string;
  /** Added to each village's household serial (for appending to a county that has households). */
  serialStart?: number;
  /** ID numbers already in use; the generator skips them. */
  isTaken?: (idNumber: string) => boolean;
}

/** One household as `registry.bulkCreate` takes it (`CreateHouseholdInput`). */
export interface DemoHousehold {
  household: HouseholdValues;
  members: MemberValues[];
}

// ─── random numbers ────────────────────────────────────────────────────────────

/** sfc32 seeded through splitmix32: small, fast and good enough for synthetic data. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = Number.NaN;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = Number.NaN;
      return v;
    }
    const u = 1 - this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const t = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }

  /** Log-normal with the given median and log standard deviation. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }
}

/** Cumulative weights for `Rng#weighted`. */
function table(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) out[i] = sum += weights[i]!;
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

function weighted(rng: Rng, cumulative: Float64Array): number {
  const u = rng.next();
  for (let i = 0; i < cumulative.length; i++) if (u < cumulative[i]!) return i;
  return cumulative.length - 1;
}

// ─── tables ────────────────────────────────────────────────────────────────────

/** Household size 1…8: mean ≈ 3.2, 40 % one or two persons. */
const SIZE_WEIGHTS = table([16, 24, 18, 18, 13, 7, 3, 1]);

/** Head age in five-year bands from 20 to 94, by household size (index 0: size 1 …). */
const HEAD_BANDS = [20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90];
const HEAD_AGE_BY_SIZE = [
  table([0.5, 1, 2, 3, 4, 5, 6, 7, 9, 12, 14, 14, 11, 7, 3]),
  table([1, 2, 2, 2, 3, 5, 7, 10, 13, 15, 15, 12, 8, 4, 1]),
  table([1, 4, 7, 8, 9, 10, 11, 11, 10, 8, 7, 5, 4, 2, 1]),
  table([0.5, 2, 6, 10, 13, 14, 13, 11, 9, 7, 5, 4, 2, 1, 0.5]),
  table([0.5, 2, 5, 9, 12, 13, 13, 12, 10, 8, 6, 4, 2, 1, 0.5]),
  table([0.3, 1, 3, 5, 8, 10, 12, 14, 14, 12, 9, 6, 3, 1.5, 0.5]),
  table([0.2, 0.5, 2, 4, 7, 9, 12, 14, 15, 13, 10, 7, 3, 1.5, 0.5]),
  table([0.2, 0.5, 2, 4, 6, 9, 12, 14, 15, 14, 10, 7, 3, 1.5, 0.5]),
];

/** Hakka surnames common in southern Ganzhou, roughly by frequency. */
const SURNAMES = [
  "唐",
  "魏",
  "杜",
  "欧阳",
  "刘",
  "陈",
  "钟",
  "李",
  "赖",
  "黄",
  "曾",
  "林",
  "邱",
  "谢",
  "廖",
  "孙",
  "王",
  "张",
  "罗",
  "吴",
  "郭",
  "蔡",
  "朱",
  "叶",
  "徐",
  "杨",
  "胡",
  "何",
  "邓",
  "温",
  "彭",
  "肖",
  "潘",
  "古",
  "郑",
  "余",
  "周",
  "梁",
  "严",
  "袁",
  "江",
  "卢",
  "范",
  "甘",
  "龚",
  "凌",
];
const SURNAME_WEIGHTS = table(SURNAMES.map((_, i) => 1 / (i + 6)));

/** Given-name characters by sex and birth cohort (before 1960, 1960–1989, from 1990). */
const GIVEN = {
  male: [
    [
      "德",
      "福",
      "金",
      "水",
      "春",
      "光",
      "明",
      "华",
      "永",
      "长",
      "国",
      "荣",
      "发",
      "生",
      "才",
      "贵",
      "财",
      "林",
      "根",
      "山",
      "祥",
      "昌",
      "兴",
      "成",
      "有",
    ],
    [
      "建",
      "国",
      "志",
      "伟",
      "军",
      "勇",
      "平",
      "文",
      "海",
      "红",
      "东",
      "小",
      "晓",
      "春",
      "明",
      "新",
      "华",
      "强",
      "斌",
      "辉",
      "峰",
      "涛",
      "剑",
      "波",
      "俊",
    ],
    [
      "子",
      "浩",
      "宇",
      "俊",
      "梓",
      "一",
      "思",
      "博",
      "家",
      "嘉",
      "晨",
      "泽",
      "睿",
      "轩",
      "然",
      "豪",
      "杰",
      "航",
      "铭",
      "阳",
      "瑞",
      "鑫",
      "宸",
      "皓",
    ],
  ],
  female: [
    [
      "秀",
      "桂",
      "玉",
      "金",
      "凤",
      "兰",
      "英",
      "珍",
      "梅",
      "娣",
      "妹",
      "莲",
      "花",
      "香",
      "芳",
      "招",
      "来",
      "冬",
      "菊",
      "满",
    ],
    [
      "丽",
      "红",
      "燕",
      "霞",
      "芳",
      "娟",
      "艳",
      "敏",
      "静",
      "小",
      "春",
      "美",
      "梅",
      "玲",
      "琴",
      "萍",
      "慧",
      "婷",
      "莉",
      "秀",
    ],
    [
      "欣",
      "梓",
      "诗",
      "雨",
      "可",
      "思",
      "语",
      "佳",
      "紫",
      "梦",
      "涵",
      "怡",
      "萱",
      "彤",
      "琪",
      "妍",
      "菲",
      "悦",
      "馨",
      "若",
    ],
  ],
} as const;
/** Generation characters (字辈) of the clans, shared by siblings of one generation. */
const GENERATION_CHARS = [
  "德",
  "世",
  "传",
  "家",
  "远",
  "承",
  "先",
  "绍",
  "启",
  "文",
  "光",
  "宗",
  "祖",
  "永",
  "昌",
];

/** Prefixes of ID numbers: 安远县 now, 安远 under the former 赣州地区, neighbouring counties. */
const ID_PREFIXES = [
  "360726",
  "362126",
  "360733",
  "360734",
  "360728",
  "360731",
  "360722",
  "360727",
  "360702",
  "360721",
];
const OLD_ANYUAN = 1;
const NEIGHBOURS = table([10, 10, 8, 8, 6, 5, 3, 3]);

const WORK_LOCATIONS = [
  "广东省深圳市",
  "广东省东莞市",
  "广东省广州市",
  "广东省惠州市",
  "广东省佛山市",
  "福建省厦门市",
  "浙江省宁波市",
  "浙江省温州市",
  "江苏省苏州市",
  "上海市",
  "江西省赣州市",
  "安远县内",
  "乡镇内",
];
const WORK_WEIGHTS = table([18, 16, 9, 6, 6, 5, 4, 3, 3, 2, 6, 10, 12]);

const WELFARE_JOBS = ["护林员", "保洁员", "护路员", "水管员", "光伏电站管护员", "河道巡查员"];

const MOBILE_PREFIXES = [
  130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 157, 158, 159, 177, 180, 181,
  182, 183, 187, 188, 189, 191, 198, 199,
];

/** Risk factors of monitored households, with weights by monitoring category. */
const RISKS = [
  "illness",
  "disability",
  "schooling",
  "lack_of_labor",
  "unstable_employment",
  "accident",
  "disaster",
  "large_expense",
  "housing",
  "lack_of_skills",
  "lack_of_funds",
  "industry_failure",
  "water",
] as const;
type Risk = (typeof RISKS)[number];
const RISK_WEIGHTS = {
  unstable: table([34, 16, 8, 14, 10, 3, 3, 3, 2, 3, 2, 1.5, 0.5]),
  marginal: table([30, 14, 10, 14, 14, 3, 3, 4, 2, 3, 2, 0.5, 0.5]),
  sudden_hardship: table([40, 8, 4, 2, 6, 18, 10, 12, 0, 0, 0, 0, 0]),
} as const;

/** Share of identifications per year since monitoring began (2021), the rest after. */
const IDENTIFICATION_YEAR_WEIGHTS = [30, 22, 18, 14, 11, 5];

const SCHOOL_GRADES_PRIMARY = [
  "小学一年级",
  "小学二年级",
  "小学三年级",
  "小学四年级",
  "小学五年级",
  "小学六年级",
];
const SCHOOL_GRADES_JUNIOR = ["七年级", "八年级", "九年级"];
const SCHOOL_GRADES_SENIOR = ["高中一年级", "高中二年级", "高中三年级"];
const SCHOOL_GRADES_VOCATIONAL = ["中职一年级", "中职二年级", "中职三年级"];
const DROPOUT_REASONS = ["厌学", "因病", "外出务工", "家庭困难"];

/** Adult education by birth cohort: 文盲或半文盲, 小学, 初中, 高中, 中专, 大专, 本科及以上. */
const EDUCATION_NAMES = [
  "文盲或半文盲",
  "小学",
  "初中",
  "高中",
  "中专",
  "大专",
  "本科及以上",
] as const;
const EDUCATION_BY_COHORT = [
  { born: 1950, male: table([30, 52, 15, 3, 0, 0, 0]), female: table([62, 32, 5, 1, 0, 0, 0]) },
  { born: 1965, male: table([8, 50, 33, 8, 1, 0, 0]), female: table([25, 50, 20, 5, 0, 0, 0]) },
  {
    born: 1985,
    male: table([1, 22, 55, 14, 5, 2, 1]),
    female: table([4, 30, 50, 11, 3, 1.5, 0.5]),
  },
  {
    born: 9999,
    male: table([0.3, 6, 42, 20, 14, 10, 7.7]),
    female: table([0.3, 6, 38, 20, 14, 12, 9.7]),
  },
];

// ─── dates ─────────────────────────────────────────────────────────────────────

const EPOCH_MS = Date.UTC(1900, 0, 1);
const DAY_MS = 86_400_000;
const YEAR_DAYS = 365.2425;

/** Days since 1900-01-01 and their ISO strings, built once per `today`. */
interface Calendar {
  today: number;
  iso: string[];
  todayMonth: number; // months since 1900-01
}

function calendar(today: string): Calendar {
  const end = Math.round((Date.parse(`${today}T00:00:00Z`) - EPOCH_MS) / DAY_MS);
  if (!Number.isFinite(end) || end < 365 * 100) throw new Error(`today 应为 YYYY-MM-DD：${today}`);
  const iso = new Array<string>(end + 1);
  for (let i = 0; i <= end; i++)
    iso[i] = new Date(EPOCH_MS + i * DAY_MS).toISOString().slice(0, 10);
  const todayMonth = (Number(today.slice(0, 4)) - 1900) * 12 + Number(today.slice(5, 7)) - 1;
  return { today: end, iso, todayMonth };
}

function monthString(m: number): string {
  const y = 1900 + Math.floor(m / 12);
  const mo = (m % 12) + 1;
  return `${y}-${mo < 10 ? "0" : ""}${mo}`;
}

// ─── the generator ─────────────────────────────────────────────────────────────

type Category = "unstable" | "marginal" | "sudden_hardship";

interface Village {
  code: string;
  households: number;
  poor: boolean;
  groups: number;
  clans: number[];
  clanShare: number;
  collectors: { name: string; phone: string }[];
}

/** Generation state of one household under construction. */
interface Draft {
  poor: boolean;
  category: Category | null;
  risks: Risk[];
  surname: string;
  /** Index into GENERATION_CHARS of the head's children. */
  generation: number;
  ethnicity: string;
  members: MemberValues[];
  /** Real-valued ages, parallel to members. */
  ages: number[];
  /** Students (in school at any level). */
  students: number;
}

/**
 * Generates a county: `households` households spread over the villages, one at a time.
 * @example for (const h of generateCounty({ villages, households: 1000, seed: 1, today: "2026-05-01" })) …
 */
export function* generateCounty(options: CountyOptions): Generator<DemoHousehold, void, undefined> {
  const { seed, households } = options;
  if (options.villages.length === 0) throw new Error("没有行政村：请先加载区划");
  if (!Number.isInteger(households) || households < 0) throw new Error("households 应为非负整数");
  const cal = calendar(options.today);
  const rng = new Rng(seed);
  const ids = new IdAllocator(cal, options.isTaken);
  const villages = planVillages(rng, options.villages, households);
  const serialStart = options.serialStart ?? 0;
  const gen = new HouseholdMaker(rng, cal, ids);
  for (const village of villages) {
    for (let serial = 1; serial <= village.households; serial++) {
      yield gen.make(village, `${village.code}${String(serialStart + serial).padStart(5, "0")}`);
    }
  }
}

/** Groups an iterable into arrays of `size`. */
export function* chunked<T>(items: Iterable<T>, size: number): Generator<T[], void, undefined> {
  let chunk: T[] = [];
  for (const item of items) {
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Village sizes vary (log-normal weights, σ 0.45); about a third are former poor villages. */
function planVillages(rng: Rng, codes: readonly string[], households: number): Village[] {
  const weights = codes.map(() => rng.logNormal(1, 0.45));
  const total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / total) * households);
  const counts = exact.map(Math.floor);
  let left = households - counts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((e, i) => [e - Math.floor(e), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k]![1]]! += 1;
  return codes.map((code, i) => {
    const clans = [weighted(rng, SURNAME_WEIGHTS)];
    if (rng.chance(0.6)) clans.push(weighted(rng, SURNAME_WEIGHTS));
    if (rng.chance(0.3)) clans.push(weighted(rng, SURNAME_WEIGHTS));
    const collectors = [0, 1, 2].map(() => ({
      name: `${SURNAMES[clans[0]!]!}${rng.pick(GIVEN.male[1])}${rng.pick(GIVEN.male[2])}`,
      phone: mobile(rng),
    }));
    return {
      code,
      households: counts[i]!,
      poor: rng.chance(58 / 177),
      groups: 6 + rng.int(18),
      clans,
      clanShare: rng.range(0.35, 0.7),
      collectors,
    };
  });
}

function mobile(rng: Rng): string {
  return `${rng.pick(MOBILE_PREFIXES)}${String(rng.int(100_000_000)).padStart(8, "0")}`;
}

/**
 * Hands out unique ID numbers: a counter per (prefix, birth day, sex) picks the sequence through
 * a permutation of 0…498, so numbers look scattered but never repeat. A full day (499 people of
 * one sex) moves the birth date one day earlier.
 */
class IdAllocator {
  private readonly used: Uint16Array;
  private readonly days: number;

  constructor(
    private readonly cal: Calendar,
    private readonly isTaken?: (id: string) => boolean,
  ) {
    this.days = cal.today + 1;
    this.used = new Uint16Array(ID_PREFIXES.length * this.days * 2);
  }

  /** An ID number for a birth day (which may move earlier when the day is full). */
  allocate(prefix: number, day: number, male: boolean): { id: string; day: number } {
    for (;;) {
      const slot = (prefix * this.days + day) * 2 + (male ? 1 : 0);
      const k = this.used[slot]!;
      if (k >= 499) {
        day -= 1;
        continue;
      }
      this.used[slot] = k + 1;
      const p = (k * 211 + ((day * 7919 + prefix * 31) % 499)) % 499;
      const sequence = male ? 2 * p + 1 : 2 * p + 2;
      const id = makeIdNumber(ID_PREFIXES[prefix]!, this.cal.iso[day]!, sequence);
      if (this.isTaken?.(id)) continue;
      return { id, day };
    }
  }
}

class HouseholdMaker {
  private readonly identificationMonths: Float64Array;
  private readonly firstMonitoringMonth = (2021 - 1900) * 12;

  constructor(
    private readonly rng: Rng,
    private readonly cal: Calendar,
    private readonly ids: IdAllocator,
  ) {
    // Months from 2021-01 to today (or 2026-12), weighted by the year's share.
    const last = Math.min(cal.todayMonth, (2026 - 1900) * 12 + 11);
    const weights: number[] = [];
    for (let m = this.firstMonitoringMonth; m <= last; m++) {
      weights.push(
        IDENTIFICATION_YEAR_WEIGHTS[Math.floor((m - this.firstMonitoringMonth) / 12)] ?? 3,
      );
    }
    this.identificationMonths = table(weights.length > 0 ? weights : [1]);
  }

  make(village: Village, householdNumber: string): DemoHousehold {
    const rng = this.rng;
    const poor = rng.chance(village.poor ? 0.13 : 0.07);
    let category: Category | null = null;
    if (poor) {
      if (rng.chance(0.06)) category = "unstable";
    } else {
      const u = rng.next();
      if (u < 0.008) category = "marginal";
      else if (u < 0.0105) category = "sudden_hardship";
    }
    const risks: Risk[] = [];
    if (category) {
      const n = 1 + weighted(rng, RISK_COUNT);
      for (let i = 0; i < n * 3 && risks.length < n; i++) {
        const r = RISKS[weighted(rng, RISK_WEIGHTS[category])]!;
        if (!risks.includes(r)) risks.push(r);
      }
    }
    const surnameIndex = rng.chance(village.clanShare)
      ? rng.pick(village.clans)
      : weighted(rng, SURNAME_WEIGHTS);
    const draft: Draft = {
      poor,
      category,
      risks,
      surname: SURNAMES[surnameIndex]!,
      generation: rng.int(GENERATION_CHARS.length),
      ethnicity: rng.chance(0.995)
        ? "汉族"
        : rng.chance(0.7)
          ? "畲族"
          : rng.pick(["回族", "苗族", "壮族", "土家族"]),
      members: [],
      ages: [],
      students: 0,
    };
    const size = 1 + weighted(rng, SIZE_WEIGHTS);
    this.compose(draft, size);
    this.fitRisks(draft);

    const household = this.household(village, householdNumber, draft);
    return { household, members: draft.members };
  }

  // ── who lives here ──

  private compose(d: Draft, size: number) {
    const rng = this.rng;
    const band = HEAD_BANDS[weighted(rng, HEAD_AGE_BY_SIZE[size - 1]!)]!;
    const headAge = band + rng.next() * 5;
    let left = size - 1;
    const married = left > 0 && rng.chance(headAge < 25 ? 0.5 : headAge < 70 ? 0.93 : 0.75);
    const headMale = married
      ? rng.chance(0.95)
      : rng.chance(size === 1 && headAge >= 60 ? 0.5 : 0.7);
    // A widowed woman's children carry her late husband's surname.
    const childSurname = headMale ? d.surname : this.otherSurname();
    this.add(d, "户主", headMale, headAge, d.surname);
    if (married) {
      const spouseAge = Math.max(18.2, headAge + (headMale ? -rng.range(-2, 6) : rng.range(-2, 6)));
      this.add(d, "配偶", !headMale, spouseAge, this.otherSurname());
      left--;
    }
    if (left <= 0) return;

    if (headAge >= 50 && left >= 2 && rng.chance(headAge >= 58 ? 0.7 : 0.4)) {
      // Stem family: a married son, his wife and children.
      const sonAge = Math.max(20, headAge - rng.range(22, 34));
      this.add(d, "之子", true, sonAge, childSurname);
      left--;
      if (left >= 2 && rng.chance(0.85)) {
        this.add(d, "之儿媳", false, Math.max(19, sonAge + rng.range(-5, 3)), this.otherSurname());
        left--;
      }
      let age = sonAge - rng.range(20, 32);
      if (age < 0) age = rng.range(0, sonAge - 20);
      for (let i = 0; left > 0 && i < 4; i++, left--) {
        const male = rng.chance(this.boyShare(age));
        this.add(d, male ? "之孙子" : "之孙女", male, age, childSurname);
        const next = age - rng.range(1.5, 5);
        age = next >= 0 ? next : rng.range(0, age);
      }
      for (; left > 0; left--) {
        const male = rng.chance(0.55);
        this.add(d, male ? "之子" : "之女", male, headAge - rng.range(22, 40), childSurname);
      }
      return;
    }

    if (headAge < 62 && rng.chance(size === 2 ? 0.3 : 0.12) && headAge + 22 < 97) {
      const male = rng.chance(0.35);
      this.add(
        d,
        male ? "之父" : "之母",
        male,
        Math.min(97, headAge + rng.range(22, 34)),
        male ? d.surname : this.otherSurname(),
      );
      left--;
    }
    if (!married && left > 0 && headAge >= 30 && rng.chance(0.06)) {
      this.add(
        d,
        "兄弟姐妹",
        rng.chance(0.6),
        Math.max(16, headAge + rng.range(-10, 10)),
        d.surname,
      );
      left--;
    }
    let age = headAge - rng.range(22, 32);
    if (age < 0) age = rng.range(0, Math.max(0.1, headAge - 17));
    for (; left > 0; left--) {
      const male = rng.chance(this.boyShare(age));
      this.add(d, male ? "之子" : "之女", male, age, childSurname);
      const next = age - rng.range(1.5, 5);
      age = next >= 0 ? next : rng.range(0, age);
    }
  }

  private boyShare(age: number): number {
    return age > 10 && age < 36 ? 0.54 : 0.51;
  }

  private otherSurname(): string {
    return SURNAMES[weighted(this.rng, SURNAME_WEIGHTS)]!;
  }

  private name(
    d: Draft,
    male: boolean,
    surname: string,
    born: number,
    relationship: string,
  ): string {
    const rng = this.rng;
    const cohort = born < 1960 ? 0 : born < 1990 ? 1 : 2;
    const chars: readonly string[] = (male ? GIVEN.male : GIVEN.female)[cohort]!;
    // Sons and grandsons of clan families often carry their generation's character (字辈).
    const son = relationship === "之子";
    const generational = male && (son || relationship === "之孙子") && rng.chance(0.4);
    const first = generational
      ? GENERATION_CHARS[(d.generation + (son ? 0 : 1)) % GENERATION_CHARS.length]!
      : rng.pick(chars);
    if (!generational && cohort === 2 && rng.chance(0.2)) return surname + first;
    let second = rng.pick(chars);
    if (second === first) second = chars[(chars.indexOf(second) + 1) % chars.length]!;
    return surname + first + second;
  }

  private add(d: Draft, relationship: string, male: boolean, age: number, surname: string) {
    const rng = this.rng;
    const cal = this.cal;
    let day = cal.today - Math.floor(age * YEAR_DAYS);
    if (day > cal.today) day = cal.today;
    const born = 1900 + Math.floor(day / YEAR_DAYS);
    // Prefix: older people often carry the pre-1999 安远 code or a neighbouring county's.
    let prefix = 0;
    if (born < 1985) {
      const u = rng.next();
      if (u < 0.3) prefix = OLD_ANYUAN;
      else if (u < (relationship === "配偶" || relationship === "之儿媳" ? 0.45 : 0.36))
        prefix = 2 + weighted(rng, NEIGHBOURS);
    }
    const allocated = this.ids.allocate(prefix, day, male);
    day = allocated.day;
    const fullAge = Math.floor(age);
    const health = this.health(d, fullAge);
    const school = this.school(fullAge, rng);
    if (school.status !== null) d.students++;
    const labor = this.labor(fullAge, health, school.status !== null);
    const working = labor === "skilled" || labor === "ordinary";
    const insured = rng.next();
    const employee = fullAge >= 22 && insured < 0.01;
    const uninsured = !employee && insured < (fullAge < 1 ? 0.06 : 0.013);
    const disabilityCert = health === "disabled" && fullAge >= 6 && rng.chance(0.15);
    const idNumber = disabilityCert
      ? `${allocated.id}${1 + rng.int(7)}${1 + rng.int(4)}`
      : allocated.id;
    const member: MemberValues = {
      name: this.name(d, male, surname, born, relationship),
      idType: disabilityCert ? "disability_cert" : "resident_id",
      idNumber,
      sex: male ? "male" : "female",
      ethnicity: rng.chance(relationship === "配偶" || relationship === "之儿媳" ? 0.995 : 1)
        ? d.ethnicity
        : "汉族",
      birthDate: cal.iso[day]!,
      relationship,
      phone:
        fullAge >= 16 && fullAge <= 75 && rng.chance(relationship === "户主" ? 0.95 : 0.75)
          ? mobile(rng)
          : null,
      education: school.education ?? this.education(born, male, health),
      schoolStatus: school.status,
      outOfSchool: fullAge >= 6 && fullAge <= 15 ? school.dropout : null,
      notEnrolledReason: null,
      dropoutReason: school.dropout ? rng.pick(DROPOUT_REASONS) : null,
      health,
      laborSkill: labor,
      workLocation:
        working && fullAge < 60 && rng.chance(0.55)
          ? WORK_LOCATIONS[weighted(rng, WORK_WEIGHTS)]!
          : null,
      publicWelfareJob: null,
      publicWelfareJobMonths: null,
      insResidentMedical: !employee && !uninsured,
      insEmployeeMedical: employee,
      insSeriousIllness: !uninsured,
      medicalAssistance: (d.poor || d.category !== null) && health !== "healthy" && rng.chance(0.6),
      insResidentPension: fullAge >= 16 && school.status === null && !employee && rng.chance(0.88),
      insEmployeePension: employee || (fullAge >= 22 && working && rng.chance(0.02)),
      dibao: "none",
      tekun: "none",
    };
    d.members.push(member);
    d.ages.push(age);
  }

  /** Chronic illness, serious illness and disability by age; twice as likely in poor households. */
  private health(d: Draft, age: number): string {
    const f = d.poor || d.category !== null ? 2 : 1;
    const u = this.rng.next();
    const [chronic, serious, disabled] =
      age < 40
        ? [0.02, 0.003, 0.012]
        : age < 60
          ? [0.08, 0.01, 0.03]
          : age < 75
            ? [0.2, 0.025, 0.06]
            : [0.3, 0.035, 0.1];
    if (u < disabled * f) return "disabled";
    if (u < (disabled + serious) * f) return "serious_illness";
    if (u < (disabled + serious + chronic) * f) return "chronic";
    return "healthy";
  }

  private school(
    age: number,
    rng: Rng,
  ): { status: string | null; education: string | null; dropout: boolean } {
    if (age < 3) return { status: "学龄前儿童", education: "学龄前儿童", dropout: false };
    if (age < 6)
      return {
        status: rng.chance(0.88) ? "学前教育" : "学龄前儿童",
        education: "学龄前儿童",
        dropout: false,
      };
    if (age <= 15 && rng.chance(0.0015)) {
      return { status: null, education: age < 12 ? "小学" : "初中", dropout: true };
    }
    if (age < 12)
      return { status: SCHOOL_GRADES_PRIMARY[age - 6]!, education: "小学", dropout: false };
    if (age < 15)
      return { status: SCHOOL_GRADES_JUNIOR[age - 12]!, education: "初中", dropout: false };
    if (age === 15)
      return {
        status: rng.chance(0.9) ? SCHOOL_GRADES_SENIOR[0]! : SCHOOL_GRADES_JUNIOR[2]!,
        education: "初中",
        dropout: false,
      };
    if (age < 18) {
      const u = rng.next();
      if (u < 0.6)
        return { status: SCHOOL_GRADES_SENIOR[age - 15]!, education: "高中", dropout: false };
      if (u < 0.9)
        return { status: SCHOOL_GRADES_VOCATIONAL[age - 15]!, education: "中专", dropout: false };
      return { status: null, education: "初中", dropout: false };
    }
    if (age < 22 && rng.chance(0.4)) {
      return rng.chance(0.55)
        ? { status: "本科", education: "本科及以上", dropout: false }
        : { status: "高职", education: "大专", dropout: false };
    }
    return { status: null, education: null, dropout: false };
  }

  private education(born: number, male: boolean, health: string): string {
    const cohort = EDUCATION_BY_COHORT.find((c) => born < c.born)!;
    const level = weighted(this.rng, male ? cohort.male : cohort.female);
    return health === "disabled" && level > 2 ? "小学" : EDUCATION_NAMES[level]!;
  }

  private labor(age: number, health: string, student: boolean): string {
    const u = this.rng.next();
    if (age < 16 || student) return "none";
    if (health === "disabled" || health === "serious_illness")
      return u < 0.45 ? "lost" : u < 0.85 ? "weak" : "none";
    const ill = health === "chronic";
    if (age < 60)
      return ill
        ? u < 0.6
          ? "weak"
          : "ordinary"
        : u < 0.25
          ? "skilled"
          : u < 0.96
            ? "ordinary"
            : "weak";
    if (age < 65) return u < (ill ? 0.2 : 0.5) ? "ordinary" : u < 0.9 ? "weak" : "none";
    if (age < 75) return u < 0.1 ? "ordinary" : u < 0.55 ? "weak" : u < 0.9 ? "none" : "lost";
    return u < 0.15 ? "weak" : u < 0.85 ? "none" : "lost";
  }

  /** Makes members match the risk factors: 因病 needs someone ill, 因残 someone disabled, 因学 a student. */
  private fitRisks(d: Draft) {
    const rng = this.rng;
    const members = d.members;
    // The oldest healthy member, or else the oldest one not ruled out.
    const oldest = (ruledOut: (m: MemberValues) => boolean) => {
      let best: MemberValues | undefined;
      let bestScore = -1;
      for (let i = 0; i < members.length; i++) {
        const m = members[i]!;
        const score = (m.health === "healthy" ? 1000 : 0) + d.ages[i]!;
        if (!ruledOut(m) && score > bestScore) [best, bestScore] = [m, score];
      }
      return best;
    };
    const ill = (m: MemberValues) => m.health === "chronic" || m.health === "serious_illness";
    const disabled = (m: MemberValues) => m.health === "disabled";
    if (d.risks.includes("disability") && !members.some(disabled)) {
      const m = oldest(disabled)!;
      m.health = "disabled";
      if (m.laborSkill !== "none") m.laborSkill = rng.chance(0.5) ? "lost" : "weak";
    }
    const illness = d.risks.indexOf("illness");
    if (illness >= 0 && !members.some(ill)) {
      const m = oldest((x) => disabled(x) || ill(x));
      if (m) {
        m.health = rng.chance(0.55) ? "serious_illness" : "chronic";
        if (m.laborSkill === "skilled" || m.laborSkill === "ordinary") m.laborSkill = "weak";
        m.medicalAssistance = m.insResidentMedical === true || m.insEmployeeMedical === true;
      } else if (d.risks.includes("disability")) {
        d.risks.splice(illness, 1);
      } else {
        // Everyone is disabled: the risk is the disability.
        d.risks[illness] = "disability";
      }
    }
    const schooling = d.risks.indexOf("schooling");
    if (schooling >= 0 && d.students === 0) d.risks.splice(schooling, 1);
    if (d.risks.length === 0 && d.category !== null) d.risks.push("lack_of_labor");
  }

  // ── the household's own fields ──

  private household(village: Village, householdNumber: string, d: Draft): HouseholdValues {
    const rng = this.rng;
    const members = d.members;
    const size = members.length;
    const monitored = d.category !== null;

    // Monitoring dates.
    let identifiedMonth: string | null = null;
    let riskEliminated: boolean | null = null;
    let eliminatedMonth: string | null = null;
    let eliminationMethod: string | null = null;
    if (monitored) {
      const identified = this.firstMonitoringMonth + weighted(rng, this.identificationMonths);
      identifiedMonth = monthString(identified);
      const since = this.cal.todayMonth - identified;
      riskEliminated = since >= 6 && rng.chance(Math.min(0.8, 0.1 + 0.015 * since));
      if (riskEliminated) {
        eliminatedMonth = monthString(identified + 6 + rng.int(since - 5));
        eliminationMethod = rng.chance(0.8) ? "assisted" : "natural";
      }
    }
    const atRisk = monitored && riskEliminated !== true;

    // Social assistance: 低保 for the whole household, 特困 for lone old people without labour.
    let workers = 0;
    let elderly = 0;
    for (const m of members) {
      if (m.laborSkill === "skilled" || m.laborSkill === "ordinary") workers++;
    }
    const lone = size === 1 && (d.ages[0] ?? 0) >= 60 && workers === 0;
    const tekun = lone && rng.chance(d.poor || monitored ? 0.25 : 0.02);
    const dibao = !tekun && rng.chance(atRisk ? 0.35 : monitored ? 0.15 : d.poor ? 0.12 : 0.006);
    let dibaoMembers = 0;
    for (const m of members) {
      if (tekun) {
        m.tekun = "dispersed";
        m.medicalAssistance = m.insSeriousIllness;
      } else if (dibao) {
        m.dibao = "rural";
        m.medicalAssistance = m.insSeriousIllness;
        dibaoMembers++;
      }
    }
    // Public-welfare jobs (公益性岗位) for a member of poor and monitored households.
    let welfarePay = 0;
    if ((d.poor || monitored) && rng.chance(0.12)) {
      const m = members.find(
        (x, i) =>
          d.ages[i]! >= 30 && d.ages[i]! < 70 && x.laborSkill !== "lost" && x.laborSkill !== "none",
      );
      if (m) {
        m.publicWelfareJob = rng.pick(WELFARE_JOBS);
        m.publicWelfareJobMonths = 6 + rng.int(7);
        welfarePay = m.publicWelfareJobMonths * (500 + rng.int(4) * 100);
      }
    }

    // Land (mu).
    const arable = rng.chance(0.92) ? round1(size * rng.range(0.3, 1.3)) : 0;
    const forest = rng.chance(0.85) ? round1(Math.min(95, rng.logNormal(10, 0.8))) : 0;
    const grainForGreen = rng.chance(0.15) ? round1(rng.range(0.5, 6)) : 0;
    const orchard = rng.chance(0.3) ? round1(Math.min(60, rng.logNormal(3, 0.8))) : 0;
    const waterSurface = rng.chance(0.04) ? round1(rng.range(0.3, 3)) : 0;

    // Transfers (yuan): pensions, 低保/特困, land and forest subsidies, education aid.
    let transfer = 0;
    for (let i = 0; i < size; i++) {
      const m = members[i]!;
      if (d.ages[i]! >= 60) {
        elderly++;
        if (m.insResidentPension) transfer += 1800 + rng.int(800);
        else if (m.insEmployeePension) transfer += 24_000 + rng.int(12_000);
      }
      if (m.schoolStatus !== null && (d.poor || monitored) && d.ages[i]! >= 6)
        transfer += 1000 + rng.int(2000);
    }
    transfer += dibaoMembers * (4200 + rng.int(1800)) + (tekun ? 8000 + rng.int(1500) : 0);
    transfer += Math.round(arable * 110 + forest * 21.5 + grainForGreen * 120);

    // Net income target: log-normal per capita by the household's situation (yuan).
    const median = atRisk
      ? d.category === "sudden_hardship"
        ? 10_000
        : d.category === "marginal"
          ? 7_200
          : 8_200
      : monitored
        ? 11_500
        : d.poor
          ? 13_500
          : 16_000;
    const sigma = atRisk ? 0.25 : monitored ? 0.3 : d.poor ? 0.35 : 0.42;
    const elderlyDrag = elderly === size && workers === 0 ? 0.75 : 1;
    // A risk is eliminated only when income is steadily above the line (7,500 here).
    const floor = monitored && !atRisk ? 8_000 : 1_500;
    const target = Math.max(floor, rng.logNormal(median, sigma) * elderlyDrag) * size;
    const rest = Math.max(200, target - transfer);
    const wageShare = workers === 0 ? rng.range(0, 0.15) : rng.range(0.55, 0.88);
    const propertyShare = rng.chance(0.3) ? rng.range(0, 0.04) : 0;
    const wage = Math.round(rest * wageShare) + welfarePay;
    const property = Math.round(rest * propertyShare);
    const businessNet = Math.max(0, Math.round(rest * (1 - wageShare - propertyShare)));
    const businessIncome = Math.round(businessNet / (1 - rng.range(0.2, 0.45)));
    const businessCosts = businessIncome - businessNet;

    // Compliant out-of-pocket spending (yuan): medical mainly.
    let expense = 0;
    const serious = members.some((m) => m.health === "serious_illness");
    const chronic = members.some((m) => m.health === "chronic");
    if (
      d.category === "sudden_hardship" &&
      (d.risks.includes("illness") ||
        d.risks.includes("accident") ||
        d.risks.includes("large_expense"))
    ) {
      expense = rng.logNormal(25_000, 0.6);
    } else if (serious) expense = rng.logNormal(4_000, 0.8);
    else if (chronic && rng.chance(0.3)) expense = rng.logNormal(800, 0.7);
    else if (rng.chance(0.1)) expense = rng.range(100, 1000);

    // Housing: C/D (dangerous) rare, and where the risk is unsafe housing.
    const gradeU = rng.next();
    const housingRisk = d.risks.includes("housing") && atRisk;
    const housingGrade = housingRisk
      ? rng.chance(0.8)
        ? "C"
        : "D"
      : gradeU < 0.006
        ? "C"
        : gradeU < 0.0075
          ? "D"
          : gradeU < 0.52
            ? "A"
            : "B";
    const waterRisk = d.risks.includes("water") && atRisk;

    const head = members[0]!;
    const collector = village.collectors[rng.int(village.collectors.length)]!;
    const h: HouseholdValues = {
      householdNumber,
      villageCode: village.code,
      groupName: `第${1 + rng.int(village.groups)}组`,
      householdType: d.poor ? "formerly_poor" : "ordinary",
      monitoringCategory: d.category,
      riskFactors: monitored ? d.risks : null,
      identifiedMonth,
      riskEliminated,
      eliminatedMonth,
      eliminationMethod,
      safetyNet: (d.poor || monitored) && workers === 0,
      perCapitaIncome: null,
      wageIncome: wage * 100,
      businessIncome: businessIncome * 100,
      propertyIncome: property * 100,
      transferIncome: transfer * 100,
      businessCosts: businessCosts * 100,
      compliantExpense: Math.round(expense) * 100,
      dangerousHouse: housingGrade === "C" || housingGrade === "D",
      housingGrade,
      houseArea: round1(Math.min(400, Math.max(25, rng.logNormal(110, 0.35)))),
      safeWater: !waterRisk && rng.chance(0.993),
      electricity: rng.chance(0.9997),
      hardenedRoad: rng.chance(0.97),
      roadDistance: round1(Math.min(5, -0.3 * Math.log(1 - rng.next()))),
      sanitaryToilet: rng.chance(0.92),
      arableLand: arable,
      forestLand: forest,
      grainForGreenLand: grainForGreen,
      orchardLand: orchard,
      pastureLand: 0,
      waterSurface,
      phone: head.phone ?? members.find((m) => m.phone !== null)?.phone ?? null,
      collectorName: collector.name,
      collectorPhone: collector.phone,
      remarks: null,
    };
    h.perCapitaIncome = perCapitaIncome(h, size, COUNT_ALL_TRANSFERS);
    return h;
  }
}

const RISK_COUNT = table([50, 35, 15]);

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
