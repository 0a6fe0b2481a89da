/**
 * `fangpin income close-year <年度>` (年度收入结转) and `fangpin income backfill <年度>`
 * (按户信息历史补录): annual income records that rules compare this year's income with.
 */
import { SYSTEM_ACTOR } from "../modules/auth/index.ts";
import type { IncomeRunResult } from "../modules/monitoring/index.ts";
import type { Services } from "../server/services.ts";
import type { Command } from "./command.ts";
import { actorOption } from "./export.ts";
import { UsageError } from "./output.ts";
import { withServices } from "./with-services.ts";

function yearOf(positionals: string[], usage: string): number {
  if (positionals.length !== 1 || !/^\d{4}$/.test(positionals[0]!))
    throw new UsageError(`请给出一个年度（如 2026）\n用法：${usage}`);
  return Number(positionals[0]);
}

const describe = (r: IncomeRunResult, what: string) =>
  `${what} ${r.year} 年度（${r.region ?? "全部区划"}）：${r.households} 户，新增 ${r.created}，更新 ${r.updated}，未变 ${r.unchanged}，跳过 ${r.skipped}` +
  (r.reevaluated > 0 ? `；已重新评估 ${r.reevaluated} 户的预警` : "");

function incomeCommand(
  name: string,
  summary: string,
  what: string,
  call: (s: Services) => Services["incomes"]["closeYear"],
): Command {
  return {
    name,
    summary,
    usage: `fangpin ${name} <年度> [--region 区划代码] [--as 用户名] [--db <url>] [--json]`,
    options: { region: { type: "string" }, as: { type: "string" } },
    positionals: true,
    async run({ values, positionals }, out) {
      const year = yearOf(positionals, this.usage);
      await withServices(values, async (services) => {
        const actor = await actorOption(services, values.as, SYSTEM_ACTOR);
        const r = await call(services)(actor, {
          year,
          region: values.region as string | undefined,
        });
        out.result({ ...r }, describe(r, what));
      });
    },
  };
}

export const incomeCloseYearCommand = incomeCommand(
  "income close-year",
  "年度收入结转：把各户当前收入记为该年度收入（可重复执行，只更新有变化的户）",
  "结转",
  (s) => s.incomes.closeYear,
);

export const incomeBackfillCommand = incomeCommand(
  "income backfill",
  "按户信息历史补录某年度收入（取该年末的户信息；不覆盖已结转的记录）",
  "补录",
  (s) => s.incomes.backfill,
);
