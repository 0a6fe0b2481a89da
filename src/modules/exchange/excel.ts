/**
 * exceljs, loaded on first use: it takes a good part of a second to load, and most commands and
 * requests never touch a workbook.
 */
import type ExcelJSModule from "exceljs";

type ExcelJS = typeof ExcelJSModule;

let loaded: Promise<{ ExcelJS: ExcelJS }> | null = null;

/** exceljs, loaded once. */
export function excel() {
  loaded ??= import("exceljs").then((m) => ({
    ExcelJS: (m as unknown as { default: ExcelJS }).default,
  }));
  return loaded;
}
