/** `fangpin import national FILE`: brings a national-format file into the registry. */
import { SYSTEM_ACTOR } from "../modules/auth/index.ts";
import type { ImportProgress } from "../modules/exchange/index.ts";
import { createServices } from "../server/services.ts";
import { type Command, openDatabase } from "./command.ts";
import { actorOption } from "./export.ts";
import { UsageError } from "./output.ts";

const PHASES: Record<ImportProgress["phase"], string> = {
  reading: "读取",
  checking: "检查",
  merging: "写入",
  done: "完成",
};

export const importNationalCommand: Command = {
  name: "import national",
  summary: "导入国家监测系统导出的监测对象信息表（xlsx 或 csv），先 --dry-run 检查",
  usage:
    "fangpin import national <文件.xlsx|文件.csv> [--dry-run] [--atomic household|all] [--county 县代码] [--as 用户名] [--db <url>] [--json]",
  options: {
    "dry-run": { type: "boolean" },
    atomic: { type: "string" },
    county: { type: "string" },
    as: { type: "string" },
  },
  positionals: true,
  async run({ values, positionals }, out) {
    if (positionals.length !== 1)
      throw new UsageError(`请给出一个要导入的文件\n用法：${this.usage}`);
    const file = positionals[0]!;
    const atomic = (values.atomic as string | undefined) ?? "household";
    if (atomic !== "household" && atomic !== "all")
      throw new UsageError(`--atomic 只能是 household 或 all\n用法：${this.usage}`);
    const county = values.county as string | undefined;
    if (county !== undefined && !/^\d{6}$/.test(county))
      throw new UsageError(`--county 应为 6 位县级区划代码，如 360726\n用法：${this.usage}`);
    const database = await openDatabase(values);
    try {
      const services = createServices({ database });
      const actor = await actorOption(services, values.as, SYSTEM_ACTOR);
      let phase = "";
      let shown = 0;
      const report = await services.exchange.importNational(actor, file, {
        dryRun: values["dry-run"] === true,
        atomic,
        county,
        onProgress: (p) => {
          if (p.phase !== phase || p.rows - shown >= 50_000) {
            phase = p.phase;
            shown = p.rows;
            out.progress(`${PHASES[p.phase]}：${p.rows} 行（${Math.round(p.fraction * 100)}%）`);
          }
        },
      });
      const errors = report.errors.map(({ row, column, code, message, household }) => ({
        row,
        column,
        code,
        message,
        household,
      }));
      const h = report.households;
      const m = report.members;
      const human = [
        `${report.dryRun ? "检查（未写入）" : report.committed ? "已导入" : "未写入"}：${report.file}，${report.rows} 行`,
        `户：新建 ${h.created}，更新 ${h.updated}，未变 ${h.unchanged}，退回 ${h.rejected}`,
        `人：新建 ${m.created}，更新 ${m.updated}，未变 ${m.unchanged}，退回 ${m.rejected}`,
        ...(errors.length > 0 ? [`问题 ${errors.length} 个：`] : []),
        ...errors
          .slice(0, 50)
          .map((e) => `  第 ${e.row} 行 ${e.column}（${e.household}）[${e.code}] ${e.message}`),
        ...(errors.length > 50 ? [`  …其余 ${errors.length - 50} 个见 --json 输出`] : []),
      ].join("\n");
      out.result({ households: h, members: m, errors }, human);
    } finally {
      await database.close();
    }
  },
};
