import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import { CASE_TYPES } from "../../core/workflow.ts";
import { actorOf } from "../../server/auth-plugin.ts";
import type { Services } from "../../server/services.ts";
import {
  advanceInput,
  attachmentQuery,
  batchInput,
  caseDetail,
  caseList,
  caseListQuery,
  closeInput,
  guardReport,
  noticeBatchInput,
  noticeBatchView,
  objectionStatusView,
  objectionView,
  openCaseInput,
  resolveObjectionInput,
  sendBackInput,
} from "./cases.schema.ts";
import { ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES } from "./file-store.ts";
import { messagePage, printPage, receiptPage, villageNoticesPage } from "./notice.html.ts";

const caseParams = z.object({ caseNumber: z.string().min(1).max(40) });
const batchParams = z.object({ batchId: z.coerce.number().int().positive() });
const villageParams = z.object({
  villageCode: z.string().regex(/^\d{12}$/, "行政村代码应为 12 位数字"),
});

export function registerCasesRoutes(app: FastifyInstance, services: Services) {
  // Its own context, so that the raw-upload content types concern these routes only.
  app.register(async (scope) => {
    scope.addContentTypeParser(
      ATTACHMENT_TYPES,
      { parseAs: "buffer", bodyLimit: MAX_ATTACHMENT_BYTES },
      (_req, body, done) => done(null, body),
    );
    const r = scope.withTypeProvider<ZodTypeProvider>();
    const cases = services.cases;
    const tags = ["cases"];

    r.get(
      "/api/cases",
      {
        schema: {
          tags,
          summary: "案件列表（限本人辖区；可按步骤、逾期筛选）",
          querystring: caseListQuery,
          response: { 200: caseList },
        },
      },
      async (req) => cases.list(actorOf(req), req.query),
    );

    r.post(
      "/api/cases",
      {
        schema: {
          tags,
          summary: "立案（识别、风险消除、退出、更正、迁移、注销…）；不符合条件时说明理由",
          body: openCaseInput,
          response: { 200: caseDetail },
        },
      },
      async (req) => cases.open(actorOf(req), req.body),
    );

    r.get(
      "/api/households/:householdNumber/case-check",
      {
        schema: {
          tags,
          summary: "预查：该户办理某类案件是否符合条件（含理由）",
          params: z.object({ householdNumber: z.string().min(1).max(40) }),
          querystring: z.object({
            type: z.enum(CASE_TYPES),
            category: z.string().max(30).optional(),
          }),
          response: { 200: guardReport },
        },
      },
      async (req) =>
        cases.check(actorOf(req), req.params.householdNumber, req.query.type, req.query.category),
    );

    r.post(
      "/api/cases/approve",
      {
        schema: {
          tags,
          summary: "批量审定（全部符合条件才办理，否则逐案说明理由）",
          body: batchInput,
          response: { 200: z.object({ cases: z.array(z.string()) }) },
        },
      },
      async (req) => cases.approveMany(actorOf(req), req.body.cases, req.body),
    );

    r.post(
      "/api/cases/announce",
      {
        schema: {
          tags,
          summary: "批量公告（按村生成公告，户信息随之变更）",
          body: batchInput,
          response: { 200: z.object({ cases: z.array(z.string()) }) },
        },
      },
      async (req) => cases.announceMany(actorOf(req), req.body.cases, req.body),
    );

    r.get(
      "/api/cases/:caseNumber",
      {
        schema: {
          tags,
          summary: "案件详情（步骤、记录、异议、附件、可执行的操作）",
          params: caseParams,
          response: { 200: caseDetail },
        },
      },
      async (req) => cases.get(actorOf(req), req.params.caseNumber),
    );

    r.post(
      "/api/cases/:caseNumber/advance",
      {
        schema: {
          tags,
          summary: "办结当前步骤，进入下一步（公示步骤：先张贴，期满后办结）",
          params: caseParams,
          body: advanceInput,
          response: { 200: caseDetail },
        },
      },
      async (req) => cases.advance(actorOf(req), req.params.caseNumber, req.body),
    );

    r.post(
      "/api/cases/:caseNumber/send-back",
      {
        schema: {
          tags,
          summary: "退回上一步（或之前的某一步），须说明理由",
          params: caseParams,
          body: sendBackInput,
          response: { 200: caseDetail },
        },
      },
      async (req) => cases.sendBack(actorOf(req), req.params.caseNumber, req.body),
    );

    for (const [path, as, summary] of [
      ["reject", "rejected", "不予通过（须说明理由）"],
      ["withdraw", "withdrawn", "撤销案件（须说明理由）"],
    ] as const) {
      r.post(
        `/api/cases/:caseNumber/${path}`,
        {
          schema: {
            tags,
            summary,
            params: caseParams,
            body: closeInput,
            response: { 200: caseDetail },
          },
        },
        async (req) => cases.close(actorOf(req), req.params.caseNumber, as, req.body),
      );
    }

    r.post(
      "/api/cases/:caseNumber/attachments",
      {
        schema: {
          tags,
          summary: "上传附件（请求体为文件本身：JPEG、PNG 或 PDF，不超过 10 MB）",
          params: caseParams,
          querystring: attachmentQuery,
          response: { 200: z.object({ id: z.number(), sha256: z.string() }) },
        },
      },
      async (req) => {
        const data = req.body;
        if (!Buffer.isBuffer(data))
          throw new AppError("invalid_data", "请求体应为附件文件本身", {
            field: "file",
            code: "attachment_type",
          });
        return cases.attach(actorOf(req), req.params.caseNumber, {
          kind: req.query.kind,
          name: req.query.name,
          mime: String(req.headers["content-type"] ?? ""),
          data,
        });
      },
    );

    r.get(
      "/api/attachments/:attachmentId",
      {
        schema: {
          tags,
          summary: "下载附件",
          params: z.object({ attachmentId: z.coerce.number().int().positive() }),
        },
      },
      async (req, reply) => {
        const a = await cases.attachment(actorOf(req), req.params.attachmentId);
        return reply
          .type(a.mime)
          .header("content-disposition", `inline; filename*=UTF-8''${encodeURIComponent(a.name)}`)
          .send(a.data);
      },
    );

    r.get(
      "/api/notice-batches",
      {
        schema: {
          tags,
          summary: "公示、公告批次（限本人辖区）",
          querystring: z.object({
            region: z
              .string()
              .regex(/^\d{2,12}$/)
              .optional(),
          }),
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  id: z.number(),
                  kind: z.string(),
                  caseType: z.string(),
                  villageCode: z.string(),
                  title: z.string(),
                  startsOn: z.string(),
                  endsOn: z.string(),
                  active: z.boolean(),
                }),
              ),
            }),
          },
        },
      },
      async (req) => ({ items: await cases.batches(actorOf(req), req.query.region) }),
    );

    r.post(
      "/api/notice-batches",
      {
        schema: {
          tags,
          summary: "张贴一个村的公示（所选案件均在公示步骤），公示期从今天起",
          body: noticeBatchInput,
          response: { 200: noticeBatchView },
        },
      },
      async (req) => cases.postNotice(actorOf(req), req.body),
    );

    r.get(
      "/api/notice-batches/:batchId",
      {
        schema: {
          tags,
          summary: "公示或公告的内容（与张贴的一致）",
          params: batchParams,
          response: { 200: noticeBatchView },
        },
      },
      async (req) => cases.batch(actorOf(req), req.params.batchId),
    );

    r.get(
      "/api/notice-batches/:batchId/print",
      {
        schema: { tags, summary: "打印公示或公告（A4 网页）", params: batchParams },
      },
      async (req, reply) =>
        reply
          .type("text/html; charset=utf-8")
          .send(printPage(await cases.batch(actorOf(req), req.params.batchId))),
    );

    r.get(
      "/api/notice-batches/:batchId/objections",
      {
        schema: {
          tags,
          summary: "公示收到的异议",
          params: batchParams,
          response: { 200: z.object({ items: z.array(objectionView) }) },
        },
      },
      async (req) => ({ items: await cases.batchObjections(actorOf(req), req.params.batchId) }),
    );

    r.post(
      "/api/objections/:objectionId/resolve",
      {
        schema: {
          tags,
          summary: "处理异议（成立：退回公示前一步；不成立：案件恢复办理）",
          params: z.object({ objectionId: z.coerce.number().int().positive() }),
          body: resolveObjectionInput,
          response: { 200: z.object({ case: caseDetail.nullable() }) },
        },
      },
      async (req) => ({
        case: await cases.resolveObjection(actorOf(req), req.params.objectionId, req.body),
      }),
    );
  });
}

