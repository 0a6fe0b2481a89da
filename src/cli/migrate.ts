import { connect } from "../db/connect.ts";
import { migrate } from "../db/migrate.ts";
import { type Command, DEFAULT_DB } from "./command.ts";

export const migrateCommand: Command = {
  name: "migrate",
  summary: "创建或升级数据库结构",
  usage: "fangpin migrate --db <url> [--json]",
  options: {},
  async run({ values }, out) {
    const database = await connect(
      (values.db as string | undefined) ?? process.env.FANGPIN_DB ?? DEFAULT_DB,
    );
    try {
      const applied = await migrate(database);
      out.result(
        { ok: true, engine: database.engine, applied },
        applied.length ? `已应用迁移：${applied.join(", ")}` : "数据库已是最新结构",
      );
    } finally {
      await database.close();
    }
  },
};
