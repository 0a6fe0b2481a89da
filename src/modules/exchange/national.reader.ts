/**
 * Reads a national-format file (xlsx through exceljs' streaming reader, CSV through csv-parse)
 * row by row, finds the header row below any title rows, and parses cells by what the column
 * means — never by the cell's type: an ID number stored as a number is an error, not a guess.
 */
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { type Readable, Transform } from "node:stream";
import { invalid } from "../../core/errors.ts";
import { isRealDate, normalizeIdNumber } from "../../core/id-number.ts";
import { type Fen, parseYuan, toHalfWidth } from "../../core/money.ts";
import { codeFor, type Vocab } from "../../core/vocab.ts";
import { excel } from "./excel.ts";
import { type BoundColumn, bindHeaders, isHeaderRow } from "./national.columns.ts";
import { openFastXlsx, own } from "./national.xlsx.ts";

/** A cell as read: text, a number, a boolean, a date (Excel date cells), or empty. */
export type Cell = string | number | boolean | Date | null;

export interface SheetRow {
  /** The row number as Excel shows it (1-based, title rows counted); for CSV the record number. */
  number: number;
  cells: Cell[];
}

export type FileFormat = "xlsx" | "csv";

/** A file opened with its header found: the rows below it, unbound to any column table. */
export type OpenedTable = Omit<OpenedSheet, "columns">;

/** How a header row is recognised, for files other than the national export. */
export interface HeaderRule {
  isHeader(texts: readonly string[]): boolean;
  /** The message when no header row appears in the first `limit` rows. */
  notFound(limit: number): string;
}

export interface OpenedSheet {
  format: FileFormat;
  /** Row number of the header row. */
  headerRow: number;
  /** Rows above the header (titles), as read. */
  titleRows: SheetRow[];
  headers: string[];
  columns: BoundColumn[];
  /** Data rows below the header; blank rows are skipped. */
  rows: AsyncGenerator<SheetRow>;
  /**
   * The same rows as they were read, many at a time: a loop over these costs one await per
   * chunk instead of one per row (a few µs per row over a large file). Read one or the other.
   */
  chunks: AsyncGenerator<SheetRow[]>;
  /** Stops reading and releases the file (for callers that stop early). */
  close(): void;
}

export interface ReadOptions {
  /** Called with bytes read so far and the file size, as the file is consumed. */
  onBytes?: (read: number, total: number) => void;
  /** Rows to look through for the header (default 50). */
  headerSearchRows?: number;
  /**
   * xlsx reader: `fast` (national.xlsx.ts; falls back to exceljs for what it does not read) or
   * `exceljs` (default: `fast`, or FANGPIN_XLSX_READER).
   */
  xlsxReader?: "fast" | "exceljs";
}

/** Title rows allowed above the header before the file is declared headerless. */
const HEADER_SEARCH_ROWS = 50;

/** Detects the format from the first bytes: a zip (xlsx) starts with PK\x03\x04. */
export async function detectFormat(path: string): Promise<FileFormat> {
  const handle = await open(path, "r").catch((e: unknown) => {
    throw invalid(`无法打开文件：${e instanceof Error ? e.message : String(e)}`, {
      code: "file_unreadable",
    });
  });
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead === 4 && buffer.readUInt32LE(0) === 0x04034b50) return "xlsx";
    if (bytesRead >= 2 && buffer[0] === 0xd0 && buffer[1] === 0xcf) {
      throw invalid("这是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再导入", {
        code: "file_format_xls",
      });
    }
    return "csv";
  } finally {
    await handle.close();
  }
}

/** The text of a cell as a person reads it (dates as YYYY-MM-DD). */
export function cellText(cell: Cell): string {
  if (cell === null) return "";
  if (typeof cell === "string") return cell.trim();
  if (typeof cell === "number") return numberText(cell);
  if (typeof cell === "boolean") return cell ? "TRUE" : "FALSE";
  return isoDate(cell);
}

function numberText(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e21 ? n.toFixed(0) : String(n);
}

