/**
 * docs/formats/feeds.md carries each feed type's columns, generated from the policy. This test
 * fails when it is stale; FANGPIN_UPDATE_DOCS=1 rewrites it. It also checks that every shipped
 * feed type has a sample that its definition reads without a fault.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { openTable } from "../exchange/index.ts";
import { createPolicyService, parsePolicy } from "../policy/index.ts";
import { bindFeedHeaders, feedHeaderRule, parseFeedRow } from "./feed.format.ts";
import { feedsMarkdown } from "./feeds.docs.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const DOC = join(ROOT, "docs/formats/feeds.md");
const UPDATE = process.env.FANGPIN_UPDATE_DOCS === "1";
const feeds = createPolicyService().forRegion(null, 2026).feeds;

function replaceSection(doc: string, name: string, body: string): string {
  const begin = `<!-- BEGIN GENERATED: ${name} -->`;
  const end = `<!-- END GENERATED: ${name} -->`;
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`docs/formats/feeds.md 缺少 ${begin} … ${end}`);
  return `${doc.slice(0, a + begin.length)}\n${body}${doc.slice(b)}`;
}

const formatMarkdown = (text: string) =>
  execFileSync(
    join(ROOT, "node_modules/.bin/biome"),
    ["format", "--stdin-file-path=docs/formats/feeds.md"],
    { cwd: ROOT, input: text, encoding: "utf8" },
  );

describe("feed definitions", () => {
  it("docs/formats/feeds.md lists every feed type's columns", () => {
    const doc = readFileSync(DOC, "utf8");
    const expected = formatMarkdown(replaceSection(doc, "feeds", feedsMarkdown(feeds)));
    if (UPDATE && expected !== doc) writeFileSync(DOC, expected);
    expect(
      UPDATE ? expected : doc,
      "docs/formats/feeds.md 已过期：运行 FANGPIN_UPDATE_DOCS=1 npx vitest run src/modules/feeds/feeds.docs.test.ts",
    ).toBe(expected);
  });

  it("every feed type has a sample its definition reads without a fault", async () => {
    for (const [type, def] of Object.entries(feeds)) {
      const path = join(ROOT, "docs/formats/samples", `${type}.csv`);
      expect(existsSync(path), path).toBe(true);
      const table = await openTable(path, feedHeaderRule(type, def));
      try {
        const { columns, missing } = bindFeedHeaders(def, table.headers);
        expect(missing, type).toEqual([]);
        expect(columns.length, type).toBe(def.columns.length);
        let rows = 0;
        for await (const row of table.rows) {
          rows++;
          expect(
            parseFeedRow(def, columns, row, "2026-11-20"),
            `${type} row ${row.number}`,
          ).toHaveProperty("ok");
        }
        expect(rows, type).toBeGreaterThanOrEqual(2);
      } finally {
        table.close();
      }
    }
  });

  it("refuses a definition whose ID, key or effective column is not a column of its kind", () => {
    const policy = (columns: string, key = "receipt") =>
      [
        "id: national-2099",
        "level: national",
        "year: 2099",
        "title: t",
        "feeds:",
        "  tax:",
        "    name: 纳税",
        "    department: 税务局",
        "    idColumn: idNumber",
        `    key: [${key}]`,
        "    effective: { from: paidOn }",
        "    fact: taxes",
        "    columns:",
        columns,
      ].join("\n");
    const id = "      - { key: idNumber, header: 证件号码, kind: id_number, required: true }";
    const receipt = "      - { key: receipt, header: 票号, required: true }";
    const paid = "      - { key: paidOn, header: 缴税日期, kind: date, required: true }";
    const ok = policy([id, receipt, paid].join("\n"));
    expect(parsePolicy(ok, "ok.yaml").feeds.tax?.fact).toBe("taxes");
    const fault = (text: string) => {
      try {
        parsePolicy(text, "bad.yaml");
      } catch (e) {
        return (e as { field?: string; message: string }).field;
      }
      return "accepted";
    };
    expect(fault(policy([id.replace("id_number", "text"), receipt, paid].join("\n")))).toBe(
      "feeds.tax.idColumn",
    );
    expect(fault(policy([id, receipt.replace(", required: true", ""), paid].join("\n")))).toBe(
      "feeds.tax.key.0",
    );
    expect(fault(policy([id, receipt, paid.replace("date", "money")].join("\n")))).toBe(
      "feeds.tax.effective.from",
    );
    expect(fault(policy([id, receipt, paid].join("\n"), "missing"))).toBe("feeds.tax.key.0");
  });
});
