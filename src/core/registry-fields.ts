/**
 * The registry's fields, described once: the database columns, the API schemas, the forms, the
 * national Excel columns and the history all follow this table. A field's `national` names are
 * the column headers of the national monitoring system's export (see shared/formats).
 */
import {
  DIBAO,
  ELIMINATION_METHODS,
  HEALTH,
  HOUSEHOLD_TYPES,
  HOUSING_GRADES,
  ID_TYPES,
  LABOR_SKILLS,
  MONITORING_CATEGORIES,
  RISK_FACTORS,
  SEXES,
  TEKUN,
  type Vocab,
} from "./vocab.ts";

export type FieldKind =
  | "text"
  | "flag" // 是/否, null when unknown
  | "money" // integer fen
  | "int"
  | "decimal"
  | "date" // YYYY-MM-DD
  | "month" // YYYY-MM
  | "enum"
  | "enum_list"; // up to five codes, as the national 风险1…风险5 columns

export interface FieldDef {
  readonly key: string;
  readonly column: string;
  readonly kind: FieldKind;
  readonly zh: string;
  readonly en: string;
  readonly vocab?: Vocab;
  /** Headers of the national export that carry this field. */
  readonly national?: readonly string[];
  /** Masked unless the reader unmasks (audited): ID numbers, phones, health. */
  readonly sensitive?: boolean;
  readonly required?: boolean;
  readonly maxLength?: number;
}

function f<const K extends string, const C extends string, const T extends FieldKind>(
  key: K,
  column: C,
  kind: T,
  zh: string,
  en: string,
  more: Partial<FieldDef> = {},
): FieldDef & { readonly key: K; readonly column: C; readonly kind: T } {
  return { ...more, key, column, kind, zh, en };
}

