/**
 * Controlled vocabularies of the registry: stable English codes inside fangpin, the national
 * system's Chinese terms at the edges (forms, Excel, notices). `labels` give zh-CN first.
 */
export interface VocabEntry {
  readonly code: string;
  readonly zh: string;
  readonly en: string;
  /** Other spellings seen in real files that mean the same. */
  readonly aliases?: readonly string[];
}

function vocab<const T extends readonly VocabEntry[]>(entries: T) {
  return entries;
}

/** 户类型 — household type. */
export const HOUSEHOLD_TYPES = vocab([
  { code: "formerly_poor", zh: "脱贫户", en: "Formerly poor" },
  { code: "ordinary", zh: "一般农户", en: "Ordinary" },
  { code: "newly_identified", zh: "新识别", en: "Newly identified" },
  { code: "not_exited", zh: "未脱贫", en: "Not exited" },
  { code: "exited", zh: "已脱贫", en: "Exited" },
  { code: "pre_exit", zh: "预脱贫", en: "Pre-exit" },
  { code: "returned", zh: "返贫", en: "Returned to poverty" },
  { code: "deregistered", zh: "注销", en: "Deregistered" },
]);

/** 监测对象类别 — monitoring category. */
export const MONITORING_CATEGORIES = vocab([
  { code: "unstable", zh: "脱贫不稳定户", en: "Unstable formerly poor" },
  { code: "marginal", zh: "边缘易致贫户", en: "Marginal, prone to poverty" },
  { code: "sudden_hardship", zh: "突发严重困难户", en: "Sudden severe hardship" },
]);

/** 致贫/返贫风险 — risk factors. */
export const RISK_FACTORS = vocab([
  { code: "illness", zh: "因病", en: "Illness" },
  { code: "disability", zh: "因残", en: "Disability" },
  { code: "schooling", zh: "因学", en: "Schooling costs" },
  { code: "disaster", zh: "因灾", en: "Disaster" },
  { code: "lack_of_labor", zh: "缺劳动力", en: "Lack of labour" },
  { code: "lack_of_skills", zh: "缺技术", en: "Lack of skills" },
  { code: "lack_of_funds", zh: "缺资金", en: "Lack of funds" },
  { code: "lack_of_land", zh: "缺土地", en: "Lack of land" },
  { code: "unstable_employment", zh: "因务工就业不稳", en: "Unstable employment" },
  { code: "housing", zh: "因安全住房", en: "Unsafe housing" },
  { code: "water", zh: "因安全饮水", en: "Unsafe drinking water" },
  { code: "accident", zh: "意外事故", en: "Accident" },
  { code: "industry_failure", zh: "产业项目失败", en: "Industry project failure" },
  { code: "large_expense", zh: "大额刚性支出", en: "Large unavoidable expense" },
  { code: "other", zh: "其他", en: "Other" },
]);

/** 风险消除方式 — how a risk was eliminated. */
export const ELIMINATION_METHODS = vocab([
  { code: "assisted", zh: "帮扶消除", en: "By assistance" },
  { code: "natural", zh: "自然消除", en: "Naturally" },
]);

/** 住房安全鉴定等级 — housing safety appraisal grade (C and D are dangerous). */
export const HOUSING_GRADES = vocab([
  { code: "A", zh: "A级", en: "A" },
  { code: "B", zh: "B级", en: "B" },
  { code: "C", zh: "C级", en: "C" },
  { code: "D", zh: "D级", en: "D" },
]);

export const SEXES = vocab([
  { code: "male", zh: "男", en: "Male" },
  { code: "female", zh: "女", en: "Female" },
]);

/** 证件类型 — identity document type. */
export const ID_TYPES = vocab([
  { code: "resident_id", zh: "居民身份证", en: "Resident ID", aliases: ["身份证"] },
  { code: "disability_cert", zh: "残疾人证", en: "Disability certificate" },
  { code: "other", zh: "其他", en: "Other" },
]);

/** 健康状况 — health. */
export const HEALTH = vocab([
  { code: "healthy", zh: "健康", en: "Healthy" },
  { code: "chronic", zh: "长期慢性病", en: "Chronic illness" },
  { code: "serious_illness", zh: "患大病", en: "Serious illness" },
  { code: "disabled", zh: "残疾", en: "Disabled" },
]);

/** 劳动技能 — labour capacity. */
export const LABOR_SKILLS = vocab([
  { code: "skilled", zh: "技能劳动力", en: "Skilled labour" },
  { code: "ordinary", zh: "普通劳动力", en: "Ordinary labour" },
  { code: "weak", zh: "弱劳动力或半劳动力", en: "Weak or half labour" },
  { code: "lost", zh: "丧失劳动力", en: "Lost labour capacity" },
  { code: "none", zh: "无劳动力", en: "No labour capacity" },
]);

/** 享受低保政策情况 — minimum living allowance. */
export const DIBAO = vocab([
  { code: "none", zh: "未享受", en: "None" },
  { code: "rural", zh: "农村低保", en: "Rural dibao" },
  { code: "urban", zh: "城市低保", en: "Urban dibao" },
]);

/** 享受特困供养政策情况 — support for the extremely poor. */
export const TEKUN = vocab([
  { code: "none", zh: "未享受", en: "None" },
  { code: "dispersed", zh: "分散供养", en: "Dispersed support" },
  { code: "centralized", zh: "集中供养", en: "Centralised support" },
]);

/** 与户主关系 — relationship to the head; stored as the national term. */
export const RELATIONSHIPS = [
  "户主",
  "配偶",
  "之子",
  "之女",
  "之儿媳",
  "之女婿",
  "之孙子",
  "之孙女",
  "之外孙子",
  "之外孙女",
  "之父",
  "之母",
  "之岳父",
  "之岳母",
  "之公公",
  "之婆婆",
  "之祖父",
  "之祖母",
  "之外祖父",
  "之外祖母",
  "兄弟姐妹",
  "之曾孙子",
  "之曾孙女",
  "其他",
] as const;
export const HEAD_RELATIONSHIP = "户主";

/** 文化程度 — education; stored as the national term. */
export const EDUCATION_LEVELS = [
  "文盲或半文盲",
  "学龄前儿童",
  "小学",
  "初中",
  "高中",
  "中专",
  "大专",
  "本科及以上",
] as const;

/** Member status: removed members stay in the household's record with a reason. */
export const MEMBER_REMOVAL_REASONS = vocab([
  { code: "death", zh: "死亡", en: "Death" },
  { code: "moved_out", zh: "迁出", en: "Moved away" },
  { code: "married_out", zh: "嫁出/入赘", en: "Married out" },
  { code: "duplicate", zh: "重复录入", en: "Duplicate entry" },
  { code: "other", zh: "其他", en: "Other" },
]);

export type Vocab = readonly VocabEntry[];
export type CodeOf<V extends Vocab> = V[number]["code"];

/** The code whose Chinese term, English label, code or alias equals the text; undefined if none. */
export function codeFor(v: Vocab, text: string): string | undefined {
  const t = text.trim();
  return v.find((e) => e.code === t || e.zh === t || e.en === t || e.aliases?.includes(t))?.code;
}

export function labelFor(
  v: Vocab,
  code: string | null | undefined,
  lang: "zh" | "en" = "zh",
): string {
  if (code === null || code === undefined) return "";
  const e = v.find((x) => x.code === code);
  return e ? e[lang] : code;
}