function isoDate(d: Date): string {
  if (Number.isNaN(d.getTime())) return "";
  // exceljs builds dates from serials in UTC; a time of day just before midnight rounds up.
  return new Date(d.getTime() + 1000).toISOString().slice(0, 10);
}

/** An exceljs cell value reduced to a Cell (rich text joined, formulas by their result). */
export function toCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "string":
      return value === "" ? null : value;
    case "number":
      return Number.isFinite(value) ? value : null;
    case "boolean":
      return value;
    case "object": {
      if (value instanceof Date) return value;
      const v = value as {
        richText?: { text: string }[];
        result?: unknown;
        formula?: string;
        sharedFormula?: string;
        text?: unknown;
        error?: string;
      };
      if (v.richText) return v.richText.map((r) => r.text).join("") || null;
      if ("result" in v || v.formula !== undefined || v.sharedFormula !== undefined)
        return toCell(v.result);
      if (v.text !== undefined) return toCell(v.text);
      if (v.error !== undefined) return v.error;
      return null;
    }
    default:
      return null;
  }
}

const isBlank = (cells: readonly Cell[]) =>
  cells.every((c) => c === null || (typeof c === "string" && c.trim() === ""));

/**
 * Opens a national-format file, finds its header row (the first row with both 证件号码 and 户编号
 * among the first 50) and returns the data rows as a stream. Only the first worksheet of a workbook is read.
 * Throws invalid_data `file_unreadable` for a file that is not a workbook or CSV, and
 * `header_not_found` when no header row appears.
 */
export async function openSheet(path: string, options: ReadOptions = {}): Promise<OpenedSheet> {
  const table = await openTable(path, NATIONAL_HEADER, options);
  return { ...table, columns: bindHeaders(table.headers) };
}

const NATIONAL_HEADER: HeaderRule = {
  isHeader: isHeaderRow,
  notFound: (limit) =>
    `在文件前 ${limit} 行中没有找到表头行（应同时含有“证件号码”和“户编号”两列）。请确认这是国家监测系统导出的监测对象信息表`,
};

/**
 * Opens a CSV or xlsx file and finds its header row with `header`; as `openSheet`, the caller
 * must `close()` a table it stops reading early (an xlsx reader is never abandoned).
 */
export async function openTable(
  path: string,
  header: HeaderRule,
  options: ReadOptions = {},
): Promise<OpenedTable> {
  const format = await detectFormat(path);
  const opened =
    format === "xlsx" && (options.xlsxReader ?? defaultXlsxReader()) === "fast"
      ? await openFastXlsx(path, options.onBytes).catch(() => null)
      : null;
  const { source, close } = opened
    ? {
        source: opened.chunks,
        close: () => {
          opened.close();
          void opened.chunks.return(undefined).catch(() => {});
        },
      }
    : await openStream(path, format, options);
  const limit = options.headerSearchRows ?? HEADER_SEARCH_ROWS;
  const titleRows: SheetRow[] = [];
  try {
    let chunk: SheetRow[] = [];
    let at = 0;
    for (;;) {
      if (at >= chunk.length) {
        const next = await source.next();
        if (next.done) break;
        chunk = next.value;
        at = 0;
        continue;
      }
      const row = chunk[at++]!;
      if (row.number > limit) break;
      const texts = row.cells.map(cellText);
      if (header.isHeader(texts)) {
        const chunks = dataChunks(chunk.slice(at), source);
        return {
          format,
          headerRow: row.number,
          titleRows,
          headers: texts,
          chunks,
          rows: eachRow(chunks),
          close,
        };
      }
      titleRows.push(row);
    }
  } catch (e) {
    close();
    throw invalid(
      format === "xlsx"
        ? `无法读取 Excel 文件：${e instanceof Error ? e.message : String(e)}。请确认文件是 .xlsx 格式且未损坏`
        : `无法读取 CSV 文件：${e instanceof Error ? e.message : String(e)}`,
      { code: "file_unreadable", cause: e },
    );
  }
  close();
  // A file with nothing in it (0 bytes, or only empty rows) is most often the wrong file picked.
  if (titleRows.every((r) => r.cells.every((c) => cellText(c).trim() === "")))
    throw invalid("文件中没有任何内容（空文件），请确认选择的文件是否正确", {
      code: "header_not_found",
    });
  throw invalid(header.notFound(limit), { code: "header_not_found" });
}

