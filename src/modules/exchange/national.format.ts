/**
 * Values as the national files write them: money in yuan (two decimals), 是/否, months YYYYMM,
 * vocabulary codes as their Chinese terms, region names, extra attributes back in their columns.
 * Shared by exports and by the benchmark that writes files without a database.
 */
import type { Writable } from "node:stream";
import { formatYuan } from "../../core/money.ts";
import type { FieldDef } from "../../core/registry-fields.ts";
import { labelFor } from "../../core/vocab.ts";
import { columnFor, extraKey, NATIONAL_COLUMNS, type NationalColumn } from "./national.columns.ts";
import type { FileFormat } from "./national.reader.ts";
import { csvWriter, type OutValue, type SheetWriter, xlsxWriter } from "./national.writer.ts";

export interface PlaceNames {
  county: string;
  town: string;
  village: string;
}

/** The national columns, then the stored extra attributes the national columns lack (sorted). */
export function exportColumns(extra: { household: string[]; member: string[] }): NationalColumn[] {
  const known = new Set(NATIONAL_COLUMNS.map((c) => extraKey(c.header)));
  const more = [...new Set([...extra.household, ...extra.member])]
    .filter((k) => !known.has(k) && !columnFor(k))
    .sort();
  return [
    ...NATIONAL_COLUMNS,
    ...more.map(
      (k): NationalColumn => ({ header: k, target: { kind: "passthrough" }, aliases: [] }),
    ),
  ];
}

/** One field value as a cell: numbers stay numbers in xlsx, text in CSV. */
export function formatted(def: FieldDef, value: unknown, format: FileFormat): OutValue {
  if (value === null || value === undefined) return null;
  switch (def.kind) {
    case "flag":
      return value ? "是" : "否";
    case "money":
      return format === "xlsx" ? (value as number) / 100 : formatYuan(value as number);
    case "int":
    case "decimal":
      return format === "xlsx" ? (value as number) : String(value);
    case "month":
      return (value as string).replace("-", "");
    case "enum":
      return labelFor(def.vocab!, value as string);
    default:
      return value as string;
  }
}

type Values = Record<string, unknown> & { extra?: Record<string, unknown> | null };

/** The cells of one member's row: household values repeated, then the member's own. */
export function nationalRow(
  columns: readonly NationalColumn[],
  h: Values,
  m: Values,
  where: PlaceNames,
  format: FileFormat,
): OutValue[] {
  return columns.map((c) => cellOf(c, h, m, where, format));
}

function cellOf(
  c: NationalColumn,
  h: Values,
  m: Values,
  where: PlaceNames,
  format: FileFormat,
): OutValue {
  const t = c.target;
  switch (t.kind) {
    case "region":
      return where[t.level];
    case "household": {
      if (t.slot !== undefined) {
        const code = (h.riskFactors as string[] | null | undefined)?.[t.slot];
        return code ? labelFor(t.field.vocab!, code) : null;
      }
      return formatted(t.field, h[t.field.key], format);
    }
    case "member":
      return formatted(t.field, m[t.field.key], format);
    case "passthrough": {
      const key = extraKey(c.header);
      const v = m.extra?.[key] ?? h.extra?.[key];
      return v === undefined || v === null ? null : String(v);
    }
  }
}

/** A writer with the national file's two title rows and header already written. */
export async function nationalWriter(
  format: FileFormat,
  out: Writable,
  columns: readonly NationalColumn[],
  titles: readonly [string, string],
): Promise<SheetWriter> {
  const writer =
    format === "xlsx"
      ? await xlsxWriter(out, {
          sheetName: titles[0],
          frozenRows: 3,
          columns: columns.map((c) => ({
            width: Math.min(30, Math.max(8, c.header.length * 2 + 2)),
            ...(c.target.kind === "household" && c.target.field.kind === "money"
              ? { numFmt: "0.00" }
              : {}),
          })),
        })
      : csvWriter(out);
  writer.row([titles[0]], { bold: true, mergeAcross: columns.length });
  writer.row([titles[1]], { mergeAcross: columns.length });
  writer.row(
    columns.map((c) => c.header),
    { bold: true },
  );
  return writer;
}
