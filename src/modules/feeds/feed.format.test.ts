/**
 * A feed row's stored text, built once per row by concatenation: the same JSON as the object of
 * its values in the definition's column order given to JSON.stringify (what loads stored before,
 * so a file loaded again still compares equal), whatever the text holds.
 */
import { describe, expect, it } from "vitest";
import { makeIdNumber } from "../../core/id-number.ts";
import { copyField, copyValue } from "../../db/copy.ts";
import type { Cell } from "../exchange/index.ts";
import { createPolicyService } from "../policy/index.ts";
import { bindFeedHeaders, type FactValue, parseFeedRow } from "./feed.format.ts";

const feeds = createPolicyService().forRegion("360726", 2026).feeds;
const ID = makeIdNumber("360726", "1958-04-12", 31);

/** The stored values as the loader wrote them before: an object in column order, stringified. */
function reference(type: string, byHeader: Record<string, Cell>) {
  const def = feeds[type]!;
  const out: Record<string, FactValue> = {};
  const parsed = parseFeedRow(def, bind(type, Object.keys(byHeader)), row(byHeader), "2026-11-20");
  if (!("ok" in parsed)) throw new Error(JSON.stringify(parsed.problems));
  const values = JSON.parse(parsed.ok.vals) as Record<string, FactValue>;
  for (const c of def.columns) if (values[c.key] !== undefined) out[c.key] = values[c.key]!;
  return { parsed: parsed.ok, expected: JSON.stringify(out) };
}

const bind = (type: string, headers: string[]) => bindFeedHeaders(feeds[type]!, headers).columns;
const row = (byHeader: Record<string, Cell>) => ({ number: 7, cells: Object.values(byHeader) });

describe("parseFeedRow", () => {
  it("writes the values as JSON in the definition's order, the ID number left out", () => {
    const def = feeds.medical!;
    // Columns in another order than the definition's, and text that JSON must escape.
    const cells = {
      "合规自付费用(元)": "38200.50",
      诊断: '肺"恶性"肿瘤\\a\tb\nc',
      证件号码: ID,
      姓名: "王金华",
      结算单号: "JS3607262026100015",
      医疗机构: "赣州市人民医院\u0001",
      入院日期: "2026-09-18",
      出院日期: "20261009",
      "医疗总费用(元)": "126500",
      是否重大疾病: "是",
    };
    const parsed = parseFeedRow(def, bind("medical", Object.keys(cells)), row(cells), "2026-11-20");
    if (!("ok" in parsed)) throw new Error(JSON.stringify(parsed.problems));
    const { vals, key, idNumber, from, to, name } = parsed.ok;
    expect({ idNumber, from, to, name }).toEqual({
      idNumber: ID,
      from: "2026-10-09",
      to: null,
      name: "王金华",
    });
    const values = JSON.parse(vals) as Record<string, FactValue>;
    expect(Object.keys(values)).toEqual(
      def.columns.map((c) => c.key).filter((k) => k !== def.idColumn && k in values),
    );
    expect(values).not.toHaveProperty(def.idColumn);
    expect(values).toMatchObject({ outOfPocket: 3_820_050, seriousIllness: 1 });
    expect(values.diagnosis).toBe('肺"恶性"肿瘤\\a\tb\nc');
    expect(vals).toBe(reference("medical", cells).expected);
    expect(key).toBe(JSON.stringify(def.key.map((k) => (k === def.idColumn ? ID : values[k]))));
  });

  it("leaves out empty optional columns and keys a row by every key column", () => {
    for (const [type, cells] of [
      [
        "medical",
        { 证件号码: ID, 结算单号: "JS1", 出院日期: "2026-09-18", "合规自付费用(元)": "1" },
      ],
      ["civil_affairs", { 证件号码: ID, 救助类别: "特困供养", 发放月份: "202610" }],
    ] as const) {
      const def = feeds[type]!;
      const { parsed: ok, expected } = reference(type, cells);
      expect(ok.vals, type).toBe(expected);
      expect(JSON.parse(ok.key), type).toHaveLength(def.key.length);
      expect(Object.keys(JSON.parse(ok.vals)).length, type).toBe(Object.keys(cells).length - 1);
    }
  });
});

describe("COPY text format", () => {
  it("escapes what COPY reads specially and reads it back", () => {
    for (const v of ["plain", "", "a\tb", "line\nnext\r", "back\\slash", "\\N", "汉字\t\\n"]) {
      const text = copyValue(v);
      expect(text).not.toMatch(/[\t\n\r]/);
      expect(copyField(text)).toBe(v);
    }
    expect(copyValue(null)).toBe("\\N");
    expect(copyField("\\N")).toBeNull();
    expect(copyValue(-12.5)).toBe("-12.5");
  });
});