const wantsHtml = (req: FastifyRequest) =>
  String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");

/**
 * The public pages, without sign-in: a village's notices and announcements, and the form to
 * object to a notice (which answers with a receipt number).
 */
export function registerNoticeRoutes(app: FastifyInstance, services: Services) {
  app.register(async (scope) => {
    scope.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string", bodyLimit: 64 * 1024 },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    const r = scope.withTypeProvider<ZodTypeProvider>();
    const html = (reply: FastifyReply, status: number, body: string) =>
      reply
        .code(status)
        .type("text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .send(body);

    r.get(
      "/notices/:villageCode",
      {
        schema: {
          tags: ["public"],
          summary: "村公示公告页（无需登录）",
          params: villageParams,
        },
      },
      async (req, reply) => {
        const notices = await services.cases.publicNotices(req.params.villageCode);
        if (!notices)
          return html(reply, 404, messagePage("没有这个村", "请核对网址中的行政村代码。"));
        return html(reply, 200, villageNoticesPage(notices.villageName ?? "", notices.batches));
      },
    );

    r.get(
      "/notices/receipt",
      {
        schema: {
          tags: ["public"],
          summary:
            "按回执号查询异议办理情况（无需登录；只显示状态和处理结果）。Accept: application/json 时返回 JSON",
          querystring: z.object({ number: z.string().max(40).optional() }),
          response: { 200: objectionStatusView },
        },
      },
      async (req, reply) => {
        const asJson =
          String(req.headers.accept ?? "").includes("application/json") &&
          !String(req.headers.accept ?? "").includes("text/html");
        const number = req.query.number?.trim() ?? "";
        if (asJson) return services.cases.objectionStatus(number);
        if (!number) return html(reply, 200, receiptPage(null));
        try {
          return html(
            reply,
            200,
            receiptPage(await services.cases.objectionStatus(number), number),
          );
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          return html(
            reply,
            e.kind === "not_found" ? 404 : 400,
            receiptPage(null, number, e.message.replace(/^[\w.]+：/, "")),
          );
        }
      },
    );

    r.post(
      "/notices/:villageCode/objections",
      {
        schema: {
          tags: ["public"],
          summary: "对公示提出异议（无需登录），返回回执号",
          params: villageParams,
        },
      },
      async (req, reply) => {
        const back = `/notices/${req.params.villageCode}`;
        try {
          const r = await services.cases.object(req.params.villageCode, req.body);
          if (wantsHtml(req))
            return html(
              reply,
              200,
              messagePage(
                "异议已收到",
                `您对“${r.title}”提出的异议已收到，回执号：${r.receipt}。村民委员会将调查核实并答复，请保存回执号；凭回执号可在公示页查询办理情况。`,
                back,
              ),
            );
          return reply.send({ receipt: r.receipt });
        } catch (e) {
          if (e instanceof AppError && wantsHtml(req))
            return html(
              reply,
              e.kind === "not_found" ? 404 : 400,
              messagePage("未能提交", e.message, back),
            );
          throw e;
        }
      },
    );
  });
}
