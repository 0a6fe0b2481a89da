/** Between field values (booleans, lists, camelCase) and table rows (0/1, JSON text, snake_case). */
import type { Extra, HouseholdState, MemberState } from "../../core/household.ts";
import {
  type FieldDef,
  HOUSEHOLD_FIELDS,
  type HouseholdValues,
  MEMBER_FIELDS,
  type MemberValues,
} from "../../core/registry-fields.ts";

type Row = Record<string, unknown>;

function toColumn(def: FieldDef, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (def.kind === "flag") return value ? 1 : 0;
  if (def.kind === "enum_list")
    return (value as string[]).length === 0 ? null : JSON.stringify(value);
  return value;
}

function fromColumn(def: FieldDef, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (def.kind === "flag") return Number(value) === 1;
  if (def.kind === "enum_list") return JSON.parse(value as string) as string[];
  if (def.kind === "money" || def.kind === "int" || def.kind === "decimal") return Number(value);
  return value;
}

function valuesToRow(defs: readonly FieldDef[], values: Record<string, unknown>): Row {
  const row: Row = {};
  for (const def of defs) if (def.key in values) row[def.column] = toColumn(def, values[def.key]);
  return row;
}

function rowToValues(defs: readonly FieldDef[], row: Row): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const def of defs) values[def.key] = fromColumn(def, row[def.column]);
  return values;
}

const parseExtra = (text: unknown): Extra | null =>
  typeof text === "string" && text !== "" ? (JSON.parse(text) as Extra) : null;
const stringifyExtra = (extra: Extra | null | undefined) =>
  extra && Object.keys(extra).length > 0 ? JSON.stringify(extra) : null;

/** Columns for the household fields present in `values` (absent keys are left out). */
export const householdColumns = (
  values: Partial<HouseholdValues> & { extra?: Extra | null },
): Row => {
  const row = valuesToRow(HOUSEHOLD_FIELDS, values);
  if ("extra" in values) row.extra = stringifyExtra(values.extra);
  return row;
};

export const memberColumns = (values: Partial<MemberValues> & { extra?: Extra | null }): Row => {
  const row = valuesToRow(MEMBER_FIELDS, values);
  if ("extra" in values) row.extra = stringifyExtra(values.extra);
  return row;
};

export function householdFromRow(row: Row): HouseholdState["household"] {
  return {
    ...(rowToValues(HOUSEHOLD_FIELDS, row) as HouseholdValues),
    extra: parseExtra(row.extra),
  };
}

export function memberFromRow(row: Row): MemberState {
  return {
    ...(rowToValues(MEMBER_FIELDS, row) as MemberValues),
    id: Number(row.id),
    position: Number(row.position),
    status: row.status as MemberState["status"],
    removedReason: (row.removed_reason as string | null) ?? null,
    removedOn: (row.removed_on as string | null) ?? null,
    extra: parseExtra(row.extra),
  };
}

/** The stored columns of a member state (status and removal included). */
export function memberStateColumns(m: MemberState): Row {
  return {
    ...memberColumns(m),
    position: m.position,
    status: m.status,
    removed_reason: m.removedReason,
    removed_on: m.removedOn,
  };
}

// ─── inserts (bulk) ────────────────────────────────────────────────────────────

/** Columns of a new household row, in the order `householdInsertValues` gives values. */
export const HOUSEHOLD_INSERT_COLUMNS: readonly string[] = [
  ...HOUSEHOLD_FIELDS.map((d) => d.column),
  "extra",
  "head_name",
  "size",
  "version",
  "created_at",
  "updated_at",
];

/** Values of a new household row (a full state), straight from the state without a row object. */
export function householdInsertValues(
  h: HouseholdState["household"],
  headName: string | null,
  size: number,
  at: string,
): unknown[] {
  const out = new Array(HOUSEHOLD_INSERT_COLUMNS.length);
  const values = h as unknown as Record<string, unknown>;
  let i = 0;
  for (const def of HOUSEHOLD_FIELDS) out[i++] = toColumn(def, values[def.key]);
  out[i++] = stringifyExtra(h.extra);
  out[i++] = headName;
  out[i++] = size;
  out[i++] = 1;
  out[i++] = at;
  out[i] = at;
  return out;
}

/** Columns of a new member row after household_id, in the order of `memberInsertValues`. */
export const MEMBER_INSERT_COLUMNS: readonly string[] = [
  ...MEMBER_FIELDS.map((d) => d.column),
  "extra",
  "position",
  "status",
  "removed_reason",
  "removed_on",
];

/** Values of a new member row: household_id first, then `MEMBER_INSERT_COLUMNS`. */
export function memberInsertValues(householdId: number, m: MemberState): unknown[] {
  const out = new Array(MEMBER_INSERT_COLUMNS.length + 1);
  const values = m as unknown as Record<string, unknown>;
  out[0] = householdId;
  let i = 1;
  for (const def of MEMBER_FIELDS) out[i++] = toColumn(def, values[def.key]);
  out[i++] = stringifyExtra(m.extra);
  out[i++] = m.position;
  out[i++] = m.status;
  out[i++] = m.removedReason;
  out[i] = m.removedOn;
  return out;
}
