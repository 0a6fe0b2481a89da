/**
 * Converting between API values and form values: money is integer fen in the API and yuan in
 * the form, dates are ISO strings in the API and dayjs objects in the pickers. A write sends
 * only the fields whose value differs from what was read.
 */
import dayjs, { type Dayjs } from "dayjs";
import { parseYuan } from "../../../src/core/money.ts";
import type { FieldDef } from "../../../src/core/registry-fields.ts";

export type FormValue = string | number | boolean | string[] | Dayjs | null | undefined;

export function toFormValue(def: FieldDef, value: unknown): FormValue {
  if (value === null || value === undefined) return undefined;
  switch (def.kind) {
    case "money":
      return typeof value === "number" ? value / 100 : undefined;
    case "date":
      return typeof value === "string" && dayjs(value).isValid() ? dayjs(value) : undefined;
    case "month":
      return typeof value === "string" && dayjs(`${value}-01`).isValid()
        ? dayjs(`${value}-01`)
        : undefined;
    case "enum_list":
      return Array.isArray(value) ? value.map(String) : undefined;
    default:
      return value as FormValue;
  }
}

export function fromFormValue(def: FieldDef, value: FormValue): unknown {
  if (value === undefined || value === null) return null;
  switch (def.kind) {
    case "money":
      return typeof value === "number" ? parseYuan(value, def.key) : null;
    case "int":
    case "decimal":
      return typeof value === "number" ? value : null;
    case "date":
      return dayjs.isDayjs(value) ? value.format("YYYY-MM-DD") : null;
    case "month":
      return dayjs.isDayjs(value) ? value.format("YYYY-MM") : null;
    case "enum_list":
      return Array.isArray(value) && value.length > 0 ? value : null;
    case "flag":
      return typeof value === "boolean" ? value : null;
    case "text": {
      const s = String(value).trim();
      return s === "" ? null : s;
    }
    default:
      return value === "" ? null : value;
  }
}

function same(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) =>
    v === undefined || v === "" || (Array.isArray(v) && v.length === 0) ? null : v;
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** Form values for these fields of a record. */
export function formValuesOf(
  defs: readonly FieldDef[],
  record: Record<string, unknown> | null,
): Record<string, FormValue> {
  const out: Record<string, FormValue> = {};
  for (const d of defs) out[d.key] = toFormValue(d, record?.[d.key]);
  return out;
}

/** The API values of the fields that differ from the record (all non-empty ones when record is null). */
export function changedValues(
  defs: readonly FieldDef[],
  form: Record<string, FormValue>,
  record: Record<string, unknown> | null,
  skip: ReadonlySet<string> = new Set(),
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of defs) {
    if (skip.has(d.key) || !(d.key in form)) continue;
    const next = fromFormValue(d, form[d.key]);
    if (record === null ? next !== null : !same(next, record[d.key])) out[d.key] = next;
  }
  return out;
}