/** Household fields that people edit (identity fields `householdNumber` and `villageCode` included). */
export const HOUSEHOLD_FIELDS = [
  f("householdNumber", "household_number", "text", "户编号", "Household number", {
    required: true,
    national: ["户编号"],
    maxLength: 40,
  }),
  f("villageCode", "village_code", "text", "行政村", "Village", {
    required: true,
    national: ["村", "行政村"],
    maxLength: 12,
  }),
  f("groupName", "group_name", "text", "村民小组", "Villager group", {
    national: ["村民小组", "组"],
    maxLength: 40,
  }),
  f("householdType", "household_type", "enum", "户类型", "Household type", {
    vocab: HOUSEHOLD_TYPES,
    national: ["户类型"],
    required: true,
  }),
  f("monitoringCategory", "monitoring_category", "enum", "监测对象类别", "Monitoring category", {
    vocab: MONITORING_CATEGORIES,
    national: ["监测对象类别"],
  }),
  f("riskFactors", "risk_factors", "enum_list", "致贫/返贫风险", "Risk factors", {
    vocab: RISK_FACTORS,
    national: [
      "致贫/返贫风险1",
      "致贫/返贫风险2",
      "致贫/返贫风险3",
      "致贫/返贫风险4",
      "致贫/返贫风险5",
    ],
  }),
  f("identifiedMonth", "identified_month", "month", "识别监测时间", "Month identified", {
    national: ["识别监测时间"],
  }),
  f("riskEliminated", "risk_eliminated", "flag", "风险是否已消除", "Risk eliminated", {
    national: ["风险是否已消除"],
  }),
  f("eliminatedMonth", "eliminated_month", "month", "消除监测时间", "Month eliminated", {
    national: ["消除监测时间"],
  }),
  f("eliminationMethod", "elimination_method", "enum", "风险消除方式", "Elimination method", {
    vocab: ELIMINATION_METHODS,
    national: ["风险消除方式"],
  }),
  f(
    "safetyNet",
    "safety_net",
    "flag",
    "整户无劳动能力兜底保障户",
    "Safety-net household (no labour)",
    { national: ["整户无劳动能力兜底保障户"] },
  ),
  f("perCapitaIncome", "per_capita_income", "money", "人均纯收入（元）", "Per-capita net income", {
    national: ["人均纯收入(元)", "人均纯收入"],
  }),
  f("wageIncome", "wage_income", "money", "工资性收入", "Wage income", {
    national: ["工资性收入"],
  }),
  f("businessIncome", "business_income", "money", "生产经营性收入", "Business income", {
    national: ["生产经营性收入"],
  }),
  f("propertyIncome", "property_income", "money", "财产性收入", "Property income", {
    national: ["财产性收入"],
  }),
  f("transferIncome", "transfer_income", "money", "转移性收入", "Transfer income", {
    national: ["转移性收入"],
  }),
  f("businessCosts", "business_costs", "money", "生产经营性支出", "Business costs", {
    national: ["生产经营性支出"],
  }),
  f(
    "compliantExpense",
    "compliant_expense",
    "money",
    "合规自付支出",
    "Compliant out-of-pocket spending",
    { national: ["合规自付支出"] },
  ),
  f("dangerousHouse", "dangerous_house", "flag", "是否危房户", "Dangerous house", {
    national: ["是否危房户"],
  }),
  f("housingGrade", "housing_grade", "enum", "住房安全鉴定等级", "Housing appraisal grade", {
    vocab: HOUSING_GRADES,
    national: ["住房安全等级", "房屋安全鉴定等级"],
  }),
  f("houseArea", "house_area", "decimal", "住房面积（㎡）", "House area (m²)", {
    national: ["住房面积"],
  }),
  f("safeWater", "safe_water", "flag", "是否解决安全饮用水", "Safe drinking water", {
    national: ["是否解决安全饮用水"],
  }),
  f("electricity", "electricity", "flag", "是否通生活用电", "Household electricity", {
    national: ["是否通生活用电"],
  }),
  f("hardenedRoad", "hardened_road", "flag", "入户道路是否硬化", "Paved access road", {
    national: ["入户道路是否硬化"],
  }),
  f(
    "roadDistance",
    "road_distance",
    "decimal",
    "与村主干路距离（公里）",
    "Distance to village road (km)",
    { national: ["与村主干路距离"] },
  ),
  f("sanitaryToilet", "sanitary_toilet", "flag", "是否有卫生厕所", "Sanitary toilet", {
    national: ["是否有卫生厕所"],
  }),
  f("arableLand", "arable_land", "decimal", "耕地面积（亩）", "Arable land (mu)", {
    national: ["耕地面积(亩)", "耕地面积"],
  }),
  f("forestLand", "forest_land", "decimal", "林地面积（亩）", "Forest land (mu)", {
    national: ["林地面积(亩)", "林地面积"],
  }),
  f(
    "grainForGreenLand",
    "grain_for_green_land",
    "decimal",
    "退耕还林面积（亩）",
    "Grain-for-green land (mu)",
    { national: ["退耕还林面积(亩)", "退耕还林面积"] },
  ),
  f("orchardLand", "orchard_land", "decimal", "林果面积（亩）", "Orchard land (mu)", {
    national: ["林果面积(亩)", "林果面积"],
  }),
  f("pastureLand", "pasture_land", "decimal", "牧草地面积（亩）", "Pasture (mu)", {
    national: ["牧草地面积"],
  }),
  f("waterSurface", "water_surface", "decimal", "水面面积（亩）", "Water surface (mu)", {
    national: ["水面面积"],
  }),
  f("phone", "phone", "text", "户联系电话", "Household phone", {
    national: ["户联系电话"],
    sensitive: true,
    maxLength: 40,
  }),
  f("collectorName", "collector_name", "text", "信息采集人", "Data collector", {
    national: ["信息采集人"],
    maxLength: 40,
  }),
  f("collectorPhone", "collector_phone", "text", "信息采集人联系电话", "Collector phone", {
    national: ["信息采集人联系电话"],
    maxLength: 40,
  }),
  f("remarks", "remarks", "text", "其他备注", "Remarks", {
    national: ["其他备注"],
    maxLength: 2000,
  }),
] as const satisfies readonly FieldDef[];

