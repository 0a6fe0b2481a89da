/**
 * The columns of the national monitoring system's member export (全国防止返贫监测信息系统 监测对象
 * 信息), matched by header text, never by position. Built from the `national` header names of
 * the field table (core/registry-fields.ts) plus the region columns 县/乡/村 and the columns
 * fangpin carries without a field of its own (assistance, 帮扶 — kept as extra attributes so that
 * an export gives them back).
 */
import { toHalfWidth } from "../../core/money.ts";
import {
  type FieldDef,
  HOUSEHOLD_FIELDS,
  householdField,
  MEMBER_FIELDS,
  memberField,
} from "../../core/registry-fields.ts";

/** What a column carries. */
export type ColumnTarget =
  | { kind: "region"; level: "county" | "town" | "village" }
  | { kind: "household"; field: FieldDef; slot?: number }
  | { kind: "member"; field: FieldDef }
  /** A national column without a field: stored as an extra attribute under `header`. */
  | { kind: "passthrough" };

export interface NationalColumn {
  /** The header as the national system writes it (used on export). */
  readonly header: string;
  readonly target: ColumnTarget;
  /** Other headers seen in real files; compared after `normalizeHeader`. */
  readonly aliases: readonly string[];
}

/**
 * Header text as compared: trimmed, full-width folded to half-width (`（元）` = `(元)`), white
 * space removed, and the `*` that templates put before required columns dropped.
 * @example normalizeHeader(" 人均纯收入（元） ") === "人均纯收入(元)"
 */
export function normalizeHeader(text: string): string {
  return toHalfWidth(text)
    .replace(/[\s\u00a0]+/g, "")
    .replace(/^\*+|\*+$/g, "");
}

const h = (key: string): FieldDef => householdField.get(key)!;
const m = (key: string): FieldDef => memberField.get(key)!;

/** Aliases beyond the field table's `national` names, from real county files. */
const ALIASES: Record<string, readonly string[]> = {
  县: ["县(市、区、旗)", "县(市、区)", "县(市区旗)", "县(区)", "县区", "县(市)", "县名称"],
  乡: ["乡(镇)", "乡镇", "乡(镇、街道)", "乡镇(街道)", "镇"],
  村: ["行政村", "村(社区)", "行政村(社区)", "村名称"],
  证件号码: ["身份证号码", "身份证号", "证件号"],
  与户主关系: ["与户主的关系"],
  "公益性岗位(月数)": ["公益性岗位月数"],
  "人均纯收入(元)": ["人均纯收入", "家庭人均纯收入(元)", "家庭人均纯收入"],
};

const region = (header: string, level: "county" | "town" | "village"): NationalColumn => ({
  header,
  target: { kind: "region", level },
  aliases: ALIASES[header] ?? [],
});
const passthrough = (header: string): NationalColumn => ({
  header,
  target: { kind: "passthrough" },
  aliases: [],
});
function field(def: FieldDef, scope: "household" | "member", header?: string): NationalColumn {
  const names = def.national ?? [];
  const main = header ?? names[0] ?? def.zh;
  return {
    header: main,
    target:
      scope === "household" ? { kind: "household", field: def } : { kind: "member", field: def },
    aliases: [...names, ...names.flatMap((n) => ALIASES[normalizeHeader(n)] ?? [])].filter(
      (a) => a !== main,
    ),
  };
}
const risk = (slot: number): NationalColumn => ({
  header: `致贫/返贫风险${slot + 1}`,
  target: { kind: "household", field: h("riskFactors"), slot },
  aliases: [`致贫返贫风险${slot + 1}`],
});

/**
 * Every column in the national export's order (shared/formats/national-export.md): region and
 * identity, person, household status, income, living conditions, land, assistance, collection.
 */
