/**
 * exceljs, loaded on first use: it takes a good part of a second to load, and most commands and
 * requests never touch a workbook.
 */
import type { Readable } from "node:stream";
import { PassThrough } from "node:stream";
import type ExcelJSModule from "exceljs";

type ExcelJS = typeof ExcelJSModule;

type ReaderInternals = {
  _parseWorksheet(iterator: AsyncIterable<Buffer | string>, sheetNo: string): unknown;
  _parseSharedStrings(entry: Readable): unknown;
};

/** Decodes UTF-8 across chunk boundaries. */
async function* utf8(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  for await (const chunk of chunks)
    yield typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
  const rest = decoder.decode();
  if (rest !== "") yield rest;
}

function readerClass(ExcelJS: ExcelJS) {
  const Base = ExcelJS.stream.xlsx.WorkbookReader;
  const base = Base.prototype as unknown as ReaderInternals;
  /**
   * exceljs' streaming reader decodes every zip chunk on its own (utils/parse-sax.js), so a
   * Chinese character split between two chunks turns into "��" — in shared strings and in
   * inline strings alike. Handing it text already decoded across chunks avoids that.
   */
  return class WorkbookReader extends Base {
    _parseWorksheet(iterator: AsyncIterable<Buffer | string>, sheetNo: string): unknown {
      return base._parseWorksheet.call(this, utf8(iterator), sheetNo);
    }

    _parseSharedStrings(entry: Readable): unknown {
      const text = entry.pipe(new PassThrough());
      text.setEncoding("utf8");
      return base._parseSharedStrings.call(this, text);
    }
  };
}

let loaded: Promise<{ ExcelJS: ExcelJS; WorkbookReader: ReturnType<typeof readerClass> }> | null =
  null;

/** exceljs and a streaming WorkbookReader that keeps multi-byte characters whole. */
export function excel() {
  loaded ??= import("exceljs").then((m) => {
    const ExcelJS = (m as unknown as { default: ExcelJS }).default;
    return { ExcelJS, WorkbookReader: readerClass(ExcelJS) };
  });
  return loaded;
}
