/**
 * The command-line contract, checked on the real `fangpin` binary in a child process: with
 * --json exactly one JSON object on stdout, progress on stderr, exit codes 0 / 1 / 2.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeIdNumber } from "../src/core/id-number.ts";
import type { Engine } from "../src/db/connect.ts";
import { MIGRATIONS } from "../src/db/migrate.ts";
import { type Run, runFangpin } from "./cli-run.ts";
import { ENGINES, freshDatabaseUrl, PG_URL } from "./engines.ts";

const fangpin = (...args: string[]): Promise<Run> => runFangpin(args, {}, 60_000);

/** stdout as exactly one JSON object (JSON.parse fails on anything before or after it). */
function jsonOf(run: Run): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(run.stdout);
  } catch {
    throw new Error(`stdout is not one JSON value:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
  expect(typeof value === "object" && value !== null && !Array.isArray(value), run.stdout).toBe(
    true,
  );
  expect(run.stdout.trim().split("\n"), "one line").toHaveLength(1);
  return value as Record<string, unknown>;
}

function errorOf(run: Run): { kind: string; code?: string; message: string; field?: string } {
  const body = jsonOf(run);
  expect(Object.keys(body)).toEqual(["error"]);
  const error = body.error as { kind: string; code?: string; message: string };
  expect(typeof error.kind).toBe("string");
  expect(typeof error.message).toBe("string");
  return error;
}

describe.concurrent("fangpin idcheck", () => {
  const disability = `${makeIdNumber("360726", "1970-03-04", 35)}12B1`;

  it("prints one JSON object with a result per number and exits 0", async () => {
    const run = await fangpin(
      "idcheck",
      "11010519491231002x",
      "110105194912310021",
      "3.60726E+17",
      disability,
      "--json",
    );
    expect(run.code).toBe(0);
    const body = jsonOf(run);
    expect(Object.keys(body)).toEqual(["results"]);
    const results = body.results as Record<string, unknown>[];
    expect(results).toHaveLength(4);

    expect(results[0]).toEqual({
      input: "11010519491231002x",
      valid: true,
      normalized: "11010519491231002X",
      birthDate: "1949-12-31",
      sex: "female",
    });
    expect(results[3]).toEqual({
      input: disability,
      valid: true,
      normalized: disability,
      birthDate: "1970-03-04",
      sex: "male",
    });

    const [bad, scientific] = [results[1]!, results[2]!];
    expect(bad).toMatchObject({
      input: "110105194912310021",
      valid: false,
      normalized: "110105194912310021",
      error: "id_number_check_char",
    });
    expect(scientific).toMatchObject({
      input: "3.60726E+17",
      valid: false,
      error: "id_number_scientific",
    });
    // An invalid result carries the contract's four keys plus a message for people.
    for (const r of [bad, scientific]) {
      expect(Object.keys(r).sort()).toEqual(["error", "input", "message", "normalized", "valid"]);
      expect(typeof r.message).toBe("string");
    }
  });

  it("folds full-width input", async () => {
    const run = await fangpin("idcheck", "１１０１０５１９４９１２３１００２Ｘ", "--json");
    expect(run.code).toBe(0);
    const [r] = jsonOf(run).results as Record<string, unknown>[];
    expect(r).toMatchObject({ valid: true, normalized: "11010519491231002X" });
  });

  it("prints readable lines without --json", async () => {
    const run = await fangpin("idcheck", "11010519491231002X", "110105194912310021");
    expect(run.code).toBe(0);
    expect(() => JSON.parse(run.stdout)).toThrow();
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain("1949-12-31");
    expect(lines[0]).toContain("女");
    expect(lines[1]).toContain("110105194912310021");
  });

  it("exits 2 with no numbers", async () => {
    const [run, plain] = await Promise.all([fangpin("idcheck", "--json"), fangpin("idcheck")]);
    expect(run.code).toBe(2);
    expect(errorOf(run)).toMatchObject({ kind: "invalid_data", code: "usage" });
    expect(plain.code).toBe(2);
    expect(plain.stdout).toBe("");
    expect(plain.stderr).toContain("idcheck");
  });
});

describe.concurrent("fangpin usage errors", () => {
  it("exits 2 on an unknown command", async () => {
    const [run, plain] = await Promise.all([
      fangpin("no-such-command", "--json"),
      fangpin("no-such-command"),
    ]);
    expect(run.code).toBe(2);
    expect(errorOf(run)).toMatchObject({ kind: "invalid_data", code: "usage" });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain("no-such-command");
  });

  it("exits 2 on an unknown option", async () => {
    const run = await fangpin("idcheck", "11010519491231002X", "--frobnicate", "--json");
    expect(run.code).toBe(2);
    expect(errorOf(run).code).toBe("usage");
  });

  it("exits 2 on a database URL it cannot use", async () => {
    const run = await fangpin("migrate", "--db", "mysql://localhost/x", "--json");
    expect(run.code).toBe(2);
    expect(errorOf(run)).toMatchObject({ kind: "invalid_data", code: "db_url", field: "db" });
  });
});

for (const engine of ENGINES as readonly Engine[]) {
  describe.skipIf(engine === "postgres" && !PG_URL)(`fangpin with a database [${engine}]`, () => {
    let url: string;
    let cleanup: () => Promise<void>;

    beforeAll(() => {
      ({ url, cleanup } = freshDatabaseUrl(engine));
    });
    afterAll(async () => {
      await cleanup();
    });

    it("migrates, and migrating again applies nothing", async () => {
      const first = await fangpin("migrate", "--db", url, "--json");
      expect(first.code).toBe(0);
      expect(jsonOf(first)).toEqual({ ok: true, engine, applied: MIGRATIONS });
      const again = await fangpin("migrate", "--db", url, "--json");
      expect(again.code).toBe(0);
      expect(jsonOf(again)).toEqual({ ok: true, engine, applied: [] });
    });

    it("loads 安远县, reporting progress on stderr", async () => {
      const run = await fangpin("regions", "load", "--province", "360726", "--db", url, "--json");
      expect(run.code, run.stderr).toBe(0);
      const body = jsonOf(run);
      expect(body).toMatchObject({ ok: true, loaded: 199 });
      expect(typeof body.seconds).toBe("number");
      expect(run.stderr).toContain("199");
    });

    it("shows a region with its children", async () => {
      const [run, provinceRun] = await Promise.all([
        fangpin("regions", "show", "360726", "--db", url, "--json"),
        fangpin("regions", "show", "36", "--db", url, "--json"),
      ]);
      expect(run.code, run.stderr).toBe(0);
      const view = jsonOf(run);
      expect(Object.keys(view).sort()).toEqual(["children", "code", "level", "name", "parent"]);
      expect(view).toMatchObject({
        code: "360726",
        name: "安远县",
        level: "county",
        parent: "3607",
      });
      const children = view.children as Record<string, unknown>[];
      expect(children).toHaveLength(19);
      for (const c of children) {
        expect(Object.keys(c).sort()).toEqual(["code", "name"]);
        expect(c.code).toMatch(/^360726\d{3}$/);
      }
      expect(children[0]).toEqual({ code: "360726100", name: "欣山镇" });

      const province = jsonOf(provinceRun);
      expect(province).toMatchObject({
        code: "36",
        name: "江西省",
        level: "province",
        parent: null,
      });
    });

    it("loads again without adding regions", async () => {
      const run = await fangpin("regions", "load", "--province", "360726", "--db", url, "--json");
      expect(run.code).toBe(0);
      expect(jsonOf(run)).toMatchObject({ ok: true, loaded: 199 });
      const view = jsonOf(await fangpin("regions", "show", "360726", "--db", url, "--json"));
      expect(view.children).toHaveLength(19);
    });

    it("reports an unknown region as an error object and exits non-zero", async () => {
      const [run, plain] = await Promise.all([
        fangpin("regions", "show", "999999", "--db", url, "--json"),
        fangpin("regions", "show", "999999", "--db", url),
      ]);
      expect(run.code).not.toBe(0);
      expect(run.code).toBe(1);
      expect(errorOf(run)).toMatchObject({ kind: "not_found", code: "region_not_found" });
      expect(plain.code).toBe(1);
      expect(plain.stdout).toBe("");
      expect(plain.stderr).toContain("999999");
    });

    it("refuses an invalid province prefix and a missing --province with exit 2", async () => {
      const [bad, missing] = await Promise.all([
        fangpin("regions", "load", "--province", "3607X", "--db", url, "--json"),
        fangpin("regions", "load", "--db", url, "--json"),
      ]);
      expect(bad.code).toBe(2);
      expect(errorOf(bad)).toMatchObject({
        kind: "invalid_data",
        code: "region_prefix_invalid",
        field: "province",
      });
      expect(missing.code).toBe(2);
      expect(errorOf(missing).code).toBe("usage");
    });
  });
}