/** The file through exceljs' streaming reader (xlsx) or csv-parse. */
async function openStream(
  path: string,
  format: FileFormat,
  options: ReadOptions,
): Promise<{ source: AsyncGenerator<SheetRow[]>; close: () => void }> {
  const { size } = await stat(path);
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  // Bytes are counted in a pass-through stage: a "data" listener on the file itself would start
  // it flowing before the reader is attached (exceljs loads lazily), and chunks would be lost.
  let read = 0;
  const input = file.pipe(
    new Transform({
      highWaterMark: 256 * 1024,
      transform(chunk: Buffer, _enc, done) {
        read += chunk.length;
        options.onBytes?.(read, size);
        done(null, chunk);
      },
    }),
  );
  file.on("error", (e) => input.destroy(e));
  const source = format === "xlsx" ? xlsxRows(input) : csvChunks(input);
  const close = () => {
    file.destroy();
    input.destroy();
    void source.return(undefined).catch(() => {});
  };
  return { source, close };
}

/** `fast` (national.xlsx.ts) unless FANGPIN_XLSX_READER=exceljs. */
const defaultXlsxReader = (): "fast" | "exceljs" =>
  process.env.FANGPIN_XLSX_READER === "exceljs" ? "exceljs" : "fast";

/** The data rows from `first` (the rest of the header's chunk) on, blank rows left out. */
async function* dataChunks(
  first: SheetRow[],
  source: AsyncGenerator<SheetRow[]>,
): AsyncGenerator<SheetRow[]> {
  const kept = (rows: SheetRow[]) =>
    rows.some((r) => isBlank(r.cells)) ? rows.filter((r) => !isBlank(r.cells)) : rows;
  const rows = kept(first);
  if (rows.length > 0) yield rows;
  for await (const chunk of source) {
    const rows = kept(chunk);
    if (rows.length > 0) yield rows;
  }
}

async function* eachRow(chunks: AsyncGenerator<SheetRow[]>): AsyncGenerator<SheetRow> {
  for await (const chunk of chunks) yield* chunk;
}

/**
 * Rows of the first worksheet by exceljs, for the workbooks the fast reader (national.xlsx.ts)
 * does not read (zip64, encryption …) or when FANGPIN_XLSX_READER=exceljs. The workbook is read
 * whole: exceljs' streaming reader (WorkbookReader) now and then stops at a worksheet that comes
 * before the shared strings, under load, as if the zip had ended there ("Cannot read properties
 * of undefined (reading 'sheets')"), so it is not used.
 */
async function* xlsxRows(input: Readable): AsyncGenerator<SheetRow[]> {
  const { ExcelJS } = await excel();
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.read(input);
  } finally {
    input.destroy();
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) return;
  const rows: SheetRow[] = [];
  sheet.eachRow((row, number) => {
    const values = row.values as unknown[];
    const cells: Cell[] = new Array(Math.max(0, values.length - 1));
    for (let i = 1; i < values.length; i++) cells[i - 1] = toCell(values[i]);
    rows.push({ number, cells });
  });
  if (rows.length > 0) yield rows;
}

/**
 * Decodes UTF-8 (with or without BOM) or, when the first bytes are not UTF-8, GB18030 — what
 * Excel on a Chinese Windows writes when it saves CSV.
 */
function decoder(): Transform {
  let decode: TextDecoder | null = null;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const choose = (sample: Buffer) => {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(sample, { stream: true });
      return new TextDecoder("utf-8", { ignoreBOM: false });
    } catch {
      return new TextDecoder("gb18030");
    }
  };
  return new Transform({
    readableObjectMode: false,
    transform(chunk: Buffer, _enc, done) {
      if (!decode) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes < 64 * 1024) return done();
        const sample = Buffer.concat(pending);
        pending = [];
        decode = choose(sample);
        return done(null, decode.decode(sample, { stream: true }));
      }
      done(null, decode.decode(chunk, { stream: true }));
    },
    flush(done) {
      if (!decode) {
        const sample = Buffer.concat(pending);
        decode = choose(sample);
        const text = decode.decode(sample, { stream: true });
        return done(null, text + decode.decode());
      }
      done(null, decode.decode());
    },
  });
}

