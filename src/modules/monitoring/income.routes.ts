/** 年度收入 — closing a year's incomes, backfilling from history, and reading the records. */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { actorOf } from "../../server/auth-plugin.ts";
import type { Services } from "../../server/services.ts";
import { assertCan } from "../auth/index.ts";

export const incomeRunInput = z.object({
  year: z.number({ message: "年度应为数字" }).int("年度应为整数"),
  region: z
    .string()
    .regex(/^\d{2,12}$/, "区划代码应为数字")
    .optional(),
});

const runResult = z.object({
  id: z.number(),
  year: z.number(),
  kind: z.enum(["close_year", "backfill"]),
  region: z.string().nullable(),
  households: z.number(),
  created: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  skipped: z.number(),
  reevaluated: z.number(),
});

const money = z.number().nullable();

export function registerIncomeRoutes(app: FastifyInstance, services: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["monitoring"];

  r.post(
    "/api/incomes/close-year",
    {
      schema: {
        tags,
        summary: "年度收入结转：把辖区内各户当前收入记为该年度收入（可重复执行）",
        body: incomeRunInput,
        response: { 200: runResult },
      },
    },
    async (req) => services.incomes.closeYear(actorOf(req), req.body),
  );

  r.post(
    "/api/incomes/backfill",
    {
      schema: {
        tags,
        summary: "按户信息历史补录某年度收入（不覆盖已结转的记录）",
        body: incomeRunInput,
        response: { 200: runResult },
      },
    },
    async (req) => services.incomes.backfill(actorOf(req), req.body),
  );

  r.get(
    "/api/incomes/closings",
    {
      schema: {
        tags,
        summary: "最近的年度收入结转记录",
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.number(),
                year: z.number(),
                kind: z.string(),
                region: z.string().nullable(),
                at: z.string(),
                actor: z.string(),
                households: z.number(),
                created: z.number(),
                updated: z.number(),
                unchanged: z.number(),
                skipped: z.number(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({ items: await services.incomes.closings(actorOf(req)) }),
  );

  r.get(
    "/api/households/:householdNumber/incomes",
    {
      schema: {
        tags,
        summary: "一户的年度收入记录（金额单位：分）",
        params: z.object({ householdNumber: z.string().min(1).max(40) }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                year: z.number(),
                wageIncome: money,
                businessIncome: money,
                propertyIncome: money,
                transferIncome: money,
                businessCosts: money,
                netIncome: money,
                size: z.number(),
                perCapitaIncome: money,
                reportedPerCapitaIncome: money,
                source: z.enum(["close_year", "backfill"]),
                recordedAt: z.string(),
                recordedBy: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      assertCan(actor, "household.read");
      // Reading the household first applies the registry's scope (404 outside it).
      await services.registry.get(actor, req.params.householdNumber);
      const id = await services.registry.idOf(req.params.householdNumber);
      return { items: await services.incomes.recordsOf(id!) };
    },
  );
}
