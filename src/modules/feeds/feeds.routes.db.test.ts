/**
 * The feed routes over HTTP: a department officer uploads a sample as the request body and
 * gets the load report; the household page's facts are read in scope only, with sensitive
 * values masked; village users cannot load.
 */
import { readFileSync } from "node:fs";
import ExcelJS from "exceljs";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { sampleHouseholds } from "../../../test/feed-samples.ts";
import { buildApp } from "../../server/app.ts";
import { SYSTEM_ACTOR } from "../auth/index.ts";

const PASSWORD = "correct horse 42";
const sample = (type: string) =>
  readFileSync(new URL(`../../../docs/formats/samples/${type}.csv`, import.meta.url));

describeEachEngine("feed routes", (database) => {
  let app: FastifyInstance;
  const cookies: Record<string, string> = {};
  let services: Awaited<ReturnType<typeof buildApp>>["services"];

  beforeAll(async () => {
    const built = await buildApp({ database: database(), webRoot: "/nonexistent" });
    app = built.app;
    services = built.services;
    await services.regions.load(SYSTEM_ACTOR, "360726");
    await services.registry.bulkCreate(SYSTEM_ACTOR, sampleHouseholds(), { source: "demo" });
    for (const [username, role, region] of [
      ["yibao", "department", "360726"],
      ["kongtian", "town", "360726101"],
      ["cunA", "village", "360726100201"],
      ["cunB", "village", "360726101201"],
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

  const upload = (user: string, type: string, body: Buffer, query = "") =>
    app.inject({
      method: "POST",
      url: `/api/feeds/${type}/loads?fileName=${encodeURIComponent(`${type}-10月.csv`)}${query}`,
      headers: { cookie: cookies[user]!, "content-type": "text/csv" },
      payload: body,
    });

  it("lists the feed types and loads an uploaded file", async () => {
    const types = await app.inject({ url: "/api/feeds", headers: { cookie: cookies.yibao! } });
    expect(types.statusCode).toBe(200);
    expect(types.json().items.map((t: { type: string }) => t.type)).toContain("medical");

    const dry = await upload("yibao", "medical", sample("medical"), "&dryRun=true");
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({ dryRun: true, committed: false, loadId: null });

    const res = await upload("yibao", "medical", sample("medical"));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      file: "medical-10月.csv",
      committed: true,
      rows: 3,
      matched: 2,
      unmatched: 1,
      facts: { created: 2, unchanged: 0, superseded: 0 },
      errors: [],
    });
    const loads = await app.inject({ url: "/api/feed-loads", headers: { cookie: cookies.yibao! } });
    expect(loads.json().items[0]).toMatchObject({ id: res.json().loadId, matched: 2 });
  });

  it("refuses loads by village users and unknown types", async () => {
    expect((await upload("cunA", "medical", sample("medical"))).statusCode).toBe(403);
    const unknown = await upload("yibao", "tax", sample("medical"));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBe("feed_type_unknown");
  });

  it("shows a household's facts with their source, masked, and only in scope", async () => {
    const own = await app.inject({
      url: "/api/households/360726100201S001/facts",
      headers: { cookie: cookies.cunA! },
    });
    expect(own.statusCode).toBe(200);
    const [fact] = own.json().items;
    expect(fact).toMatchObject({
      feedType: "medical",
      memberName: "王金华",
      effectiveFrom: "2026-10-09",
      current: true,
      source: { file: "medical-10月.csv", row: 3 },
    });
    const values = Object.fromEntries(
      fact.values.map((v: { label: string; value: unknown }) => [v.label, v.value]),
    );
    expect(values["合规自付费用(元)"]).toBe(38200.5);
    expect(values.诊断).toBe("***");
    expect(own.body).not.toContain("肺恶性肿瘤");
    const foreign = await app.inject({
      url: "/api/households/360726100201S001/facts",
      headers: { cookie: cookies.cunB! },
    });
    expect(foreign.statusCode).toBe(404);
  });

  it("reports a load by town with its anomalies and unmatched rows, in scope, and as Excel", async () => {
    const load = await upload("yibao", "death", sample("death"));
    expect(load.statusCode, load.body).toBe(200);
    const id = load.json().loadId;
    await services.monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    const county = await app.inject({
      url: `/api/feed-loads/${id}/report`,
      headers: { cookie: cookies.yibao! },
    });
    expect(county.statusCode, county.body).toBe(200);
    const report = county.json();
    expect(report.towns).toEqual([{ code: "360726101", name: "孔田镇", matched: 1, anomalies: 1 }]);
    expect(report.anomalies).toEqual([
      expect.objectContaining({
        householdNumber: "360726101201S003",
        ruleId: "feed.deceased_still_listed",
        sources: "death-10月.csv 第 2 行",
      }),
    ]);
    expect(report.unmatched).toEqual([
      expect.objectContaining({ row: 3, outcome: "unmatched", name: "周文斌" }),
    ]);
    expect(report.unmatched[0].idNumber).toContain("*");
    // A town below the loader sees its own rows, not the unmatched ones of the whole county.
    const town = await app.inject({
      url: `/api/feed-loads/${id}/report`,
      headers: { cookie: cookies.kongtian! },
    });
    expect(town.statusCode).toBe(200);
    expect(town.json().matched).toHaveLength(1);
    expect(town.json().unmatched).toEqual([]);
    // A village user may not read reports at all.
    const village = await app.inject({
      url: `/api/feed-loads/${id}/report`,
      headers: { cookie: cookies.cunA! },
    });
    expect(village.statusCode).toBe(403);

    const xlsx = await app.inject({
      url: `/api/feed-loads/${id}/report.xlsx`,
      headers: { cookie: cookies.yibao! },
    });
    expect(xlsx.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(["汇总", "预警", "已匹配", "未匹配"]);
    expect(wb.getWorksheet("预警")!.getRow(3).values).toContain("feed.deceased_still_listed");
    expect((wb.getWorksheet("汇总")!.getRow(3).values as unknown[]).slice(1)).toEqual([
      "360726101",
      "孔田镇",
      1,
      1,
    ]);
  });

  it("offers a template with the feed's headers and a 填写说明 sheet; a filled copy loads", async () => {
    const res = await app.inject({
      url: "/api/feeds/disability/template.xlsx",
      headers: { cookie: cookies.yibao! },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["content-disposition"]).toContain(
      encodeURIComponent("残疾人证办理模板.xlsx"),
    );
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const [sheet, notes] = wb.worksheets;
    const types = await app.inject({ url: "/api/feeds", headers: { cookie: cookies.yibao! } });
    const def = (
      types.json().items as { type: string; columns: { header: string; required: boolean }[] }[]
    ).find((t) => t.type === "disability")!;
    expect((sheet!.getRow(1).values as unknown[]).slice(1)).toEqual(
      def.columns.map((c) => c.header),
    );
    expect(sheet!.rowCount).toBe(1);
    expect(notes!.name).toBe("填写说明");
    const grade = notes!
      .getRows(3, def.columns.length)!
      .find((r) => r.getCell(1).value === "残疾等级");
    expect(grade!.getCell(4).value).toBe("一级、二级、三级、四级");

    // The department fills it in with one certificate of the sample file and uploads it.
    const row = sample("disability")
      .toString("utf8")
      .replace(/^\uFEFF/, "")
      .split("\n")[1]!;
    const byHeader = new Map(
      sample("disability")
        .toString("utf8")
        .replace(/^\uFEFF/, "")
        .split("\n")[0]!
        .split(",")
        .map((h, i) => [h.trim(), row.split(",")[i]!.trim()]),
    );
    sheet!.addRow(def.columns.map((c) => byHeader.get(c.header) ?? null));
    const filled = Buffer.from(await wb.xlsx.writeBuffer());
    const loaded = await app.inject({
      method: "POST",
      url: `/api/feeds/disability/loads?fileName=${encodeURIComponent("残联-模板.xlsx")}`,
      headers: {
        cookie: cookies.yibao!,
        "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      },
      payload: filled,
    });
    expect(loaded.statusCode, loaded.body).toBe(200);
    expect(loaded.json()).toMatchObject({ rows: 1, rejected: 0, errors: [] });

    const unknown = await app.inject({
      url: "/api/feeds/nosuch/template.xlsx",
      headers: { cookie: cookies.yibao! },
    });
    expect(unknown.statusCode).toBe(400);
  });

  it("withdraws a load over HTTP with a reason; the list shows who withdrew it and why", async () => {
    const res = await upload("yibao", "vehicle", sample("vehicle"));
    const id = res.json().loadId as number;
    const withdraw = (user: string, reason: string) =>
      app.inject({
        method: "POST",
        url: `/api/feed-loads/${id}/withdraw`,
        headers: { cookie: cookies[user]! },
        payload: { reason },
      });
    expect((await withdraw("cunA", "村里撤销")).statusCode).toBe(403);
    const empty = await withdraw("yibao", "");
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ error: { code: "reason_required" } });

    const done = await withdraw("yibao", "上传错了文件");
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({
      loadId: id,
      feedType: "vehicle",
      ended: res.json().facts.created,
      restored: 0,
      signalsRefreshed: true,
    });
    expect(done.json().households).toBeGreaterThan(0);
    const load = await app.inject({
      url: `/api/feed-loads/${id}`,
      headers: { cookie: cookies.yibao! },
    });
    expect(load.json().withdrawn).toMatchObject({ by: "yibao", reason: "上传错了文件" });
    expect((await withdraw("yibao", "再来一次")).statusCode).toBe(409);
  });
});
