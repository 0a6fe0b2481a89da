/** `fangpin export national`: a region in the national monitoring system's format. */
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { finished } from "node:stream/promises";
import { type Actor, SYSTEM_ACTOR } from "../modules/auth/index.ts";
import { createServices, type Services } from "../server/services.ts";
import { type Command, openDatabase, required } from "./command.ts";
import { UsageError } from "./output.ts";

/** The actor named by --as (an enabled user), or the system. */
export async function actorOption(
  services: Services,
  username: unknown,
  fallback: Actor,
): Promise<Actor> {
  if (typeof username !== "string") return fallback;
  const actor = await services.auth.actorFor(username);
  if (!actor) throw new UsageError(`--as：用户 ${username} 不存在或已停用`);
  return actor;
}

export const exportNationalCommand: Command = {
  name: "export national",
  summary: "按国家监测系统格式导出一个区划的监测对象信息（xlsx 或 csv）",
  usage:
    "fangpin export national --region <区划代码> --out <文件.xlsx|文件.csv> [--format xlsx|csv] [--as 用户名] [--db <url>] [--json]",
  options: {
    region: { type: "string" },
    out: { type: "string" },
    format: { type: "string" },
    as: { type: "string" },
  },
  async run({ values }, out) {
    const region = required(values, "region", this);
    const file = required(values, "out", this);
    if (!/^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$/.test(region))
      throw new UsageError(`--region 应为 2、4、6、9 或 12 位区划代码\n用法：${this.usage}`);
    const format = (values.format as string | undefined) ?? (/\.csv$/i.test(file) ? "csv" : "xlsx");
    if (format !== "xlsx" && format !== "csv")
      throw new UsageError(`--format 只能是 xlsx 或 csv\n用法：${this.usage}`);
    const database = await openDatabase(values);
    try {
      const services = createServices({ database });
      const actor = await actorOption(services, values.as, SYSTEM_ACTOR);
      const plan = await services.exchange.planExport(actor, { region, format });
      const stream = createWriteStream(file);
      try {
        const result = await plan.write(stream);
        if (!stream.writableFinished) await finished(stream);
        out.result(
          { rows: result.rows, households: result.households, file },
          `已导出 ${result.households} 户、${result.rows} 人到 ${file}`,
        );
      } catch (e) {
        stream.destroy();
        await rm(file, { force: true });
        throw e;
      }
    } finally {
      await database.close();
    }
  },
};