/**
 * CSV records (RFC 4180 as Excel writes it: `,` between fields, `"` around fields that need it
 * and `""` inside them, lines ended by CRLF, LF or CR), read the way csv-parse read them here
 * before (`relax_quotes`, `relax_column_count`, empty lines kept as one empty field) at several
 * times its speed. A quote that does not close, or is followed by anything but a separator, is
 * an error.
 */
async function* csvChunks(input: Readable): AsyncGenerator<SheetRow[]> {
  let number = 0;
  let rest = "";
  const toRow = (record: string[]): SheetRow => {
    number++;
    const cells: Cell[] = new Array(record.length);
    for (let i = 0; i < record.length; i++) {
      const v = record[i]!;
      cells[i] = v === "" ? null : v;
    }
    return { number, cells };
  };
  const text$ = input.pipe(decoder());
  text$.setEncoding("utf8");
  for await (const chunk of text$ as AsyncIterable<string>) {
    const text = rest + chunk;
    const { records, consumed } = csvRecords(text, false);
    if (records.length > 0) yield records.map(toRow);
    rest = text.slice(consumed);
  }
  if (rest !== "") yield csvRecords(rest, true).records.map(toRow);
}

const COMMA = 44;
const QUOTE = 34;
const CR = 13;
const LF = 10;

/**
 * The complete records at the start of `text`, and how far they reach. Unless `final`, a record
 * that might continue in the next chunk is left for it.
 */
export function csvRecords(
  text: string,
  final: boolean,
): { records: string[][]; consumed: number } {
  const records: string[][] = [];
  const n = text.length;
  let i = 0;
  let consumed = 0;
  scan: while (i < n) {
    const record: string[] = [];
    for (;;) {
      if (i < n && text.charCodeAt(i) === QUOTE) {
        let j = i + 1;
        let value = "";
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0) {
            if (final) throw new Error(`第 ${records.length + 1} 条记录的引号没有闭合`);
            break scan;
          }
          if (q + 1 >= n && !final) break scan;
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += text.slice(j, q + 1);
            j = q + 2;
            continue;
          }
          value += text.slice(j, q);
          i = q + 1;
          break;
        }
        record.push(own(value));
        if (i >= n) break;
        const c = text.charCodeAt(i);
        if (c === COMMA) {
          i++;
          continue;
        }
        if (c === CR || c === LF) break;
        throw new Error(`第 ${records.length + 1} 条记录的引号后面应为逗号或换行`);
      }
      let j = i;
      let c = 0;
      while (j < n) {
        c = text.charCodeAt(j);
        if (c === COMMA || c === CR || c === LF) break;
        j++;
      }
      if (j >= n && !final) break scan;
      record.push(own(text.slice(i, j)));
      i = j;
      if (i < n && c === COMMA) {
        i++;
        continue;
      }
      break;
    }
    if (i < n) {
      if (text.charCodeAt(i) === CR) {
        if (i + 1 >= n && !final) break;
        i += text.charCodeAt(i + 1) === LF ? 2 : 1;
      } else i++;
    }
    records.push(record);
    consumed = i;
  }
  return { records, consumed: final ? n : consumed };
}

// ─── cells by meaning ──────────────────────────────────────────────────────────

/** Plain yuan with at most two decimals ("7500.5", "-20"): the common case, read directly. */
const PLAIN_YUAN = /^(-?)(\d{1,13})(?:\.(\d{1,2}))?$/;

/** A cell that cannot be read as its column requires. */
export class CellProblem {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}

const quote = (cell: Cell) => `“${cellText(cell)}”`;

