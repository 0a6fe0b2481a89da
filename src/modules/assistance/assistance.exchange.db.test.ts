/**
 * Measures from the national export's assistance columns (kept as extra attributes by the
 * importer) and back: imported once per household and category, exported in their columns
 * together with measures recorded in fangpin.
 */
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { household, VILLAGE_A } from "../../../test/factories.ts";
import { createServices, type Services } from "../../server/services.ts";
import { SYSTEM_ACTOR } from "../auth/index.ts";
import { localFileStore } from "../cases/index.ts";
import { openSheet } from "../exchange/national.reader.ts";

describeEachEngine("assistance ↔ national export", (database) => {
  const dir = mkdtempSync(join(tmpdir(), "fangpin-assist-x-"));
  let s: Services;
  const h = household(VILLAGE_A, { seed: 950 });
  const no = h.household.householdNumber!;
  h.household.extra = { 产业帮扶: "种植脐橙", 健康帮扶: "医疗救助", 社会帮扶: "无" };
  h.members[2]!.extra = { 就业帮扶: "外出务工" };

  beforeAll(async () => {
    s = createServices({
      database: database(),
      now: () => new Date("2026-07-01T02:00:00Z"),
      files: localFileStore(join(dir, "files")),
    });
    await s.regions.load(SYSTEM_ACTOR, "360726");
    await s.registry.bulkCreate(SYSTEM_ACTOR, [h], { source: "import" });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("imports the assistance columns as measures once, and exports measures back into them", async () => {
    expect(await s.assistance.importNational(SYSTEM_ACTOR, "360726")).toEqual({
      measures: 3,
      households: 1,
    });
    const measures = await s.assistance.measures(SYSTEM_ACTOR, no);
    expect(measures.map((m) => [m.category, m.name, m.note, m.source, m.status]).sort()).toEqual(
      [
        ["健康帮扶", "医保参保资助", "医疗救助", "national", "delivered"],
        ["产业帮扶", "产业奖补", "种植脐橙", "national", "delivered"],
        ["就业帮扶", "外出务工就业", "外出务工", "national", "delivered"],
      ].sort(),
    );
    expect(measures.find((m) => m.category === "产业帮扶")!.developmentType).toBe(true);
    // Re-running adds nothing.
    expect(await s.assistance.importNational(SYSTEM_ACTOR, "360726")).toEqual({
      measures: 0,
      households: 0,
    });

    await s.assistance.addMeasure(SYSTEM_ACTOR, no, {
      code: "education.subsidy",
      date: "2026-06-01",
      status: "delivered",
      amountFen: 100_000,
    });
    const path = join(dir, "out.csv");
    const stream = createWriteStream(path);
    await s.exchange.exportNational(SYSTEM_ACTOR, { region: VILLAGE_A, format: "csv" }, stream);
    if (!stream.writableFinished) await finished(stream);
    const sheet = await openSheet(path);
    const at = (header: string) => sheet.headers.indexOf(header);
    const rows: unknown[][] = [];
    for await (const r of sheet.rows) rows.push(r.cells);
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r[at("产业帮扶")]).toBe("种植脐橙");
      expect(r[at("健康帮扶")]).toBe("医疗救助");
      expect(r[at("就业帮扶")]).toBe("外出务工");
      expect(r[at("教育帮扶")]).toBe("教育资助");
      expect(r[at("社会帮扶")]).toBe("无");
    }
  });
});
