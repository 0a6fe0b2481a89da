/**
 * The import and export routes over HTTP: upload a file as the request body, poll the job,
 * download the annotated workbook, confirm, download an export — each only for its own user and
 * region.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ExcelJS from "exceljs";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { household, VILLAGE_A, VILLAGE_B } from "../../../test/factories.ts";
import {
  FIRST_ROW,
  KONGTIAN_XIAWEI,
  nationalRows,
  writeWorkbook,
  XINSHAN_XIUTIAN,
} from "../../../test/national-files.ts";
import { buildApp } from "../../server/app.ts";
import { SYSTEM_ACTOR } from "../auth/index.ts";

const PASSWORD = "correct horse 42";
const dir = mkdtempSync(join(tmpdir(), "fangpin-exchange-http-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeEachEngine("exchange routes", (database) => {
  let app: FastifyInstance;
  const cookies: Record<string, string> = {};

  beforeAll(async () => {
    const built = await buildApp({ database: database(), webRoot: "/nonexistent" });
    app = built.app;
    const { services } = built;
    await services.regions.load(SYSTEM_ACTOR, "360726");
    await services.registry.bulkCreate(
      SYSTEM_ACTOR,
      [household(VILLAGE_A, { seed: 801 }), household(VILLAGE_B, { seed: 802 })],
      { source: "demo" },
    );
    for (const [username, role, region] of [
      ["xian", "county", "360726"],
      ["cunA", "village", VILLAGE_A],
    ] as const) {
      await services.auth.addUser({ username, password: PASSWORD, role, region }, SYSTEM_ACTOR);
      const res = await app.inject({
        method: "POST",
        url: "/api/auth/login",
        payload: { username, password: PASSWORD },
      });
      cookies[username] =
        `fangpin_session=${res.cookies.find((c) => c.name === "fangpin_session")!.value}`;
    }
  });
  afterAll(async () => {
    await app?.close();
  });

  async function upload(user: string, path: string, query = "") {
    return app.inject({
      method: "POST",
      url: `/api/imports?fileName=${encodeURIComponent("安远县.xlsx")}${query}`,
      headers: { cookie: cookies[user]!, "content-type": "application/octet-stream" },
      payload: readFileSync(path),
    });
  }

  async function settled(user: string, id: string) {
    for (let i = 0; i < 600; i++) {
      const res = await app.inject({
        url: `/api/imports/${id}`,
        headers: { cookie: cookies[user]! },
      });
      expect(res.statusCode).toBe(200);
      const job = res.json();
      if (job.status !== "running") return job;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error("the import did not finish");
  }

  it("checks an upload, offers the annotated workbook, and imports it on confirmation", async () => {
    const good = household(VILLAGE_A, { seed: 811 });
    const bad = household(VILLAGE_B, { seed: 812 });
    const rows = [...nationalRows(good, XINSHAN_XIUTIAN), ...nationalRows(bad, KONGTIAN_XIAWEI)];
    rows[3]!.证件号码 = "3607261980";
    const path = join(dir, "upload.xlsx");
    await writeWorkbook(path, rows);

    const started = await upload("xian", path);
    expect(started.statusCode).toBe(202);
    const { id } = started.json();
    const checked = await settled("xian", id);
    expect(checked).toMatchObject({
      status: "done",
      dryRun: true,
      confirmed: false,
      fileName: "安远县.xlsx",
      progress: { phase: "done", fraction: 1 },
      report: {
        committed: false,
        households: { created: 1, rejected: 1 },
        errors: [
          {
            row: FIRST_ROW + 3,
            column: "证件号码",
            code: "id_number_length",
            household: bad.household.householdNumber,
            severity: "error",
          },
        ],
      },
    });
    const list = await app.inject({
      url: `/api/households?q=${good.household.householdNumber}`,
      headers: { cookie: cookies.xian! },
    });
    expect(list.json().items).toEqual([]);

    const annotated = await app.inject({
      url: `/api/imports/${id}/annotated.xlsx`,
      headers: { cookie: cookies.xian! },
    });
    expect(annotated.statusCode).toBe(200);
    expect(annotated.headers["content-disposition"]).toContain("filename*=UTF-8''");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(annotated.rawPayload as unknown as ArrayBuffer);
    expect(wb.worksheets[0]!.getRow(3).values).toContain("问题说明");

    // Someone else cannot see, confirm or download the job.
    for (const [method, url] of [
      ["GET", `/api/imports/${id}`],
      ["POST", `/api/imports/${id}/confirm`],
      ["GET", `/api/imports/${id}/annotated.xlsx`],
    ] as const) {
      const res = await app.inject({ method, url, headers: { cookie: cookies.cunA! } });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }

    const confirmed = await app.inject({
      method: "POST",
      url: `/api/imports/${id}/confirm`,
      headers: { cookie: cookies.xian! },
    });
    expect(confirmed.statusCode).toBe(202);
    const applied = await settled("xian", id);
    expect(applied).toMatchObject({
      status: "done",
      dryRun: false,
      confirmed: true,
      report: { committed: true, households: { created: 1, rejected: 1 } },
    });
    const again = await app.inject({
      method: "POST",
      url: `/api/imports/${id}/confirm`,
      headers: { cookie: cookies.xian! },
    });
    expect(again.statusCode).toBe(409);
    const detail = await app.inject({
      url: `/api/households/${good.household.householdNumber}`,
      headers: { cookie: cookies.xian! },
    });
    expect(detail.statusCode).toBe(200);

    // The import history lists it for the county (the check alone wrote nothing: not listed).
    const history = await app.inject({
      url: "/api/import-history?limit=5",
      headers: { cookie: cookies.xian! },
    });
    expect(history.statusCode).toBe(200);
    expect(history.json().items).toHaveLength(1);
    expect(history.json().items[0]).toMatchObject({
      actor: "xian",
      region: "360726",
      file: "安远县.xlsx",
      households: { created: 1, rejected: 1 },
    });
    const villageView = await app.inject({
      url: "/api/import-history",
      headers: { cookie: cookies.cunA! },
    });
    expect(villageView.json().items).toEqual([]);
    const badLimit = await app.inject({
      url: "/api/import-history?limit=0",
      headers: { cookie: cookies.xian! },
    });
    expect(badLimit.statusCode).toBe(400);
  });

  it("makes a village user's rows of other villages errors", async () => {
    const mine = household(VILLAGE_A, { seed: 821 });
    const theirs = household(VILLAGE_B, { seed: 822 });
    const path = join(dir, "village.xlsx");
    await writeWorkbook(path, [
      ...nationalRows(mine, XINSHAN_XIUTIAN),
      ...nationalRows(theirs, KONGTIAN_XIAWEI),
    ]);
    const { id } = (await upload("cunA", path)).json();
    const job = await settled("cunA", id);
    expect(job.report.households).toMatchObject({ created: 1, rejected: 1 });
    expect(job.report.errors.map((e: { code: string }) => e.code)).toEqual([
      "village_out_of_scope",
    ]);
  });

  it("refuses uploads that are not files, and bad parameters", async () => {
    const json = await app.inject({
      method: "POST",
      url: "/api/imports",
      headers: { cookie: cookies.xian!, "content-type": "application/json" },
      payload: { file: "x" },
    });
    expect(json.statusCode).toBe(400);
    const empty = await app.inject({
      method: "POST",
      url: "/api/imports",
      headers: { cookie: cookies.xian!, "content-type": "application/octet-stream" },
      payload: Buffer.alloc(0),
    });
    expect(empty.statusCode).toBe(400);
    const county = await upload("xian", join(dir, "upload.xlsx"), "&county=999999");
    expect(county.statusCode).toBe(400);
    const anonymous = await app.inject({ method: "POST", url: "/api/imports" });
    expect(anonymous.statusCode).toBe(401);
  });

  it("streams an export of a region in scope, and answers 404 outside it", async () => {
    const res = await app.inject({
      url: `/api/exports/national?region=${VILLAGE_A}&format=csv`,
      headers: { cookie: cookies.cunA! },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/csv");
    const text = res.body.replace(/^\ufeff/, "");
    expect(text.split("\r\n")[0]).toBe("监测对象信息");
    expect(text).toContain("修田村");
    expect(text).not.toContain("下魏村");
    const xlsx = await app.inject({
      url: "/api/exports/national?region=360726",
      headers: { cookie: cookies.xian! },
    });
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers["content-type"]).toContain("spreadsheetml");
    for (const region of ["360726", VILLAGE_B]) {
      const out = await app.inject({
        url: `/api/exports/national?region=${region}`,
        headers: { cookie: cookies.cunA! },
      });
      expect(out.statusCode, region).toBe(404);
    }
  });
});
