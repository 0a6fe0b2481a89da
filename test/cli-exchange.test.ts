/**
 * The import and export commands' contract, on the real binary in a child process:
 * `import national FILE --json` prints {households, members, errors[{row, column, code, message,
 * household}]} and exits 0 even when households are rejected, 2 for a file it cannot read;
 * `export national --json` prints {rows, households, file}.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../src/db/connect.ts";
import { type Run, runFangpin } from "./cli-run.ts";
import { ENGINES, freshDatabaseUrl, PG_URL } from "./engines.ts";
import { household, VILLAGE_A } from "./factories.ts";
import { FIRST_ROW, nationalRows, writeWorkbook, XINSHAN_XIUTIAN } from "./national-files.ts";

const fangpin = (...args: string[]): Promise<Run> => runFangpin(args);

function jsonOf(run: Run): Record<string, unknown> {
  expect(run.stdout.trim().split("\n"), `one line on stdout; stderr:\n${run.stderr}`).toHaveLength(
    1,
  );
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

const dir = mkdtempSync(join(tmpdir(), "fangpin-cli-exchange-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COUNTS = { created: 0, updated: 0, unchanged: 0, rejected: 0 };

for (const engine of ENGINES as readonly Engine[]) {
  describe.skipIf(engine === "postgres" && !PG_URL)(
    `import and export national [${engine}]`,
    () => {
      let source: ReturnType<typeof freshDatabaseUrl>;
      let target: ReturnType<typeof freshDatabaseUrl>;
      const exported = join(dir, `export-${engine}.xlsx`);

      beforeAll(async () => {
        source = freshDatabaseUrl(engine);
        target = freshDatabaseUrl(engine);
        const demo = await fangpin(
          "demo",
          "--county",
          "360726",
          "--households",
          "60",
          "--db",
          source.url,
          "--json",
        );
        expect(demo.code, demo.stderr).toBe(0);
        const regions = await fangpin(
          "regions",
          "load",
          "--province",
          "360726",
          "--db",
          target.url,
          "--json",
        );
        expect(regions.code, regions.stderr).toBe(0);
      }, 120_000);
      afterAll(async () => {
        await source?.cleanup();
        await target?.cleanup();
      });

      it("exports a county: {rows, households, file}", async () => {
        const run = await fangpin(
          "export",
          "national",
          "--db",
          source.url,
          "--region",
          "360726",
          "--out",
          exported,
          "--json",
        );
        expect(run.code, run.stderr).toBe(0);
        const body = jsonOf(run);
        expect(Object.keys(body)).toEqual(["rows", "households", "file"]);
        expect(body).toMatchObject({ households: 60, file: exported });
        expect(body.rows as number).toBeGreaterThan(60);
        expect(existsSync(exported)).toBe(true);
      });

      it("checks with --dry-run, imports, and re-imports as a no-op", async () => {
        const args = ["import", "national", exported, "--db", target.url, "--json"];
        const dry = await fangpin(...args, "--dry-run");
        expect(dry.code, dry.stderr).toBe(0);
        const checked = jsonOf(dry);
        expect(Object.keys(checked)).toEqual(["households", "members", "errors"]);
        expect(checked).toMatchObject({
          households: { ...COUNTS, created: 60 },
          errors: [],
        });
        const members = (checked.members as { created: number }).created;
        expect(members).toBeGreaterThan(60);

        const real = jsonOf(await fangpin(...args));
        expect(real).toEqual(checked);
        const again = jsonOf(await fangpin(...args));
        expect(again).toEqual({
          households: { ...COUNTS, unchanged: 60 },
          members: { ...COUNTS, unchanged: members },
          errors: [],
        });
      });

      it("exits 0 with rejected households and lists each problem with its Excel row and column", async () => {
        const good = household(VILLAGE_A, { seed: 7001 });
        const bad = household(VILLAGE_A, { seed: 7002 });
        const rows = [
          ...nationalRows(good, XINSHAN_XIUTIAN),
          ...nationalRows(bad, XINSHAN_XIUTIAN),
        ];
        const id = String(rows[4]!.证件号码);
        rows[4]!.证件号码 = id.slice(0, 17) + (id[17] === "0" ? "1" : "0");
        const path = join(dir, `faulty-${engine}.xlsx`);
        await writeWorkbook(path, rows);
        const all = await fangpin(
          "import",
          "national",
          path,
          "--db",
          target.url,
          "--atomic",
          "all",
          "--county",
          "360726",
          "--json",
        );
        expect(all.code, all.stderr).toBe(0);
        expect(jsonOf(all)).toMatchObject({ households: { ...COUNTS, rejected: 2 } });

        const run = await fangpin("import", "national", path, "--db", target.url, "--json");
        expect(run.code, run.stderr).toBe(0);
        const body = jsonOf(run);
        expect(body.households).toEqual({ ...COUNTS, created: 1, rejected: 1 });
        expect(body.members).toEqual({ ...COUNTS, created: 3, rejected: 3 });
        expect(body.errors).toEqual([
          {
            row: FIRST_ROW + 4,
            column: "证件号码",
            code: "id_number_check_char",
            message: expect.stringContaining("校验码"),
            household: bad.household.householdNumber,
          },
        ]);
      });

      it("exits 2 for a file it cannot read or without a recognisable header", async () => {
        const junk = join(dir, "junk.xlsx");
        writeFileSync(junk, "this is not a workbook");
        const noHeader = join(dir, "no-header.xlsx");
        await writeWorkbook(noHeader, [], ["姓名", "身份证"]);
        for (const path of [junk, noHeader, join(dir, "missing.xlsx")]) {
          const run = await fangpin("import", "national", path, "--db", target.url, "--json");
          expect(run.code, `${path}: ${run.stdout}`).toBe(2);
          const body = jsonOf(run) as { error: { kind: string; code: string } };
          expect(body.error.kind).toBe("invalid_data");
        }
      });

      it("refuses bad usage with exit 2", async () => {
        for (const args of [
          ["import", "national", "--db", target.url, "--json"],
          ["import", "national", exported, "--atomic", "some", "--db", target.url, "--json"],
          ["import", "national", exported, "--as", "nobody", "--db", target.url, "--json"],
          ["export", "national", "--region", "360726", "--db", target.url, "--json"],
        ]) {
          const run = await fangpin(...args);
          expect(run.code, args.join(" ")).toBe(2);
          expect(jsonOf(run)).toHaveProperty("error");
        }
      });
    },
  );
}
