/**
 * A fast streaming reader for the first worksheet of an xlsx file, giving the same cells as
 * exceljs' streaming reader reduced by `toCell` (national.reader.ts), several times faster: the
 * zip is read by its central directory (so shared strings and styles are read first, whatever
 * their order in the file), the worksheet is inflated as a stream and scanned row by row as
 * text, without a SAX event or an object per XML node.
 *
 * It reads what spreadsheet programs write: shared and inline strings (rich text joined),
 * numbers, booleans, errors, formulas by their cached result, dates by their cell's number
 * format (exceljs' rules, its built-in formats, the 1904 date system). Anything else — zip64,
 * encryption, a compression other than deflate, no worksheet — answers `null`, and the caller
 * falls back to exceljs.
 */
import { createReadStream } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { createRequire } from "node:module";
import { createInflateRaw, inflateRawSync } from "node:zlib";
import type { Cell, SheetRow } from "./national.reader.ts";

const require = createRequire(import.meta.url);

interface Entry {
  name: string;
  method: number;
  compressedSize: number;
  offset: number;
}

let exceljsUtils: {
  isDateFmt(fmt: string | undefined): boolean;
  excelToDate(v: number, date1904: boolean): Date;
  xmlDecode(text: string): string;
} | null = null;
let defaultFormat: ((id: number) => string | undefined) | null = null;

function exceljsRules() {
  exceljsUtils ??= require("exceljs/lib/utils/utils.js");
  defaultFormat ??= (
    require("exceljs/lib/xlsx/xform/style/numfmt-xform.js") as {
      getDefaultFmtCode(id: number): string | undefined;
    }
  ).getDefaultFmtCode;
  return { utils: exceljsUtils!, defaultFormat: defaultFormat! };
}

/** The zip's entries, from its central directory; null when the file is not a plain zip. */
async function entries(handle: FileHandle, size: number): Promise<Map<string, Entry> | null> {
  const tail = Math.min(size, 65_557);
  const buf = Buffer.alloc(tail);
  await handle.read(buf, 0, tail, size - tail);
  let eocd = -1;
  for (let i = tail - 22; i >= 0; i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return null;
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff || cdOffset + cdSize > size) return null;
  const cd = Buffer.alloc(cdSize);
  await handle.read(cd, 0, cdSize, cdOffset);
  const out = new Map<string, Entry>();
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) return null;
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const compressedSize = cd.readUInt32LE(p + 20);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    const offset = cd.readUInt32LE(p + 42);
    const name = cd.toString("utf8", p + 46, p + 46 + nameLength);
    if (flags & 1) return null; // encrypted
    if (compressedSize === 0xffffffff || offset === 0xffffffff) return null; // zip64
    if (!out.has(name)) out.set(name, { name, method, compressedSize, offset });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}

/** Where an entry's data starts (after its local header). */
async function dataStart(handle: FileHandle, e: Entry): Promise<number> {
  const h = Buffer.alloc(30);
  await handle.read(h, 0, 30, e.offset);
  if (h.readUInt32LE(0) !== 0x04034b50) throw new Error(`zip entry ${e.name} has no local header`);
  return e.offset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
}

async function readEntry(handle: FileHandle, e: Entry): Promise<string> {
  const start = await dataStart(handle, e);
  const data = Buffer.alloc(e.compressedSize);
  await handle.read(data, 0, e.compressedSize, start);
  return (e.method === 0 ? data : inflateRawSync(data)).toString("utf8");
}

const ENTITY = /&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g;

/** XML text as a parser gives it (entities and character references decoded). */
function xmlText(s: string): string {
  if (s.indexOf("&") < 0) return s;
  return s.replace(ENTITY, (_, e: string) => {
    switch (e) {
      case "amp":
        return "&";
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "quot":
        return '"';
      case "apos":
        return "'";
      default:
        return String.fromCodePoint(
          e[1] === "x" ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10),
        );
    }
  });
}