/** Text, trimmed; numbers as their digits; empty as null. */
export function parseText(
  cell: Cell,
  label: string,
  maxLength?: number,
): string | null | CellProblem {
  const text = cellText(cell);
  if (text === "") return null;
  if (maxLength !== undefined && text.length > maxLength)
    return new CellProblem(
      "text_too_long",
      `${label}最多 ${maxLength} 个字，现有 ${text.length} 个字，请删减`,
    );
  return text;
}

/**
 * An ID number: only text is accepted. A number cell has lost its last digits (Excel keeps 15
 * significant digits) or its leading zeros, so the row is refused rather than guessed.
 */
export function parseIdNumber(cell: Cell, label: string): string | null | CellProblem {
  if (typeof cell === "number") {
    const digits = numberText(cell);
    return Math.abs(cell) >= 1e15 || digits.includes("e")
      ? new CellProblem(
          "id_number_scientific",
          `${label}被 Excel 存成了数字（显示为 ${cell.toExponential(5).toUpperCase()}），末几位已丢失。请把该列设为“文本”格式后重新录入完整号码`,
        )
      : new CellProblem(
          "id_number_not_text",
          `${label}存成了数字 ${digits}，不是文本。请把该列设为“文本”格式后重新录入完整号码`,
        );
  }
  const text = cellText(cell);
  return text === "" ? null : normalizeIdNumber(text);
}

/** A household number: text, or a number small enough to hold every digit. */
export function parseHouseholdNumber(cell: Cell, label: string): string | null | CellProblem {
  if (typeof cell === "number" && (!Number.isSafeInteger(cell) || cell < 0))
    return new CellProblem(
      "household_number_not_text",
      `${label}被 Excel 存成了数字，末几位已丢失。请把该列设为“文本”格式后重新录入`,
    );
  const text = toHalfWidth(cellText(cell)).replace(/\s+/g, "");
  if (text.length > 40) return new CellProblem("text_too_long", `${label}最多 40 个字符，请核对`);
  return text === "" ? null : text;
}

/** 是 / 否; empty is unknown. */
export function parseFlag(cell: Cell, label: string): boolean | null | CellProblem {
  if (typeof cell === "boolean") return cell;
  const text = cellText(cell);
  if (text === "") return null;
  if (text === "是") return true;
  if (text === "否") return false;
  return new CellProblem("flag_invalid", `${label}只能填“是”或“否”（或留空），现为${quote(cell)}`);
}

/** Yuan (text or number) to integer fen. */
export function parseMoney(cell: Cell, label: string): Fen | null | CellProblem {
  if (cell instanceof Date || typeof cell === "boolean")
    return new CellProblem("money_invalid", `${label}应为金额（元），现为${quote(cell)}`);
  if (typeof cell === "string") {
    const m = PLAIN_YUAN.exec(cell);
    if (m) {
      const fen = Number(m[2]) * 100 + Number((m[3] ?? "").padEnd(2, "0"));
      return m[1] === "-" ? -fen : fen;
    }
  }
  try {
    return parseYuan(typeof cell === "number" ? cell : cellText(cell));
  } catch {
    return new CellProblem(
      "money_invalid",
      `${label}应为金额（元，可带两位小数），现为${quote(cell)}`,
    );
  }
}

const NUMBER = /^[+]?\d+(\.\d+)?$/;

/** A non-negative number (areas, distances); `integer` for counts such as months. */
export function parseNumber(
  cell: Cell,
  label: string,
  integer = false,
): number | null | CellProblem {
  let n: number;
  if (typeof cell === "number") n = cell;
  else {
    const text = toHalfWidth(cellText(cell)).replace(/[,\s]/g, "");
    if (text === "") return null;
    if (!NUMBER.test(text)) {
      return new CellProblem(
        "number_invalid",
        /^-\d/.test(text)
          ? `${label}不能为负数，现为${quote(cell)}`
          : `${label}应为数字，现为${quote(cell)}`,
      );
    }
    n = Number(text);
  }
  if (cell instanceof Date || typeof cell === "boolean" || !Number.isFinite(n))
    return new CellProblem("number_invalid", `${label}应为数字，现为${quote(cell)}`);
  if (n < 0) return new CellProblem("number_invalid", `${label}不能为负数，现为${quote(cell)}`);
  if (integer && !Number.isInteger(n))
    return new CellProblem("number_invalid", `${label}应为整数，现为${quote(cell)}`);
  return n;
}