export const NATIONAL_COLUMNS: readonly NationalColumn[] = [
  region("县", "county"),
  region("乡", "town"),
  region("村", "village"),
  field(h("groupName"), "household"),
  field(h("householdNumber"), "household"),
  field(m("name"), "member"),
  field(m("idType"), "member"),
  field(m("idNumber"), "member"),
  field(m("sex"), "member"),
  field(m("ethnicity"), "member"),
  field(m("birthDate"), "member"),
  field(m("relationship"), "member"),
  field(m("phone"), "member"),
  field(h("phone"), "household"),
  field(m("education"), "member"),
  field(m("schoolStatus"), "member"),
  field(m("outOfSchool"), "member"),
  field(m("notEnrolledReason"), "member"),
  field(m("dropoutReason"), "member"),
  field(m("health"), "member"),
  field(m("laborSkill"), "member"),
  field(m("workLocation"), "member"),
  field(m("publicWelfareJob"), "member"),
  field(m("publicWelfareJobMonths"), "member"),
  field(m("insResidentMedical"), "member"),
  field(m("insEmployeeMedical"), "member"),
  field(m("insSeriousIllness"), "member"),
  field(m("medicalAssistance"), "member"),
  field(m("insResidentPension"), "member"),
  field(m("insEmployeePension"), "member"),
  field(m("dibao"), "member"),
  field(m("tekun"), "member"),
  field(h("householdType"), "household"),
  field(h("monitoringCategory"), "household"),
  risk(0),
  risk(1),
  risk(2),
  risk(3),
  risk(4),
  field(h("identifiedMonth"), "household"),
  field(h("riskEliminated"), "household"),
  field(h("eliminatedMonth"), "household"),
  field(h("eliminationMethod"), "household"),
  field(h("safetyNet"), "household"),
  field(h("perCapitaIncome"), "household", "人均纯收入（元）"),
  field(h("wageIncome"), "household"),
  field(h("businessIncome"), "household"),
  field(h("propertyIncome"), "household"),
  field(h("transferIncome"), "household"),
  field(h("businessCosts"), "household"),
  field(h("compliantExpense"), "household"),
  field(h("dangerousHouse"), "household"),
  field(h("housingGrade"), "household"),
  field(h("houseArea"), "household"),
  field(h("safeWater"), "household"),
  field(h("electricity"), "household"),
  field(h("hardenedRoad"), "household"),
  field(h("roadDistance"), "household"),
  field(h("sanitaryToilet"), "household"),
  passthrough("是否有家庭成员未参加城乡居民（职工）基本医疗保险"),
  field(h("arableLand"), "household", "耕地面积（亩）"),
  field(h("forestLand"), "household", "林地面积（亩）"),
  field(h("grainForGreenLand"), "household", "退耕还林面积（亩）"),
  field(h("orchardLand"), "household", "林果面积（亩）"),
  field(h("pastureLand"), "household"),
  field(h("waterSurface"), "household"),
  passthrough("实施开发式帮扶措施情况"),
  passthrough("产业帮扶"),
  passthrough("就业帮扶"),
  passthrough("金融帮扶"),
  passthrough("公益性岗位帮扶"),
  passthrough("公益性岗位帮扶其他备注"),
  passthrough("健康帮扶"),
  passthrough("教育帮扶"),
  passthrough("住房安全保障"),
  passthrough("饮水安全保障"),
  passthrough("综合保障"),
  passthrough("社会帮扶"),
  passthrough("搬迁"),
  passthrough("就业渠道（易地搬迁后扶使用）"),
  passthrough("生产生活条件改善"),
  passthrough("基础设施建设"),
  field(h("collectorName"), "household"),
  field(h("collectorPhone"), "household"),
  field(h("remarks"), "household"),
];

/** Passthrough columns are stored in `extra` under their normalised header. */
export const extraKey = (header: string) => normalizeHeader(header);

const BY_HEADER = new Map<string, NationalColumn>();
for (const c of NATIONAL_COLUMNS) {
  for (const name of [c.header, ...c.aliases]) {
    const key = normalizeHeader(name);
    if (!BY_HEADER.has(key)) BY_HEADER.set(key, c);
  }
}

/** The national column a header names, if any. */
export function columnFor(header: string): NationalColumn | undefined {
  return BY_HEADER.get(normalizeHeader(header));
}

/** How one column of a file is read. */
export interface BoundColumn {
  /** 0-based index among the row's cells. */
  index: number;
  /** The header as written in the file (trimmed), for problem reports. */
  header: string;
  /** The national column, or null for an unknown column kept as an extra attribute. */
  column: NationalColumn | null;
  /** For extra and passthrough columns: the attribute name in `extra`. */
  extraKey: string | null;
}

/** True when the row's cells hold the two headers that mark the header row. */
export function isHeaderRow(texts: readonly string[]): boolean {
  let id = false;
  let household = false;
  for (const t of texts) {
    const c = columnFor(t);
    if (c?.target.kind === "member" && c.target.field.key === "idNumber") id = true;
    if (c?.target.kind === "household" && c.target.field.key === "householdNumber")
      household = true;
  }
  return id && household;
}

/**
 * Binds a header row's cells to columns. A second column naming the same target (both 村 and
 * 行政村) is kept as an extra attribute rather than allowed to overwrite the first. Blank
 * headers are skipped.
 */
export function bindHeaders(texts: readonly string[]): BoundColumn[] {
  const taken = new Set<NationalColumn>();
  const out: BoundColumn[] = [];
  texts.forEach((raw, index) => {
    const header = raw.trim();
    if (header === "") return;
    const column = columnFor(header);
    if (column && !taken.has(column)) {
      taken.add(column);
      out.push({
        index,
        header,
        column,
        extraKey: column.target.kind === "passthrough" ? extraKey(column.header) : null,
      });
    } else out.push({ index, header, column: null, extraKey: extraKey(header) });
  });
  return out;
}

/** Field keys every import needs a column for (the file is refused without them). */
export const REQUIRED_COLUMNS: readonly { test: (c: ColumnTarget) => boolean; header: string }[] = [
  {
    header: "户编号",
    test: (t) => t.kind === "household" && t.field.key === "householdNumber",
  },
  { header: "证件号码", test: (t) => t.kind === "member" && t.field.key === "idNumber" },
  { header: "姓名", test: (t) => t.kind === "member" && t.field.key === "name" },
  { header: "与户主关系", test: (t) => t.kind === "member" && t.field.key === "relationship" },
  { header: "户类型", test: (t) => t.kind === "household" && t.field.key === "householdType" },
  { header: "村", test: (t) => t.kind === "region" && t.level === "village" },
];

/** Every field of the table that has a national header appears in NATIONAL_COLUMNS. */
export function unmappedFields(): string[] {
  const mapped = new Set(
    NATIONAL_COLUMNS.flatMap((c) =>
      c.target.kind === "household" || c.target.kind === "member"
        ? [`${c.target.kind}.${c.target.field.key}`]
        : [],
    ),
  );
  return [
    ...HOUSEHOLD_FIELDS.filter((f) => f.key !== "villageCode").map((f) => `household.${f.key}`),
    ...MEMBER_FIELDS.map((f) => `member.${f.key}`),
  ].filter((k) => !mapped.has(k));
}
