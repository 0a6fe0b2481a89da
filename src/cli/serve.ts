import type { Database } from "../db/connect.ts";
import { SYSTEM_ACTOR } from "../modules/auth/index.ts";
import { buildApp } from "../server/app.ts";
import { type Command, intOption, openDatabase } from "./command.ts";

/** Serves web + API until the process is stopped; closes the database on SIGINT/SIGTERM. */
export async function serve(
  database: Database,
  port: number,
  host: string,
  log: (line: string) => void,
): Promise<void> {
  const { app, services } = await buildApp({ database, logger: process.env.FANGPIN_LOG === "1" });
  const address = await app.listen({ port, host });
  log(`fangpin 已启动：${address}（接口文档 ${address}/api/docs）`);
  // Scheduled sweeps catch what no edit triggered: dates passing (ages, months since
  // identification) and policy changes. FANGPIN_SWEEP_HOURS=0 turns them off.
  const hours = Number(process.env.FANGPIN_SWEEP_HOURS ?? 24);
  const timer =
    hours > 0
      ? setInterval(() => {
          services.monitoring.sweep(SYSTEM_ACTOR).then(
            (r) =>
              log(
                `定时筛查完成：${r.households} 户，新增预警 ${r.signals.opened}，关闭 ${r.signals.resolved}（${r.ms} 毫秒）`,
              ),
            (e: unknown) => log(`定时筛查失败：${e instanceof Error ? e.message : String(e)}`),
          );
        }, hours * 3_600_000)
      : undefined;
  timer?.unref();
  const stop = async () => {
    if (timer) clearInterval(timer);
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

export const serveCommand: Command = {
  name: "serve",
  summary: "启动网页与接口服务",
  usage: "fangpin serve [--db <url>] [--port 8080] [--host 127.0.0.1]",
  options: { port: { type: "string" }, host: { type: "string" } },
  async run({ values }, out) {
    const port = intOption(values, "port", Number(process.env.PORT ?? 8080), 0, 65535);
    const database = await openDatabase(values);
    await serve(database, port, (values.host as string | undefined) ?? "127.0.0.1", out.progress);
  },
};