const pad2 = (s: string) => s.padStart(2, "0");

/** A date: an Excel date cell, YYYYMMDD, YYYY-MM-DD (also / . and 年月日). */
export function parseDate(cell: Cell, label: string): string | null | CellProblem {
  if (cell instanceof Date) {
    const iso = isoDate(cell);
    if (iso !== "") return iso;
  }
  const text = toHalfWidth(cellText(cell));
  if (text === "") return null;
  // The common form, YYYY-MM-DD, is already what is stored.
  if (isRealDate(text)) return text >= "1890-01-01" ? text : dateProblem(cell, label);
  let iso: string | null = null;
  let m = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (m) iso = `${m[1]}-${m[2]}-${m[3]}`;
  m = m ?? /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$/.exec(text);
  if (m && !iso) iso = `${m[1]}-${pad2(m[3]!)}-${pad2(m[4]!)}`;
  const zh = /^(\d{4})年(\d{1,2})月(\d{1,2})日?$/.exec(text);
  if (zh) iso = `${zh[1]}-${pad2(zh[2]!)}-${pad2(zh[3]!)}`;
  if (iso && isRealDate(iso) && iso >= "1890-01-01") return iso;
  return dateProblem(cell, label);
}

const dateProblem = (cell: Cell, label: string) =>
  new CellProblem(
    "date_invalid",
    `${label}不是有效日期，现为${quote(cell)}；请填写如 19800315 或 1980-03-15`,
  );

/** A month: YYYYMM, YYYY-MM (also / . 年月) or a date cell; stored YYYY-MM. */
export function parseMonth(cell: Cell, label: string): string | null | CellProblem {
  if (cell instanceof Date) {
    const iso = isoDate(cell);
    if (iso !== "") return iso.slice(0, 7);
  }
  const text = toHalfWidth(cellText(cell));
  if (text === "") return null;
  const m =
    /^(\d{4})(\d{2})$/.exec(text) ??
    /^(\d{4})[-/.](\d{1,2})$/.exec(text) ??
    /^(\d{4})年(\d{1,2})月?$/.exec(text) ??
    /^(\d{4})[-/.]?(\d{2})[-/.]?\d{2}$/.exec(text);
  if (m) {
    const month = Number(m[2]);
    const year = Number(m[1]);
    if (month >= 1 && month <= 12 && year >= 1950 && year <= 2100) return `${m[1]}-${pad2(m[2]!)}`;
  }
  return new CellProblem(
    "month_invalid",
    `${label}不是有效年月，现为${quote(cell)}；请填写如 202103 或 2021-03`,
  );
}

/** A term of a vocabulary (the national Chinese term, an alias, or the code). */
export function parseVocab(cell: Cell, label: string, vocab: Vocab): string | null | CellProblem {
  const text = cellText(cell);
  if (text === "") return null;
  const code = codeFor(vocab, toHalfWidth(text).replace(/\s+/g, ""));
  if (code !== undefined) return code;
  return new CellProblem(
    "vocab_invalid",
    `${label}${quote(cell)}不是系统中的取值，应为 ${vocab.map((v) => v.zh).join("、")} 之一`,
  );
}

/** A term of a plain list (与户主关系). */
export function parseTerm(
  cell: Cell,
  label: string,
  terms: readonly string[],
): string | null | CellProblem {
  const text = toHalfWidth(cellText(cell)).replace(/\s+/g, "");
  if (text === "") return null;
  const i = terms.indexOf(text);
  if (i >= 0) return terms[i]!;
  return new CellProblem(
    "vocab_invalid",
    `${label}${quote(cell)}不是系统中的取值，应为 ${terms.join("、")} 之一`,
  );
}
