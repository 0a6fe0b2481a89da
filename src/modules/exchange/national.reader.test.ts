import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32, deflateRawSync } from "node:zlib";
import ExcelJS from "exceljs";
import { afterAll, describe, expect, it } from "vitest";
import { makeIdNumber } from "../../core/id-number.ts";
import { HEALTH } from "../../core/vocab.ts";
import {
  CellProblem,
  cellText,
  openSheet,
  parseDate,
  parseFlag,
  parseHouseholdNumber,
  parseIdNumber,
  parseMoney,
  parseMonth,
  parseNumber,
  parseTerm,
  parseText,
  parseVocab,
  type SheetRow,
  toCell,
} from "./national.reader.ts";

const dir = mkdtempSync(join(tmpdir(), "fangpin-reader-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const codeOf = (v: unknown) => (v instanceof CellProblem ? v.code : v);

describe("cells by meaning", () => {
  it("refuses ID numbers stored as numbers instead of guessing their digits", () => {
    expect(codeOf(parseIdNumber(Number("360726198001011234"), "证件号码"))).toBe(
      "id_number_scientific",
    );
    expect(codeOf(parseIdNumber(3.60726e17, "证件号码"))).toBe("id_number_scientific");
    expect(codeOf(parseIdNumber(12345, "证件号码"))).toBe("id_number_not_text");
    const scientific = parseIdNumber(3.60726e17, "“证件号码”") as CellProblem;
    expect(scientific.message).toContain("文本");
    expect(parseIdNumber(" 36072619800101123x ", "")).toBe("36072619800101123X");
    expect(parseIdNumber("３６０７２６", "")).toBe("360726");
    expect(parseIdNumber(null, "")).toBeNull();
  });

  it("takes household numbers from numbers only while every digit survives", () => {
    expect(parseHouseholdNumber(3607261002010001, "")).toBe("3607261002010001");
    expect(codeOf(parseHouseholdNumber(Number("36072610020100001"), ""))).toBe(
      "household_number_not_text",
    );
    expect(parseHouseholdNumber(" 36072610020100001 ", "")).toBe("36072610020100001");
  });

  it("reads 是/否 only", () => {
    expect(parseFlag("是", "")).toBe(true);
    expect(parseFlag(" 否 ", "")).toBe(false);
    expect(parseFlag(null, "")).toBeNull();
    expect(parseFlag(true, "")).toBe(true);
    for (const bad of ["Y", "有", "1", 1]) expect(codeOf(parseFlag(bad, ""))).toBe("flag_invalid");
  });

  it("reads yuan into fen, from text or numbers", () => {
    expect(parseMoney("7,500.5", "")).toBe(750_050);
    expect(parseMoney(1234.56, "")).toBe(123_456);
    expect(parseMoney("１２３元", "")).toBe(12_300);
    expect(parseMoney("-20", "")).toBe(-2000);
    expect(parseMoney(null, "")).toBeNull();
    expect(codeOf(parseMoney("三千", ""))).toBe("money_invalid");
    expect(codeOf(parseMoney(new Date(0), ""))).toBe("money_invalid");
  });

  it("reads non-negative numbers and integer counts", () => {
    expect(parseNumber("1.5", "")).toBe(1.5);
    expect(parseNumber(2, "", true)).toBe(2);
    expect(codeOf(parseNumber("-1", ""))).toBe("number_invalid");
    expect(codeOf(parseNumber("很多", ""))).toBe("number_invalid");
    expect(codeOf(parseNumber("2.5", "", true))).toBe("number_invalid");
  });

  it("reads dates as YYYYMMDD, YYYY-MM-DD and Excel date cells", () => {
    expect(parseDate("19800315", "")).toBe("1980-03-15");
    expect(parseDate("1980-3-5", "")).toBe("1980-03-05");
    expect(parseDate("1980/03/15", "")).toBe("1980-03-15");
    expect(parseDate("1980年3月15日", "")).toBe("1980-03-15");
    expect(parseDate(19800315, "")).toBe("1980-03-15");
    expect(parseDate(new Date(Date.UTC(1980, 2, 15)), "")).toBe("1980-03-15");
    for (const bad of ["19800230", "1980-13-01", "去年", 29295])
      expect(codeOf(parseDate(bad, ""))).toBe("date_invalid");
  });

  it("reads months as YYYYMM, YYYY-MM and date cells", () => {
    expect(parseMonth("202103", "")).toBe("2021-03");
    expect(parseMonth(202103, "")).toBe("2021-03");
    expect(parseMonth("2021-3", "")).toBe("2021-03");
    expect(parseMonth("2021年3月", "")).toBe("2021-03");
    expect(parseMonth(new Date(Date.UTC(2021, 2, 1)), "")).toBe("2021-03");
    for (const bad of ["202113", "2021", "三月"])
      expect(codeOf(parseMonth(bad, ""))).toBe("month_invalid");
  });

  it("reads vocabularies by their national terms", () => {
    expect(parseVocab("长期慢性病", "", HEALTH)).toBe("chronic");
    expect(parseVocab("chronic", "", HEALTH)).toBe("chronic");
    const bad = parseVocab("感冒", "“健康状况”", HEALTH) as CellProblem;
    expect(bad.code).toBe("vocab_invalid");
    expect(bad.message).toContain("健康、长期慢性病");
    expect(parseTerm("之子", "", ["户主", "之子"])).toBe("之子");
    expect(codeOf(parseTerm("儿子", "", ["户主", "之子"]))).toBe("vocab_invalid");
  });

  it("limits text length and reads rich text and formulas by their text", () => {
    expect(codeOf(parseText("很长的名字", "", 3))).toBe("text_too_long");
    expect(toCell({ richText: [{ text: "张" }, { text: "三" }] })).toBe("张三");
    expect(toCell({ formula: "A1", result: 12 })).toBe(12);
    expect(toCell({ text: "链接", hyperlink: "http://x" })).toBe("链接");
    expect(toCell("")).toBeNull();
    expect(cellText(1.5)).toBe("1.5");
    expect(cellText(360726)).toBe("360726");
  });
});

async function xlsx(name: string, rows: unknown[][]): Promise<string> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet("Sheet1");
  for (const r of rows) ws.addRow(r);
  const path = join(dir, name);
  await wb.xlsx.writeFile(path);
  return path;
}

/** The smallest workbook around one worksheet's XML. */
function minimalWorkbook(sheet: string, shared?: string): Record<string, string> {
  const ns = "http://schemas.openxmlformats.org";
  return {
    "[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="${ns}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>${shared ? `<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>` : ""}</Types>`,
    "_rels/.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${ns}/package/2006/relationships"><Relationship Id="rId1" Type="${ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    "xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${ns}/spreadsheetml/2006/main" xmlns:r="${ns}/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    "xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${ns}/package/2006/relationships"><Relationship Id="rId1" Type="${ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>${shared ? `<Relationship Id="rId2" Type="${ns}/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>` : ""}</Relationships>`,
    "xl/worksheets/sheet1.xml": sheet,
    ...(shared ? { "xl/sharedStrings.xml": shared } : {}),
  };
}

/** A zip of these files, deflated (local headers, central directory, end record). */
function zip(files: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text, "utf8");
    const packed = deflateRawSync(data);
    const nameBytes = Buffer.from(name, "utf8");
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x0800, 8);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(packed.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(offset, 42);
    parts.push(local, nameBytes, packed);
    central.push(entry, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

async function all(rows: AsyncIterable<SheetRow>) {
  const out: SheetRow[] = [];
  for await (const r of rows) out.push(r);
  return out;
}

describe("opening a file", () => {
  it("finds the header below the title rows and skips blank rows, keeping Excel row numbers", async () => {
    const id = makeIdNumber("360726", "1980-03-15", 11);
    const path = await xlsx("titles.xlsx", [
      ["监测对象信息"],
      ["导出日期：2026-01-01"],
      ["户编号", "姓名", "证件号码"],
      ["H1", "张三", id],
      [],
      ["H1", "李四", 3.60726e17],
      [],
    ]);
    const sheet = await openSheet(path);
    expect(sheet.format).toBe("xlsx");
    expect(sheet.headerRow).toBe(3);
    expect(sheet.titleRows.map((r) => r.number)).toEqual([1, 2]);
    expect(sheet.columns.map((c) => c.header)).toEqual(["户编号", "姓名", "证件号码"]);
    const rows = await all(sheet.rows);
    expect(rows.map((r) => [r.number, r.cells])).toEqual([
      [4, ["H1", "张三", id]],
      [6, ["H1", "李四", 3.60726e17]],
    ]);
  });

  for (const xlsxReader of ["fast", "exceljs"] as const) {
    it(`reads the same workbook whole hundreds of times, also after readers closed half-way (${xlsxReader})`, async () => {
      // exceljs' streaming reader used to stop at the worksheet now and then under load.
      const rows = Array.from({ length: 5 }, (_, i) => [`H${i}`, `户主${i}`, `id${i}`]);
      const path = await xlsx(`reopen-${xlsxReader}.xlsx`, [
        ["户编号", "姓名", "证件号码"],
        ...rows,
      ]);
      const counts: number[] = [];
      for (let i = 0; i < 700; i++) {
        const sheet = await openSheet(path, { xlsxReader });
        if (i % 2 === 1) {
          await sheet.rows.next();
          sheet.close();
          continue;
        }
        counts.push((await all(sheet.rows)).length);
        sheet.close();
      }
      expect(counts).toEqual(Array(350).fill(5));
    });

    it(`reads Chinese text split across zip chunks intact, shared and inline strings (${xlsxReader})`, async () => {
      const names = Array.from(
        { length: 4000 },
        (_, i) => `第${i}行的户主姓名欧阳梅燕与村名濂江村`,
      );
      for (const useSharedStrings of [true, false]) {
        const path = join(dir, `chinese-${useSharedStrings}-${xlsxReader}.xlsx`);
        const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings });
        const ws = wb.addWorksheet("Sheet1");
        ws.addRow(["户编号", "姓名", "证件号码"]).commit();
        names.forEach((n, i) => {
          ws.addRow([`H${i}`, n, "是"]).commit();
        });
        await wb.commit();
        const rows = await all((await openSheet(path, { xlsxReader })).rows);
        expect(rows.map((r) => r.cells[1])).toEqual(names);
        expect(rows.every((r) => r.cells[2] === "是")).toBe(true);
      }
    });
  }

  it("reads hand-written sheet XML as exceljs does: spaced and reordered attributes, cells without references, rich and entity text", async () => {
    // What other programs than exceljs write: attributes in any order with spaces around "=",
    // cells without an "r", self-closing cells, rich inline strings, character references.
    const sheet = [
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`,
      `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`,
      `<row r="1"><c r="A1" t="inlineStr"><is><t>户编号</t></is></c><c t="inlineStr" r="B1"><is><t>姓名</t></is></c><c r="C1" t="inlineStr"><is><t>证件号码</t></is></c></row>`,
      `<row r="2"><c   t = "inlineStr"   r = "A2" ><is><t>H&amp;1</t></is></c><c t="inlineStr"><is><r><t>欧阳</t></r><r><rPr><b/></rPr><t>梅燕</t></r></is></c><c r="D2"/><c r="C2" t="inlineStr"><is><t>&#x4E2D;&#20013;X</t></is></c></row>`,
      `<row r="3"><c r="A3" s="0"><v>12.5</v></c><c r="B3" t="b"><v>1</v></c><c r="AB3" t="str"><f>A3</f><v>公式</v></c></row>`,
      `<row r="5" spans="1:3"><c r="B5" t="inlineStr"><is><t/></is></c><c r="C5" t="e"><v>#N/A</v></c></row>`,
      `<row r="6"><c r="A6" t="s"><v>0</v></c><c r="B6" t="s"><v>1</v></c><c r="C6" t="s"><v>2</v></c></row>`,
      `</sheetData></worksheet>`,
    ].join("");
    // Shared strings: plain, rich, and with phonetic guides (their <t> is not the text).
    const shared = [
      `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">`,
      `<si><t>濂江村</t></si>`,
      `<si><r><t>黄</t></r><r><rPr><i/></rPr><t xml:space="preserve">小 明</t></r></si>`,
      `<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1"/></si>`,
      `</sst>`,
    ].join("");
    const path = join(dir, "hand-written.xlsx");
    writeFileSync(path, zip(minimalWorkbook(sheet, shared)));
    const read = async (xlsxReader: "fast" | "exceljs") =>
      (await all((await openSheet(path, { xlsxReader })).rows)).map((r) => [r.number, r.cells]);
    const fast = await read("fast");
    expect(fast).toEqual(await read("exceljs"));
    expect(fast[0]).toEqual([2, ["H&1", "欧阳梅燕", "中中X"]]);
    expect(fast.at(-1)).toEqual([6, ["濂江村", "黄小 明", "東京"]]);
    expect(fast[1]![1]).toEqual(
      Object.assign(Array(28).fill(null), { 0: 12.5, 1: true, 27: "公式" }),
    );
  });

  it("reads a large workbook whole in a fresh process (exceljs loaded on first use)", async () => {
    const path = join(dir, "large.xlsx");
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: false });
    const ws = wb.addWorksheet("Sheet1");
    ws.addRow(["户编号", "姓名", "证件号码"]).commit();
    for (let i = 0; i < 20_000; i++) ws.addRow([`H${i}`, `第${i}名成员`, `ID${i}`]).commit();
    await wb.commit();
    const script = `import { openSheet } from "./src/modules/exchange/national.reader.ts";
      let n = 0; const s = await openSheet(${JSON.stringify(path)});
      for await (const _ of s.rows) n++; console.log(n);`;
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      { cwd: fileURLToPath(new URL("../../..", import.meta.url)), encoding: "utf8" },
    );
    expect(out.trim()).toBe("20000");
  });

  it("reads CSV in UTF-8 (with a BOM) and in GB18030", async () => {
    const text = '监测对象信息\r\n户编号,姓名,证件号码\r\nH1,张三,"36072619800315011X"\r\n';
    const utf8 = join(dir, "a.csv");
    writeFileSync(utf8, `\ufeff${text}`);
    const gbk = join(dir, "b.csv");
    // The same text in GB18030, as Excel on Chinese Windows saves CSV.
    writeFileSync(gbk, gb18030(text));
    for (const path of [utf8, gbk]) {
      const sheet = await openSheet(path);
      expect(sheet.format).toBe("csv");
      expect(sheet.headerRow).toBe(2);
      expect((await all(sheet.rows)).map((r) => r.cells)).toEqual([
        ["H1", "张三", "36072619800315011X"],
      ]);
    }
  });

  it("refuses files without a header row, files that are not spreadsheets, and .xls", async () => {
    const noHeader = await xlsx("no-header.xlsx", [
      ["姓名", "证件号码"],
      ["张三", "1"],
    ]);
    await expect(openSheet(noHeader)).rejects.toMatchObject({ code: "header_not_found" });
    // An empty file (the wrong one picked, or a failed export) says so, not "no header".
    const blank = join(dir, "blank.csv");
    for (const text of ["", "\ufeff", "\r\n,,\r\n\r\n"]) {
      writeFileSync(blank, text);
      await expect(openSheet(blank)).rejects.toMatchObject({
        code: "header_not_found",
        message: expect.stringContaining("空文件"),
      });
    }
    await expect(openSheet(noHeader)).rejects.toMatchObject({
      message: expect.not.stringContaining("空文件"),
    });
    const broken = join(dir, "broken.xlsx");
    writeFileSync(broken, Buffer.concat([Buffer.from("PK\u0003\u0004"), Buffer.alloc(100, 7)]));
    await expect(openSheet(broken)).rejects.toMatchObject({ kind: "invalid_data" });
    const xls = join(dir, "old.xls");
    writeFileSync(xls, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0, 0, 0, 0]));
    await expect(openSheet(xls)).rejects.toMatchObject({ code: "file_format_xls" });
    await expect(openSheet(join(dir, "missing.xlsx"))).rejects.toMatchObject({
      code: "file_unreadable",
    });
  });
});

/** GB18030 bytes of a text (Node has a decoder but no encoder; iconv is not a dependency). */
function gb18030(text: string): Buffer {
  const decoder = new TextDecoder("gb18030");
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) {
      out.push(code);
      continue;
    }
    out.push(...findGb(ch, decoder));
  }
  return Buffer.from(out);
}

const gbCache = new Map<string, number[]>();
function findGb(ch: string, decoder: TextDecoder): number[] {
  const cached = gbCache.get(ch);
  if (cached) return cached;
  for (let hi = 0x81; hi <= 0xfe; hi++) {
    for (let lo = 0x40; lo <= 0xfe; lo++) {
      if (lo === 0x7f) continue;
      if (decoder.decode(Uint8Array.of(hi, lo)) === ch) {
        gbCache.set(ch, [hi, lo]);
        return [hi, lo];
      }
    }
  }
  throw new Error(`no GB18030 two-byte code for ${ch}`);
}
