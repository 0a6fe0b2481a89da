/** HTTP adapter of assistance: cadres, pairings, plans, measures, visits, work teams, coverage, card. */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { actorOf } from "../../server/auth-plugin.ts";
import type { Services } from "../../server/services.ts";
import {
  attendanceInput,
  CADRE_STATUSES,
  cadreChange,
  cadreInput,
  cadreView,
  coverageView,
  householdBrief,
  measureChange,
  measureInput,
  measureView,
  overdueItem,
  pairInput,
  pairingView,
  planInput,
  planView,
  teamMemberInput,
  teamReport,
  unpairInput,
  visitInput,
} from "./assistance.schema.ts";
import { CARD_SIZES, cardPage } from "./card.html.ts";

const householdParams = z.object({ householdNumber: z.string().min(1).max(40) });
const id = (name: string) => z.object({ [name]: z.coerce.number().int().positive() });

export function registerAssistanceRoutes(app: FastifyInstance, services: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const a = services.assistance;
  const tags = ["assistance"];

  r.get(
    "/api/assistance/cadres",
    {
      schema: {
        tags,
        summary: "帮扶干部（本级、下级和上级管理的）及结对数、结对名额",
        querystring: z.object({ status: z.enum(CADRE_STATUSES).optional() }),
        response: { 200: z.object({ items: z.array(cadreView) }) },
      },
    },
    async (req) => ({ items: await a.cadres(actorOf(req), req.query) }),
  );

  r.post(
    "/api/assistance/cadres",
    { schema: { tags, summary: "新增帮扶干部", body: cadreInput, response: { 200: cadreView } } },
    async (req) => a.addCadre(actorOf(req), req.body),
  );

  r.get(
    "/api/assistance/cadres/:cadreId",
    {
      schema: {
        tags,
        summary: "帮扶干部及其结对记录（限本人辖区的农户）",
        params: id("cadreId"),
        response: { 200: z.object({ cadre: cadreView, pairings: z.array(pairingView) }) },
      },
    },
    async (req) => a.cadre(actorOf(req), req.params.cadreId as number),
  );

  r.patch(
    "/api/assistance/cadres/:cadreId",
    {
      schema: {
        tags,
        summary: "修改帮扶干部；离职、调动时结束其结对，农户进入重新结对清单",
        params: id("cadreId"),
        body: cadreChange,
        response: {
          200: z.object({
            cadre: cadreView,
            pairings: z.array(pairingView),
            pairingsEnded: z.number(),
          }),
        },
      },
    },
    async (req) => a.updateCadre(actorOf(req), req.params.cadreId as number, req.body),
  );

  r.post(
    "/api/assistance/pairings",
    {
      schema: {
        tags,
        summary: "结对（超出政策结对名额时拒绝）",
        body: pairInput,
        response: {
          200: z.object({ pairing: z.string(), cadre: z.string(), household: z.string() }),
        },
      },
    },
    async (req) => a.pair(actorOf(req), req.body),
  );

  r.post(
    "/api/assistance/pairings/:pairingId/end",
    {
      schema: {
        tags,
        summary: "解除结对",
        params: id("pairingId"),
        body: unpairInput,
        response: { 200: pairingView },
      },
    },
    async (req) => a.unpair(actorOf(req), req.params.pairingId as number, req.body),
  );

  r.get(
    "/api/assistance/unpaired",
    {
      schema: {
        tags,
        summary: "未结对帮扶干部的监测户和脱贫户",
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(5000).optional() }),
        response: { 200: z.object({ items: z.array(householdBrief) }) },
      },
    },
    async (req) => a.unpaired(actorOf(req), req.query),
  );

  r.get(
    "/api/assistance/repair-worklist",
    {
      schema: {
        tags,
        summary: "帮扶干部离职、调动后待重新结对的农户",
        response: {
          200: z.object({
            items: z.array(
              householdBrief.extend({
                formerCadreId: z.number(),
                formerCadre: z.string(),
                endedOn: z.string(),
                reason: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => a.repairWorklist(actorOf(req)),
  );

  r.get(
    "/api/assistance/overdue",
    {
      schema: {
        tags,
        summary: "走访逾期的结对农户（按政策的走访频次；帮扶干部只看本人的）",
        response: { 200: z.object({ everyDays: z.number(), items: z.array(overdueItem) }) },
      },
    },
    async (req) => a.overdue(actorOf(req)),
  );

  r.get(
    "/api/assistance/mine",
    {
      schema: {
        tags,
        summary: "我的帮扶户（帮扶干部）",
        response: {
          200: z.object({
            everyDays: z.number(),
            items: z.array(
              householdBrief.extend({
                lastVisit: z.string().nullable(),
                dueOn: z.string(),
                overdue: z.boolean(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => a.mine(actorOf(req)),
  );

  r.get(
    "/api/assistance/coverage",
    {
      schema: {
        tags,
        summary: "政策到位率：风险对应措施覆盖、有劳动力户的开发式措施覆盖及缺口清单",
        querystring: z.object({
          region: z
            .string()
            .regex(/^\d{2,12}$/)
            .optional(),
        }),
        response: { 200: coverageView },
      },
    },
    async (req) => a.coverage(actorOf(req), req.query.region),
  );

  r.get(
    "/api/households/:householdNumber/assistance",
    {
      schema: {
        tags,
        summary: "农户的帮扶：帮扶责任人、一户一策、措施、走访、结对历史",
        params: householdParams,
        response: { 200: planView },
      },
    },
    async (req) => a.plan(actorOf(req), req.params.householdNumber),
  );

  r.put(
    "/api/households/:householdNumber/assistance/plan",
    {
      schema: {
        tags,
        summary: "保存帮扶计划（一户一策）",
        params: householdParams,
        body: planInput,
        response: { 200: planView },
      },
    },
    async (req) => a.savePlan(actorOf(req), req.params.householdNumber, req.body),
  );

  r.get(
    "/api/households/:householdNumber/measures",
    {
      schema: {
        tags,
        summary: "农户的帮扶措施",
        params: householdParams,
        response: { 200: z.object({ measures: z.array(measureView) }) },
      },
    },
    async (req) => ({ measures: await a.measures(actorOf(req), req.params.householdNumber) }),
  );

  r.post(
    "/api/households/:householdNumber/measures",
    {
      schema: {
        tags,
        summary: "添加帮扶措施（取自政策措施目录）",
        params: householdParams,
        body: measureInput,
        response: { 200: measureView },
      },
    },
    async (req) => a.addMeasure(actorOf(req), req.params.householdNumber, req.body),
  );

  r.post(
    "/api/assistance/measures/import-national",
    {
      schema: {
        tags,
        summary:
          "把国家监测系统导入数据中的帮扶列（产业帮扶…基础设施建设）转为帮扶措施（可重复运行，已导入的不再重复）",
        body: z.object({
          region: z.string().regex(/^\d{2,12}$/, "区划代码应为 2 至 12 位数字"),
          date: z.string().optional(),
        }),
        response: { 200: z.object({ measures: z.number(), households: z.number() }) },
      },
    },
    async (req) => a.importNational(actorOf(req), req.body.region, req.body.date),
  );

  r.patch(
    "/api/assistance/measures/:measureId",
    {
      schema: {
        tags,
        summary: "修改帮扶措施（金额、日期、状态）",
        params: id("measureId"),
        body: measureChange,
        response: { 200: measureView },
      },
    },
    async (req) => a.updateMeasure(actorOf(req), req.params.measureId as number, req.body),
  );

  r.post(
    "/api/households/:householdNumber/visits",
    {
      schema: {
        tags,
        summary: "记录走访（照片可选：JPEG 或 PNG，base64）",
        params: householdParams,
        body: visitInput.extend({
          photo: z
            .object({
              mime: z.string().max(100),
              /** The photo's bytes, base64. */
              data: z.string().max(15 * 1024 * 1024),
            })
            .optional(),
        }),
        response: {
          200: z.object({ id: z.number(), householdNumber: z.string(), visitedOn: z.string() }),
        },
      },
    },
    async (req) => {
      const { photo, ...visit } = req.body;
      return a.recordVisit(
        actorOf(req),
        req.params.householdNumber,
        visit,
        photo ? { mime: photo.mime, data: Buffer.from(photo.data, "base64") } : undefined,
      );
    },
  );

  r.get(
    "/api/assistance/visits/:visitId/photo",
    { schema: { tags, summary: "走访照片", params: id("visitId") } },
    async (req, reply) => {
      const photo = await a.visitPhoto(actorOf(req), req.params.visitId as number);
      return reply.type(photo.mime).send(photo.data);
    },
  );

  r.get(
    "/api/households/:householdNumber/assistance-card",
    {
      schema: {
        tags,
        summary: "帮扶明白卡（可打印 HTML，A4 或 A5；不显示证件号码）",
        params: householdParams,
        querystring: z.object({ size: z.enum(CARD_SIZES).default("A4") }),
      },
    },
    async (req, reply) =>
      reply
        .type("text/html; charset=utf-8")
        .send(cardPage(await a.card(actorOf(req), req.params.householdNumber), req.query.size)),
  );

  r.post(
    "/api/assistance/work-team",
    {
      schema: {
        tags,
        summary: "新增驻村工作队员",
        body: teamMemberInput,
        response: { 200: z.object({ id: z.number() }) },
      },
    },
    async (req) => a.addTeamMember(actorOf(req), req.body),
  );

  r.put(
    "/api/assistance/work-team/:teamMemberId/attendance",
    {
      schema: {
        tags,
        summary: "登记工作队员某月在村天数",
        params: id("teamMemberId"),
        body: attendanceInput,
        response: { 200: teamReport },
      },
    },
    async (req) => a.recordAttendance(actorOf(req), req.params.teamMemberId as number, req.body),
  );

  r.get(
    "/api/assistance/work-team/report",
    {
      schema: {
        tags,
        summary: "驻村工作月报：在村天数与政策下限、结对、走访、措施落实",
        querystring: z.object({
          village: z.string().regex(/^\d{12}$/, "行政村代码应为 12 位数字"),
          month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "月份应为 YYYY-MM 格式"),
        }),
        response: { 200: teamReport },
      },
    },
    async (req) => a.teamReport(actorOf(req), req.query.village, req.query.month),
  );
}
