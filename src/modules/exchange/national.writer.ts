/**
 * Streaming sheet output for exports and annotated workbooks: xlsx through exceljs'
 * WorkbookWriter (inline strings, rows committed as they are written, so memory stays bounded)
 * or CSV through csv-stringify (UTF-8 with a BOM, which Excel needs to read Chinese text).
 */
import { once } from "node:events";
import type { Writable } from "node:stream";
import { stringify } from "csv-stringify";
import type { FillPattern } from "exceljs";
import { excel } from "./excel.ts";

export type OutValue = string | number | Date | null;

/** How a cell is marked in an annotated workbook. */
export interface CellMark {
  severity: "error" | "warning";
  note: string;
}

export interface RowOptions {
  /** Row number to write at (rows must come in increasing order); the next row by default. */
  number?: number;
  /** 0-based column index → mark. */
  marks?: ReadonlyMap<number, CellMark>;
  bold?: boolean;
  /** Merge the row's first cell across this many columns (titles). */
  mergeAcross?: number;
}

export interface SheetWriter {
  row(values: readonly OutValue[], options?: RowOptions): void;
  /** Resolves when the destination can take more (bounded memory for slow readers). */
  drain(): Promise<void>;
  finish(): Promise<void>;
}

export interface XlsxLayout {
  sheetName: string;
  /** Column widths (characters) and number formats, by 0-based column. */
  columns?: { width?: number; numFmt?: string }[];
  /** Rows frozen at the top (the title rows and the header). */
  frozenRows?: number;
}

const FILLS = {
  error: "FFFFC7CE",
  warning: "FFFFEB9C",
} as const;

function fill(argb: string): FillPattern {
  return { type: "pattern", pattern: "solid", fgColor: { argb } };
}

export async function xlsxWriter(out: Writable, layout: XlsxLayout): Promise<SheetWriter> {
  const { ExcelJS } = await excel();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: true,
    useSharedStrings: false,
  });
  workbook.creator = "fangpin";
  const sheet = workbook.addWorksheet(layout.sheetName, {
    views: layout.frozenRows ? [{ state: "frozen", ySplit: layout.frozenRows }] : [],
  });
  if (layout.columns) {
    sheet.columns = layout.columns.map((c) => ({
      width: c.width ?? 12,
      ...(c.numFmt ? { style: { numFmt: c.numFmt } } : {}),
    }));
  }
  let next = 1;
  return {
    row(values, options = {}) {
      const number = options.number ?? next;
      const row = sheet.getRow(number);
      values.forEach((v, i) => {
        if (v === null || v === "") return;
        row.getCell(i + 1).value = v;
      });
      if (options.bold) row.font = { bold: true };
      if (options.mergeAcross && options.mergeAcross > 1)
        sheet.mergeCells(number, 1, number, options.mergeAcross);
      if (options.marks) {
        for (const [i, mark] of options.marks) {
          const cell = row.getCell(i + 1);
          cell.fill = fill(FILLS[mark.severity]);
          cell.note = mark.note;
        }
      }
      row.commit();
      next = number + 1;
    },
    async drain() {
      if (out.writableNeedDrain) await once(out, "drain");
    },
    async finish() {
      sheet.commit();
      await workbook.commit();
    },
  };
}

export function csvWriter(out: Writable): SheetWriter {
  const csv = stringify({ bom: true, record_delimiter: "\r\n" });
  csv.pipe(out);
  const finished = new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("close", resolve);
    out.on("error", reject);
    csv.on("error", reject);
  });
  let next = 1;
  const text = (v: OutValue) =>
    v === null ? "" : v instanceof Date ? v.toISOString().slice(0, 10) : String(v);
  return {
    row(values, options = {}) {
      // CSV has no row numbers: blank records keep the numbering of the source.
      const number = options.number ?? next;
      while (next < number) {
        csv.write([]);
        next++;
      }
      csv.write(values.map(text));
      next = number + 1;
    },
    async drain() {
      if (csv.writableNeedDrain) await once(csv, "drain");
    },
    async finish() {
      csv.end();
      await finished;
    },
  };
}