const ATTRIBUTE = /([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

function attributes(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  ATTRIBUTE.lastIndex = 0;
  for (let m = ATTRIBUTE.exec(s); m; m = ATTRIBUTE.exec(s)) out[m[1]!] = xmlText(m[2] ?? m[3]!);
  return out;
}

/** Whether the character after a tag name ends the name (`<c ` but not `<col`). */
function endsName(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c === 32 || c === 62 || c === 47 || c === 9 || c === 10 || c === 13;
}

/** Where `nextElement` found an element: its attribute text and content, and where to go on. */
interface Found {
  attrsStart: number;
  attrsEnd: number;
  bodyStart: number;
  bodyEnd: number;
  next: number;
}

/**
 * The first element `<name …>…</name>` or `<name …/>` at or after `from` in a piece of XML, or
 * null when there is none (or it is cut off).
 */
function nextElement(xml: string, name: string, from: number): Found | null {
  const open = `<${name}`;
  let i = xml.indexOf(open, from);
  while (i >= 0 && !endsName(xml, i + open.length)) i = xml.indexOf(open, i + open.length);
  if (i < 0) return null;
  const gt = xml.indexOf(">", i);
  if (gt < 0) return null;
  if (xml.charCodeAt(gt - 1) === 47)
    return { attrsStart: i + open.length, attrsEnd: gt - 1, bodyStart: gt, bodyEnd: gt, next: gt };
  const close = `</${name}>`;
  const end = xml.indexOf(close, gt);
  if (end < 0) return null;
  return {
    attrsStart: i + open.length,
    attrsEnd: gt,
    bodyStart: gt + 1,
    bodyEnd: end,
    next: end + close.length,
  };
}

/**
 * Elements `<name …>…</name>` or `<name …/>` in a piece of XML, in order: the opening tag's
 * attribute text and the content.
 */
function* elements(xml: string, name: string): Generator<{ attrs: string; body: string }> {
  for (let f = nextElement(xml, name, 0); f; f = nextElement(xml, name, f.next))
    yield { attrs: xml.slice(f.attrsStart, f.attrsEnd), body: xml.slice(f.bodyStart, f.bodyEnd) };
}

/** The text of the last `<t>` in a piece of XML ("" for `<t/>`), or null when there is none. */
function lastT(xml: string): string | null {
  // Without the generator of `elements`: this runs for every inline-string cell.
  let last: Found | null = null;
  for (let f = nextElement(xml, "t", 0); f; f = nextElement(xml, "t", f.next)) last = f;
  return last ? xml.slice(last.bodyStart, last.bodyEnd) : null;
}

/**
 * A string item's text (not yet decoded): its `<t>`, or its rich text runs joined. Phonetic
 * guides (`<rPh>`, furigana and the like, each with a `<t>` of its own) are not part of the
 * text, as exceljs reads it.
 */
function itemText(xml: string): string {
  const body = xml.indexOf("<rPh") < 0 ? xml : xml.replace(PHONETIC, "");
  if (body.indexOf("<r>") < 0 && body.indexOf("<r ") < 0) return lastT(body) ?? "";
  let text = "";
  for (const r of elements(body, "r")) text += lastT(r.body) ?? "";
  return text;
}

const PHONETIC = /<rPh[\s>][\s\S]*?<\/rPh>/g;

/** Shared strings as cells: plain text, or rich text runs joined (as exceljs + toCell). */
function sharedStrings(xml: string): Cell[] {
  const out: Cell[] = [];
  for (const si of elements(xml, "si")) {
    const text = xmlText(itemText(si.body));
    out.push(text === "" ? null : text);
  }
  return out;
}

/** For each cell style index, whether its number format is a date format (exceljs' rule). */
function dateStyles(xml: string | null): boolean[] {
  if (!xml) return [];
  const { utils, defaultFormat } = exceljsRules();
  const formats = new Map<number, string>();
  for (const f of elements(xml, "numFmt")) {
    const a = attributes(f.attrs);
    formats.set(Number(a.numFmtId), a.formatCode ?? "");
  }
  const xfs = elements(xml, "cellXfs").next();
  if (xfs.done) return [];
  const out: boolean[] = [];
  for (const xf of elements(xfs.value.body, "xf")) {
    const id = Number(attributes(xf.attrs).numFmtId ?? 0);
    out.push(id ? utils.isDateFmt(formats.get(id) ?? defaultFormat(id)) : false);
  }
  return out;
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/** What `cellAttributes` found: the cell's column (0 without `r`), style and type. */
const found = { column: 0, style: 0, type: undefined as string | undefined };

/**
 * Reads the `r`, `s` and `t` attributes of the `<c …>` tag whose attributes are
 * `s[from..to)` (as `(?:^|\s)(r|s|t)\s*=\s*"([^"]*)"` would) into `found`, without a regex match
 * or a slice per attribute: this runs for every cell.
 */
function cellAttributes(s: string, from: number, to: number): void {
  found.column = 0;
  found.style = 0;
  found.type = undefined;
  let i = from;
  while (i < to) {
    const name = s.charCodeAt(i);
    // r, s or t at the start or after a space, then optional spaces, =, spaces and a quote.
    if (
      (name === 114 || name === 115 || name === 116) &&
      (i === from || isSpace(s.charCodeAt(i - 1)))
    ) {
      let j = i + 1;
      while (j < to && isSpace(s.charCodeAt(j))) j++;
      if (j < to && s.charCodeAt(j) === 61) {
        j++;
        while (j < to && isSpace(s.charCodeAt(j))) j++;
        if (j < to && s.charCodeAt(j) === 34) {
          const end = s.indexOf('"', j + 1);
          if (end < 0 || end >= to) return;
          if (name === 114) found.column = columnAt(s, j + 1, end);
          else if (name === 115) found.style = Number.parseInt(s.slice(j + 1, end), 10) || 0;
          else found.type = s.slice(j + 1, end);
          i = end + 1;
          continue;
        }
      }
    }
    i++;
  }
}

/** Column number (1-based) of the cell reference `s[from..to)` ("AB12"); 0 when none. */
function columnAt(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) n = n * 26 + (c - 64);
    else if (c >= 97 && c <= 122) n = n * 26 + (c - 96);
    else break;
  }
  return n;
}

interface SheetContext {
  strings: Cell[];
  dates: boolean[];
  date1904: boolean;
  utils: ReturnType<typeof exceljsRules>["utils"];
}

/** The cells of one `<row>` body, as exceljs' reader and `toCell` give them. */
function rowCells(body: string, ctx: SheetContext): Cell[] {
  const cells: Cell[] = [];
  let last = 0;
  let column = 0;
  let i = body.indexOf("<c");
  while (i >= 0) {
    if (!endsName(body, i + 2)) {
      i = body.indexOf("<c", i + 2);
      continue;
    }
    const gt = body.indexOf(">", i);
    if (gt < 0) break;
    const selfClosing = body.charCodeAt(gt - 1) === 47;
    cellAttributes(body, i + 2, selfClosing ? gt - 1 : gt);
    let inner = "";
    let next = gt + 1;
    if (!selfClosing) {
      const end = body.indexOf("</c>", gt);
      if (end < 0) break;
      inner = body.slice(gt + 1, end);
      next = end + 4;
    }
    column = found.column || column + 1;
    const value = cellValue(inner, found.type, found.style, ctx);
    if (value !== undefined) {
      cells[column - 1] = value;
      if (column > last) last = column;
    }
    i = body.indexOf("<c", next);
  }
  // exceljs lists values up to the last cell that has one; the gaps are empty.
  const out: Cell[] = new Array(last);
  for (let k = 0; k < last; k++) out[k] = cells[k] ?? null;
  return out;
}

/**
 * A copy of a string cut from the sheet's text. V8 makes a slice of 13 or more characters a view
 * into its parent string, so one ID number kept from a row would keep the whole decoded chunk
 * alive (hundreds of MB over a large file); prepending a character forces a flat copy.
 */
export function own(s: string): string {
  return s.length < 13 ? s : ` ${s}`.slice(1);
}

/** A cell's value; undefined for a cell with neither a value nor a formula. */
function cellValue(
  inner: string,
  type: string | undefined,
  style: number,
  ctx: SheetContext,
): Cell | undefined {
  if (inner === "") return undefined;
  let hasFormula = false;
  let v: string | null = null;
  const f = inner.indexOf("<f");
  if (f >= 0 && endsName(inner, f + 2)) hasFormula = true;
  const is = inner.indexOf("<is");
  if (is >= 0 && endsName(inner, is + 3)) v = itemText(inner.slice(is));
  else {
    const vs = inner.indexOf("<v");
    if (vs >= 0 && endsName(inner, vs + 2)) {
      const gt = inner.indexOf(">", vs);
      if (inner.charCodeAt(gt - 1) === 47) v = "";
      else {
        const end = inner.indexOf("</v>", gt);
        v = inner.slice(gt + 1, end < 0 ? inner.length : end);
      }
    }
  }
  if (v !== null) v = xmlText(v);
  if (hasFormula) {
    if (v === null) return null;
    if (type === "str") {
      const s = decoded(v, ctx);
      return s === "" ? null : s;
    }
    const n = Number.parseFloat(v);
    return Number.isFinite(n) ? n : null;
  }
  if (v === null) return undefined;
  switch (type) {
    case "s":
      return ctx.strings[Number.parseInt(v, 10)] ?? null;
    case "inlineStr":
    case "str": {
      const s = decoded(v, ctx);
      return s === "" ? null : own(s);
    }
    case "e":
      return v;
    case "b":
      return Number.parseInt(v, 10) !== 0;
    default: {
      const n = Number.parseFloat(v);
      if (style && ctx.dates[style]) return ctx.utils.excelToDate(n, ctx.date1904);
      return Number.isFinite(n) ? n : null;
    }
  }
}

/** exceljs decodes a string cell's entities once more; most cells have none to decode. */
const decoded = (v: string, ctx: SheetContext) => (v.indexOf("&") < 0 ? v : ctx.utils.xmlDecode(v));

export interface FastSheet {
  /** The rows, as many at a time as each inflated piece of the sheet holds. */
  chunks: AsyncGenerator<SheetRow[]>;
  close(): void;
}

/**
 * Opens the first worksheet of an xlsx file for reading, or answers null when the file is
 * something this reader does not handle (the caller then uses exceljs).
 */
export async function openFastXlsx(
  path: string,
  onBytes?: (read: number, total: number) => void,
): Promise<FastSheet | null> {
  const handle = await open(path, "r");
  let sheet: Entry | undefined;
  let start = 0;
  let ctx: SheetContext;
  let size: number;
  try {
    size = (await handle.stat()).size;
    const list = await entries(handle, size);
    if (!list) return null;
    sheet = [...list.values()].find((e) => /xl\/worksheets\/sheet\d+[.]xml/.test(e.name));
    if (!sheet || (sheet.method !== 8 && sheet.method !== 0)) return null;
    for (const e of list.values()) if (e.method !== 8 && e.method !== 0) return null;
    const text = async (name: string) => {
      const e = list.get(name);
      return e ? readEntry(handle, e) : null;
    };
    const workbook = (await text("xl/workbook.xml")) ?? "";
    const pr = elements(workbook, "workbookPr").next();
    const date1904 = !pr.done && /date1904\s*=\s*["'](1|true)["']/.test(pr.value.attrs);
    const shared = await text("xl/sharedStrings.xml");
    ctx = {
      strings: shared ? sharedStrings(shared) : [],
      dates: dateStyles(await text("xl/styles.xml")),
      date1904,
      utils: exceljsRules().utils,
    };
    start = await dataStart(handle, sheet);
  } finally {
    await handle.close();
  }
  const file = createReadStream(path, {
    start,
    end: start + sheet.compressedSize - 1,
    highWaterMark: 256 * 1024,
  });
  let read = start;
  file.on("data", (chunk) => {
    read += chunk.length;
    onBytes?.(read, size);
  });
  const stream = sheet.method === 8 ? file.pipe(createInflateRaw()) : file;
  file.on("error", (e) => stream.destroy(e));
  const context = ctx;
  async function* chunks(): AsyncGenerator<SheetRow[]> {
    const decoder = new TextDecoder("utf-8");
    let buf = "";
    let previous = 0;
    /** The complete rows at the start of `buf` (which keeps the rest). */
    const take = (final: boolean): SheetRow[] => {
      const out: SheetRow[] = [];
      let i = buf.indexOf("<row");
      let consumed = 0;
      while (i >= 0) {
        if (i + 4 >= buf.length) break;
        if (!endsName(buf, i + 4)) {
          i = buf.indexOf("<row", i + 4);
          continue;
        }
        const gt = buf.indexOf(">", i);
        if (gt < 0) break;
        let body = "";
        let end: number;
        if (buf.charCodeAt(gt - 1) === 47) end = gt + 1;
        else {
          const close = buf.indexOf("</row>", gt);
          if (close < 0) break;
          body = buf.slice(gt + 1, close);
          end = close + 6;
        }
        const r = /(?:^|\s)r\s*=\s*"(\d+)"/.exec(buf.slice(i + 4, gt));
        const number = r ? Number(r[1]) : previous + 1;
        previous = number;
        out.push({ number, cells: rowCells(body, context) });
        consumed = end;
        i = buf.indexOf("<row", end);
      }
      if (final) buf = "";
      else if (i < 0) {
        // Keep a possible start of "<row" cut at the end of the chunk.
        const cut = buf.lastIndexOf("<");
        buf = cut >= consumed ? buf.slice(cut) : "";
      } else buf = buf.slice(Math.max(consumed, i));
      return out;
    };
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      buf += decoder.decode(chunk, { stream: true });
      const rows = take(false);
      if (rows.length > 0) yield rows;
    }
    buf += decoder.decode();
    const rows = take(true);
    if (rows.length > 0) yield rows;
  }
  return {
    chunks: chunks(),
    close() {
      file.destroy();
      stream.destroy();
    },
  };
}
