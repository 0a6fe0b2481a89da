import { PassThrough, type Readable } from "node:stream";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { invalid } from "../../core/errors.ts";
import { actorOf } from "../../server/auth-plugin.ts";
import type { Services } from "../../server/services.ts";
import {
  comparisonReportView,
  factView,
  feedDefinitionView,
  feedTypeParams,
  householdParams,
  loadParams,
  loadReport,
  loadView,
  uploadQuery,
  withdrawalView,
  withdrawBody,
} from "./feeds.schema.ts";

/** Content types accepted as a raw file body (as the national import's upload). */
const UPLOAD_TYPES = [
  "application/octet-stream",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.ms-excel",
  "text/csv",
];

function headerFileName(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

const presentLoad = (r: Awaited<ReturnType<Services["feeds"]["loads"]>>[number]) => ({
  id: Number(r.id),
  feedType: r.feed_type,
  fileName: r.file_name,
  fileHash: r.file_hash,
  loadedAt: r.loaded_at,
  actorName: r.actor_name,
  regionCode: r.region_code,
  rows: r.rows,
  matched: r.matched,
  unmatched: r.unmatched,
  ambiguous: r.ambiguous,
  facts: { created: r.created, unchanged: r.unchanged, superseded: r.superseded },
  withdrawn:
    r.withdrawn_at === null
      ? null
      : { at: r.withdrawn_at, by: r.withdrawn_by ?? "", reason: r.withdraw_reason ?? "" },
});

/** Streams a workbook as a download named `fileName` (the Chinese name kept for browsers). */
function sendXlsx(
  reply: FastifyReply,
  { fileName, write }: { fileName: string; write: (out: PassThrough) => Promise<void> },
) {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, "_");
  reply
    .type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    .header(
      "content-disposition",
      `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
    )
    .header("cache-control", "no-store");
  const body = new PassThrough();
  write(body).catch((e: unknown) => body.destroy(e instanceof Error ? e : new Error(String(e))));
  return reply.send(body);
}

export function registerFeedsRoutes(app: FastifyInstance, services: Services) {
  app.register(async (scope) => {
    scope.addContentTypeParser(UPLOAD_TYPES, (_req, payload, done) => done(null, payload));
    const r = scope.withTypeProvider<ZodTypeProvider>();
    const feeds = services.feeds;
    const tags = ["feeds"];

    r.get(
      "/api/feeds",
      {
        schema: {
          tags,
          summary: "部门数据类型及其列（来自政策文件）",
          response: { 200: z.object({ items: z.array(feedDefinitionView) }) },
        },
      },
      async (req) => ({
        items: Object.entries(feeds.definitions(actorOf(req))).map(([type, d]) => ({
          type,
          name: d.name,
          department: d.department,
          fact: d.fact,
          columns: d.columns.map((c) => ({
            key: c.key,
            header: c.header,
            kind: c.kind,
            required: c.required,
          })),
        })),
      }),
    );

    r.post(
      "/api/feeds/:type/loads",
      {
        schema: {
          tags,
          summary:
            "上传一个部门数据文件（xlsx 或 csv，请求体即文件）：逐行检查、按证件号码比对并保存为事实",
          params: feedTypeParams,
          querystring: uploadQuery,
          response: { 200: loadReport },
        },
      },
      async (req) => {
        const body = req.body as Readable | undefined;
        if (!body || typeof body.pipe !== "function")
          throw invalid(
            `请把文件本身作为请求体上传（Content-Type 为 ${UPLOAD_TYPES.join("、")} 之一）`,
            { code: "upload_missing" },
          );
        const fileName =
          req.query.fileName ?? headerFileName(req.headers["x-file-name"]) ?? "upload.csv";
        return feeds.upload(
          actorOf(req),
          req.params.type,
          { body, fileName },
          { dryRun: req.query.dryRun === "true" },
        );
      },
    );

    r.get(
      "/api/feed-loads",
      {
        schema: {
          tags,
          summary: "最近的部门数据导入批次（本辖区及上级的）",
          response: { 200: z.object({ items: z.array(loadView) }) },
        },
      },
      async (req) => ({ items: (await feeds.loads(actorOf(req))).map(presentLoad) }),
    );

    r.get(
      "/api/feed-loads/:id",
      {
        schema: { tags, summary: "一个导入批次", params: loadParams, response: { 200: loadView } },
      },
      async (req) => presentLoad(await feeds.loadRecord(actorOf(req), req.params.id)),
    );

    r.post(
      "/api/feed-loads/:id/withdraw",
      {
        schema: {
          tags,
          summary:
            "撤销一个导入批次：本批次的事实失效，被它取代的事实恢复有效，相关农户重新筛查（需填写原因）",
          params: loadParams,
          body: withdrawBody,
          response: { 200: withdrawalView },
        },
      },
      async (req) => {
        const done = await feeds.withdraw(actorOf(req), req.params.id, req.body.reason);
        return {
          loadId: done.loadId,
          feedType: done.feedType,
          ended: done.ended,
          restored: done.restored,
          households: done.households.length,
          signalsRefreshed: done.signals.done,
        };
      },
    );

    r.get(
      "/api/feed-loads/:id/report",
      {
        schema: {
          tags,
          summary: "比对报告：按乡镇的匹配数与预警、已匹配、未匹配和预警明细（本辖区）",
          params: loadParams,
          response: { 200: comparisonReportView },
        },
      },
      async (req) => feeds.report(actorOf(req), req.params.id),
    );

    r.get(
      "/api/feed-loads/:id/report.xlsx",
      {
        schema: { tags, summary: "下载比对报告（Excel，供乡镇核实）", params: loadParams },
      },
      async (req, reply) => sendXlsx(reply, await feeds.reportXlsx(actorOf(req), req.params.id)),
    );

    r.get(
      "/api/feeds/:type/template.xlsx",
      {
        schema: {
          tags,
          summary: "下载该类部门数据的 Excel 模板（表头与填写说明）",
          params: feedTypeParams,
        },
      },
      async (req, reply) => sendXlsx(reply, feeds.template(actorOf(req), req.params.type)),
    );

    r.get(
      "/api/households/:householdNumber/facts",
      {
        schema: {
          tags,
          summary: "一户的部门数据事实（含已被取代的），敏感值已遮盖",
          params: householdParams,
          response: { 200: z.object({ items: z.array(factView) }) },
        },
      },
      async (req) => ({
        items: await feeds.householdFacts(actorOf(req), req.params.householdNumber),
      }),
    );
  });
}
