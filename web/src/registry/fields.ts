/**
 * How registry fields look on screen: labels from the field table, values formatted by kind,
 * and the groups the household page and its edit form share.
 */
import { formatYuan } from "../../../src/core/money.ts";
import {
  type FieldDef,
  type HouseholdFieldKey,
  householdField,
  memberField,
} from "../../../src/core/registry-fields.ts";
import { labelFor, type Vocab } from "../../../src/core/vocab.ts";
import type { LabelLang } from "../i18n/i18n.tsx";
import type { Messages } from "../i18n/zh-CN.ts";

export function fieldLabel(def: FieldDef, lang: LabelLang): string {
  return lang === "en" ? def.en : def.zh;
}

export function vocabLabel(v: Vocab, code: string | null | undefined, lang: LabelLang): string {
  return labelFor(v, code, lang);
}

/** Yuan with two decimals and thousands separators, from integer fen ("12,345.60"). */
export function yuan(fen: number | null | undefined): string {
  if (fen === null || fen === undefined) return "";
  const [whole = "0", cents = "00"] = formatYuan(fen).split(".");
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${cents}`;
}

/** A field's value as text; "" when unknown. Masked strings pass through as they are. */
export function formatValue(
  def: FieldDef | undefined,
  value: unknown,
  lang: LabelLang,
  t: Messages,
): string {
  if (value === null || value === undefined || value === "") return "";
  if (!def) return typeof value === "object" ? JSON.stringify(value) : String(value);
  switch (def.kind) {
    case "flag":
      return typeof value === "boolean" ? (value ? t.common.yes : t.common.no) : String(value);
    case "money":
      return typeof value === "number" ? yuan(value) : String(value);
    case "enum":
      return def.vocab ? vocabLabel(def.vocab, String(value), lang) : String(value);
    case "enum_list":
      return Array.isArray(value)
        ? value
            .map((c) => (def.vocab ? vocabLabel(def.vocab, String(c), lang) : String(c)))
            .join(lang === "en" ? ", " : "、")
        : String(value);
    default:
      return String(value);
  }
}

/** The definition of a history change's field: member fields when it concerns a member. */
export function changeField(field: string, memberId: number | null): FieldDef | undefined {
  const key = field.includes(".") ? field.slice(field.lastIndexOf(".") + 1) : field;
  return memberId !== null
    ? (memberField.get(key) ?? householdField.get(key))
    : (householdField.get(key) ?? memberField.get(key));
}

export type HouseholdGroup = keyof Messages["detail"]["groups"];

/** The household's fields in the groups the detail page shows and the edit form follows. */
export const HOUSEHOLD_GROUPS: readonly {
  group: HouseholdGroup;
  keys: readonly HouseholdFieldKey[];
}[] = [
  {
    group: "basic",
    keys: ["householdNumber", "villageCode", "groupName", "householdType", "phone"],
  },
  {
    group: "monitoring",
    keys: [
      "monitoringCategory",
      "riskFactors",
      "identifiedMonth",
      "riskEliminated",
      "eliminatedMonth",
      "eliminationMethod",
      "safetyNet",
    ],
  },
  {
    group: "income",
    keys: [
      "perCapitaIncome",
      "wageIncome",
      "businessIncome",
      "propertyIncome",
      "transferIncome",
      "businessCosts",
      "compliantExpense",
    ],
  },
  {
    group: "living",
    keys: [
      "dangerousHouse",
      "housingGrade",
      "houseArea",
      "safeWater",
      "electricity",
      "hardenedRoad",
      "roadDistance",
      "sanitaryToilet",
    ],
  },
  {
    group: "land",
    keys: [
      "arableLand",
      "forestLand",
      "grainForGreenLand",
      "orchardLand",
      "pastureLand",
      "waterSurface",
    ],
  },
  { group: "other", keys: ["collectorName", "collectorPhone", "remarks"] },
];

/** Fields that identify the household and are not changed through the edit form. */
export const IDENTITY_FIELDS: ReadonlySet<string> = new Set(["householdNumber", "villageCode"]);

export function householdDef(key: string): FieldDef {
  const def = householdField.get(key);
  if (!def) throw new Error(`unknown household field ${key}`);
  return def;
}

export function memberDef(key: string): FieldDef {
  const def = memberField.get(key);
  if (!def) throw new Error(`unknown member field ${key}`);
  return def;
}

/** 18-character resident IDs and 20/22-character disability certificate numbers. */
export function looksLikeIdNumber(text: string): boolean {
  const s = text.replace(/\s+/g, "").toUpperCase();
  return (s.length === 18 || s.length === 20 || s.length === 22) && /^\d{17}[\dX]/.test(s);
}
