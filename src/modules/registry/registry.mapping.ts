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
