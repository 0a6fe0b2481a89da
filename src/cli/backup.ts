/**
 * `fangpin backup --out FILE` and `fangpin restore FILE`: the whole database as one
 * engine-neutral file (db/backup.ts), so a county's SQLite database can be kept safe, or moved
 * to the province's PostgreSQL.
 */
import { statSync } from "node:fs";
import { backup, restore } from "../db/backup.ts";
import { audit } from "../modules/audit/index.ts";
import { SYSTEM_ACTOR } from "../modules/auth/index.ts";
import { localFileStore } from "../modules/cases/file-store.ts";
import { type Command, openDatabase, required } from "./command.ts";
import { UsageError } from "./output.ts";

/** A progress line every 100,000 rows and at each table's end. */
function progress(out: { progress(message: string): void }, verb: string) {
  let shown = "";
  let last = 0;
  return (p: { table: string; rows: number }) => {
    if (p.table !== shown || p.rows - last >= 100_000) {
      shown = p.table;
      last = p.rows;
      out.progress(`${verb}：${p.table} ${p.rows} 行`);
    }
  };
}

export const backupCommand: Command = {
  name: "backup",
  summary: "把整个数据库备份为一个文件（SQLite 与 PostgreSQL 通用，可用于迁移）",
  usage: "fangpin backup --out <文件.fpbak> --db <url> [--files <附件目录>] [--json]",
  options: { out: { type: "string" }, files: { type: "string" } },
  async run({ values }, out) {
    const file = required(values, "out", this);
    const database = await openDatabase(values);
    try {
      const at = new Date().toISOString();
      const summary = await backup(
        database,
        file,
        progress(out, "备份"),
        localFileStore(values.files as string | undefined),
      );
      await audit(database.db, SYSTEM_ACTOR, at, "system.backup", {
        targetType: "file",
        targetId: file,
        detail: { rows: summary.rows },
      });
      const bytes = statSync(file).size;
      out.result(
        {
          file,
          engine: database.engine,
          rows: summary.rows,
          files: summary.files,
          bytes,
          tables: summary.tables,
        },
        `已备份 ${summary.rows} 行（${Object.keys(summary.tables).length} 张表）和 ${summary.files} 个附件到 ${file}，${(bytes / 1048576).toFixed(1)} MB`,
      );
    } finally {
      await database.close();
    }
  },
};

export const restoreCommand: Command = {
  name: "restore",
  summary: "从备份文件恢复到一个新建的空数据库（要么全部恢复，要么什么都不写）",
  usage: "fangpin restore <文件.fpbak> --db <url> [--files <附件目录>] [--json]",
  options: { files: { type: "string" } },
  positionals: true,
  async run({ values, positionals }, out) {
    if (positionals.length !== 1) throw new UsageError(`请给出一个备份文件\n用法：${this.usage}`);
    const file = positionals[0]!;
    const database = await openDatabase(values);
    try {
      const summary = await restore(
        database,
        file,
        progress(out, "恢复"),
        localFileStore(values.files as string | undefined),
      );
      await audit(database.db, SYSTEM_ACTOR, new Date().toISOString(), "system.restore", {
        targetType: "file",
        targetId: file,
        detail: { rows: summary.rows },
      });
      out.result(
        {
          file,
          engine: database.engine,
          rows: summary.rows,
          files: summary.files,
          tables: summary.tables,
        },
        `已从 ${file} 恢复 ${summary.rows} 行（${Object.keys(summary.tables).length} 张表）和 ${summary.files} 个附件`,
      );
    } finally {
      await database.close();
    }
  },
};
