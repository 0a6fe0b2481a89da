import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { actorOf } from "../../server/auth-plugin.ts";
import type { Services } from "../../server/services.ts";
import { assertCan } from "../auth/index.ts";
import { registerIncomeRoutes } from "./income.routes.ts";
import {
  assignInput,
  outcomeInput,
  signalList,
  signalListQuery,
  signalSummary,
  sweepInput,
  sweepResult,
} from "./monitoring.schema.ts";

const idParams = z.object({ id: z.coerce.number().int().positive() });
const ok = z.object({ ok: z.literal(true) });

export function registerMonitoringRoutes(app: FastifyInstance, services: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["monitoring"];
  registerIncomeRoutes(app, services);

  r.get(
    "/api/signals",
    {
      schema: {
        tags,
        summary: "预警列表（限本人辖区）",
        querystring: signalListQuery,
        response: { 200: signalList },
      },
    },
    async (req) => services.signals.list(actorOf(req), req.query),
  );

  r.get(
    "/api/signals/summary",
    {
      schema: {
        tags,
        summary: "预警统计：按规则、按下级区划",
        querystring: z.object({
          region: z
            .string()
            .regex(/^\d{2,12}$/)
            .optional(),
        }),
        response: { 200: signalSummary },
      },
    },
    async (req) => services.signals.summary(actorOf(req), req.query.region),
  );

  r.get(
    "/api/households/:householdNumber/signals",
    {
      schema: {
        tags,
        summary: "一户的未关闭预警",
        params: z.object({ householdNumber: z.string().min(1).max(40) }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.number(),
                rule: z.string(),
                name: z.string(),
                code: z.string(),
                category: z.string(),
                severity: z.string(),
                message: z.string(),
                evidence: z.record(z.string(), z.unknown()),
                openedAt: z.string(),
                deadline: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      assertCan(actor, "signal.read");
      // Reading the household first applies the registry's scope (404 outside it).
      const h = await services.registry.get(actor, req.params.householdNumber);
      const id = await services.registry.idOf(req.params.householdNumber);
      return { items: await services.monitoring.openSignals(id!, h.household.villageCode ?? "") };
    },
  );

  r.post(
    "/api/sweeps",
    {
      schema: {
        tags,
        summary: "立即筛查（按政策规则生成或关闭预警）",
        body: sweepInput,
        response: { 200: sweepResult },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      assertCan(actor, "monitoring.sweep");
      const s = await services.monitoring.sweep(actor, { region: req.body.region });
      return { households: s.households, signals: s.signals, byRule: s.byRule, ms: s.ms };
    },
  );

  r.get(
    "/api/sweeps",
    {
      schema: {
        tags,
        summary: "最近的筛查记录",
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.number(),
                startedAt: z.string(),
                regionCode: z.string().nullable(),
                households: z.number(),
                opened: z.number(),
                resolved: z.number(),
                open: z.number(),
                ms: z.number().nullable(),
                actor: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({ items: await services.monitoring.sweeps(actorOf(req)) }),
  );

  r.post(
    "/api/verifications/:id/assign",
    {
      schema: {
        tags,
        summary: "指派核实任务到乡镇或行政村",
        params: idParams,
        body: assignInput,
        response: { 200: ok },
      },
    },
    async (req) => {
      await services.signals.assign(actorOf(req), req.params.id, req.body);
      return { ok: true as const };
    },
  );

  r.post(
    "/api/verifications/:id/outcome",
    {
      schema: {
        tags,
        summary: "登记核实结果",
        params: idParams,
        body: outcomeInput,
        response: { 200: ok },
      },
    },
    async (req) => {
      await services.signals.recordOutcome(actorOf(req), req.params.id, req.body);
      return { ok: true as const };
    },
  );

  r.get(
    "/api/verifications/:id/history",
    {
      schema: {
        tags,
        summary: "核实任务的办理记录",
        params: idParams,
        response: {
          200: z.object({
            items: z.array(
              z.object({ at: z.string(), actor: z.string(), kind: z.string(), data: z.unknown() }),
            ),
          }),
        },
      },
    },
    async (req) => ({ items: await services.signals.history(actorOf(req), req.params.id) }),
  );
}
