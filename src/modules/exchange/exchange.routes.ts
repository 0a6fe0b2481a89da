import { PassThrough, type Readable } from "node:stream";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { invalid } from "../../core/errors.ts";
import { actorOf } from "../../server/auth-plugin.ts";
import type { Services } from "../../server/services.ts";
import {
  exportQuery,
  historyQuery,
  importHistoryView,
  importJobView,
  importQuery,
  jobParams,
  UPLOAD_TYPES,
} from "./exchange.schema.ts";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/** Content-Disposition with the UTF-8 file name (and an ASCII fallback for old clients). */
function attachment(reply: FastifyReply, fileName: string, type: string) {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  reply
    .type(type)
    .header(
      "content-disposition",
      `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
    )
    .header("cache-control", "no-store");
}

/** Streams what `write` produces; an error after the first byte ends the download. */
function stream(write: (out: PassThrough) => Promise<unknown>): PassThrough {
  const body = new PassThrough();
  write(body).catch((e: unknown) => body.destroy(e instanceof Error ? e : new Error(String(e))));
  return body;
}

function headerFileName(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

export function registerExchangeRoutes(app: FastifyInstance, services: Services) {
  // Its own context, so that the raw-upload content types concern these routes only.
  app.register(async (scope) => {
    scope.addContentTypeParser(UPLOAD_TYPES, (_req, payload, done) => done(null, payload));
    const r = scope.withTypeProvider<ZodTypeProvider>();
    const exchange = services.exchange;
    const tags = ["exchange"];

    r.post(
      "/api/imports",
      {
        schema: {
          tags,
          summary:
            "上传国家监测系统导出的监测对象信息表（xlsx 或 csv，请求体即文件）并开始检查；默认只检查不写入",
          querystring: importQuery,
          response: { 202: importJobView },
        },
      },
      async (req, reply) => {
        const actor = actorOf(req);
        const body = req.body as Readable | undefined;
        if (!body || typeof (body as Readable).pipe !== "function")
          throw invalid(
            `请把文件本身作为请求体上传（Content-Type 为 ${UPLOAD_TYPES.join("、")} 之一）`,
            { code: "upload_missing" },
          );
        const fileName =
          req.query.fileName ?? headerFileName(req.headers["x-file-name"]) ?? "upload.xlsx";
        const job = await exchange.startImport(
          actor,
          { body, fileName },
          {
            dryRun: req.query.dryRun !== "false",
            atomic: req.query.atomic,
            county: req.query.county,
          },
        );
        return reply.code(202).send(job);
      },
    );

    r.get(
      "/api/import-history",
      {
        schema: {
          tags,
          summary: "导入记录：本辖区内写入了户籍数据的导入（最新的在前；只检查未写入的不列出）",
          querystring: historyQuery,
          response: { 200: importHistoryView },
        },
      },
      async (req) => exchange.history(actorOf(req), req.query),
    );

    r.get(
      "/api/imports/:id",
      {
        schema: {
          tags,
          summary: "导入任务的进度和检查报告",
          params: jobParams,
          response: { 200: importJobView },
        },
      },
      async (req) => exchange.job(actorOf(req), req.params.id),
    );

    r.post(
      "/api/imports/:id/confirm",
      {
        schema: {
          tags,
          summary: "确认导入：把检查过的文件正式写入",
          params: jobParams,
          response: { 202: importJobView },
        },
      },
      async (req, reply) => reply.code(202).send(exchange.confirm(actorOf(req), req.params.id)),
    );

    r.get(
      "/api/imports/:id/annotated.xlsx",
      {
        schema: {
          tags,
          summary: "下载标注了问题的工作簿（问题单元格标红，并加“问题说明”列）",
          params: jobParams,
        },
      },
      async (req, reply) => {
        const { fileName, write } = exchange.annotated(actorOf(req), req.params.id);
        attachment(reply, fileName, XLSX);
        return reply.send(stream(write));
      },
    );

    r.get(
      "/api/exports/national",
      {
        schema: {
          tags,
          summary: "按国家监测系统格式导出一个区划（村、乡镇、县…）的监测对象信息",
          querystring: exportQuery,
        },
      },
      async (req, reply) => {
        const plan = await exchange.planExport(actorOf(req), req.query);
        attachment(
          reply,
          plan.fileName,
          req.query.format === "csv" ? "text/csv; charset=utf-8" : XLSX,
        );
        return reply.send(stream(plan.write));
      },
    );
  });
}
