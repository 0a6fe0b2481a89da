/** `fangpin feed load TYPE FILE`: loads a department's data file (部门数据) as facts. */
import { SYSTEM_ACTOR } from "../modules/auth/index.ts";
import { createServices } from "../server/services.ts";
import { type Command, openDatabase } from "./command.ts";
import { actorOption } from "./export.ts";
import { UsageError } from "./output.ts";

export const feedLoadCommand: Command = {
  name: "feed load",
  summary: "导入行业部门数据（医保、残联、民政…），按证件号码比对在册成员并保存为事实",
  usage:
    "fangpin feed load <数据类型> <文件.csv|文件.xlsx> [--dry-run] [--as 用户名] [--db <url>] [--json]",
  options: {
    "dry-run": { type: "boolean" },
    as: { type: "string" },
  },
  positionals: true,
  async run({ values, positionals }, out) {
    if (positionals.length !== 2)
      throw new UsageError(`请给出数据类型和一个文件\n用法：${this.usage}`);
    const [type, file] = positionals as [string, string];
    const database = await openDatabase(values);
    try {
      const services = createServices({ database });
      const actor = await actorOption(services, values.as, SYSTEM_ACTOR);
      let shown = 0;
      const r = await services.feeds.load(actor, type, file, {
        dryRun: values["dry-run"] === true,
        onProgress: (p) => {
          if (p.phase === "done" || p.rows - shown >= 100_000) {
            shown = p.rows;
            out.progress(`读取：${p.rows} 行（${Math.round(p.fraction * 100)}%）`);
          }
        },
        onSignals: (p) => {
          if (p.done === p.total) out.progress(`重新筛查：${p.total} 户`);
        },
      });
      const errors = r.errors.map(({ row, column, code, message }) => ({
        row,
        column,
        code,
        message,
      }));
      const human = [
        `${r.dryRun ? "检查（未写入）" : r.committed ? "已导入" : r.rejected > 0 ? "未写入（有错误行）" : "无变化"}：${r.file}（${type}），${r.rows} 行`,
        `匹配 ${r.matched}，未匹配 ${r.unmatched}，待核实 ${r.ambiguous}，退回 ${r.rejected}`,
        `事实：新增 ${r.facts.created}，未变 ${r.facts.unchanged}，取代 ${r.facts.superseded}`,
        ...(errors.length > 0 ? [`问题 ${errors.length} 个：`] : []),
        ...errors.slice(0, 50).map((e) => `  第 ${e.row} 行 ${e.column} [${e.code}] ${e.message}`),
        ...(errors.length > 50 ? [`  …其余 ${errors.length - 50} 个见 --json 输出`] : []),
      ].join("\n");
      out.result(
        {
          rows: r.rows,
          matched: r.matched,
          unmatched: r.unmatched,
          ambiguous: r.ambiguous,
          rejected: r.rejected,
          facts: r.facts,
          errors,
        },
        human,
      );
    } finally {
      await database.close();
    }
  },
};

export const feedWithdrawCommand: Command = {
  name: "feed withdraw",
  summary: "撤销一个部门数据导入批次：本批次的事实失效，被它取代的事实恢复有效（需填写原因）",
  usage: "fangpin feed withdraw <批次号> --reason <原因> [--as 用户名] [--db <url>] [--json]",
  options: {
    reason: { type: "string" },
    as: { type: "string" },
  },
  positionals: true,
  async run({ values, positionals }, out) {
    const id = Number(positionals[0]);
    if (positionals.length !== 1 || !Number.isInteger(id) || id <= 0)
      throw new UsageError(`请给出一个批次号（正整数）\n用法：${this.usage}`);
    const database = await openDatabase(values);
    try {
      const services = createServices({ database });
      const actor = await actorOption(services, values.as, SYSTEM_ACTOR);
      const r = await services.feeds.withdraw(actor, id, String(values.reason ?? ""));
      out.result(
        {
          loadId: r.loadId,
          feedType: r.feedType,
          ended: r.ended,
          restored: r.restored,
          households: r.households.length,
          signalsRefreshed: r.signals.done,
        },
        `已撤销批次 #${r.loadId}（${r.feedType}）：${r.ended} 条事实失效，${r.restored} 条恢复有效，${r.households.length} 户重新筛查${r.signals.done ? "" : "（未完成，下次筛查时补上）"}`,
      );
    } finally {
      await database.close();
    }
  },
};