/** Member fields that people edit. */
export const MEMBER_FIELDS = [
  f("name", "name", "text", "姓名", "Name", { required: true, national: ["姓名"], maxLength: 60 }),
  f("idType", "id_type", "enum", "证件类型", "ID type", {
    vocab: ID_TYPES,
    national: ["证件类型"],
    required: true,
  }),
  f("idNumber", "id_number", "text", "证件号码", "ID number", {
    required: true,
    national: ["证件号码"],
    sensitive: true,
    maxLength: 22,
  }),
  f("sex", "sex", "enum", "性别", "Sex", { vocab: SEXES, national: ["性别"] }),
  f("ethnicity", "ethnicity", "text", "民族", "Ethnicity", { national: ["民族"], maxLength: 20 }),
  f("birthDate", "birth_date", "date", "出生日期", "Birth date", { national: ["出生日期"] }),
  f("relationship", "relationship", "text", "与户主关系", "Relationship to head", {
    required: true,
    national: ["与户主关系"],
    maxLength: 20,
  }),
  f("phone", "phone", "text", "家庭成员联系电话", "Phone", {
    national: ["家庭成员联系电话"],
    sensitive: true,
    maxLength: 40,
  }),
  f("education", "education", "text", "文化程度", "Education", {
    national: ["文化程度"],
    maxLength: 20,
  }),
  f("schoolStatus", "school_status", "text", "在校生状况", "School status", {
    national: ["在校生状况"],
    maxLength: 30,
  }),
  f(
    "outOfSchool",
    "out_of_school",
    "flag",
    "是否义务教育阶段适龄儿童少年失学辍学",
    "Out of school (compulsory age)",
    { national: ["是否义务教育阶段适龄儿童少年失学辍学"] },
  ),
  f(
    "notEnrolledReason",
    "not_enrolled_reason",
    "text",
    "义务教育阶段未上学原因",
    "Reason never enrolled",
    { national: ["义务教育阶段未上学原因"], maxLength: 100 },
  ),
  f("dropoutReason", "dropout_reason", "text", "失学或辍学原因", "Dropout reason", {
    national: ["失学或辍学原因"],
    maxLength: 100,
  }),
  f("health", "health", "enum", "健康状况", "Health", {
    vocab: HEALTH,
    national: ["健康状况"],
    sensitive: true,
  }),
  f("laborSkill", "labor_skill", "enum", "劳动技能", "Labour capacity", {
    vocab: LABOR_SKILLS,
    national: ["劳动技能"],
  }),
  f("workLocation", "work_location", "text", "务工所在地", "Place of work", {
    national: ["务工所在地"],
    maxLength: 100,
  }),
  f("publicWelfareJob", "public_welfare_job", "text", "公益性岗位", "Public-welfare job", {
    national: ["公益性岗位"],
    maxLength: 60,
  }),
  f(
    "publicWelfareJobMonths",
    "public_welfare_job_months",
    "int",
    "公益性岗位（月数）",
    "Public-welfare job months",
    { national: ["公益性岗位(月数)"] },
  ),
  f(
    "insResidentMedical",
    "ins_resident_medical",
    "flag",
    "是否参加城乡居民基本医疗保险",
    "Resident medical insurance",
    { national: ["是否参加城乡居民基本医疗保险"] },
  ),
  f(
    "insEmployeeMedical",
    "ins_employee_medical",
    "flag",
    "是否参加城镇职工基本医疗保险",
    "Employee medical insurance",
    { national: ["是否参加城镇职工基本医疗保险"] },
  ),
  f(
    "insSeriousIllness",
    "ins_serious_illness",
    "flag",
    "是否参加大病保险",
    "Serious-illness insurance",
    { national: ["是否参加大病保险"] },
  ),
  f("medicalAssistance", "medical_assistance", "flag", "是否接受医疗救助", "Medical assistance", {
    national: ["是否接受医疗救助"],
  }),
  f(
    "insResidentPension",
    "ins_resident_pension",
    "flag",
    "是否参加城乡居民基本养老保险",
    "Resident pension insurance",
    { national: ["是否参加城乡居民基本养老保险"] },
  ),
  f(
    "insEmployeePension",
    "ins_employee_pension",
    "flag",
    "是否参加城镇职工基本养老保险",
    "Employee pension insurance",
    { national: ["是否参加城镇职工基本养老保险"] },
  ),
  f("dibao", "dibao", "enum", "享受低保政策情况", "Dibao", {
    vocab: DIBAO,
    national: ["享受低保政策情况"],
  }),
  f("tekun", "tekun", "enum", "享受特困供养政策情况", "Tekun support", {
    vocab: TEKUN,
    national: ["享受特困供养政策情况"],
  }),
] as const satisfies readonly FieldDef[];

export type HouseholdFieldKey = (typeof HOUSEHOLD_FIELDS)[number]["key"];
export type MemberFieldKey = (typeof MEMBER_FIELDS)[number]["key"];

type ValueOf<K extends FieldKind> = K extends "flag"
  ? boolean
  : K extends "money" | "int" | "decimal"
    ? number
    : K extends "enum_list"
      ? string[]
      : string;

type Values<T extends readonly FieldDef[]> = {
  [F in T[number] as F["key"]]: ValueOf<F["kind"]> | null;
};

/** A household's editable values, null when unknown. */
export type HouseholdValues = Values<typeof HOUSEHOLD_FIELDS>;
/** A member's editable values, null when unknown. */
export type MemberValues = Values<typeof MEMBER_FIELDS>;

export const householdField = new Map<string, FieldDef>(HOUSEHOLD_FIELDS.map((d) => [d.key, d]));
export const memberField = new Map<string, FieldDef>(MEMBER_FIELDS.map((d) => [d.key, d]));
