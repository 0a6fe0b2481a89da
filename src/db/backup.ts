/**
 * Backup and restore (备份与恢复), the same on both engines: a backup is a gzip'd stream of JSON
 * lines — a header (format, version, the migrations the database had), then each table's rows
 * as arrays under its column names, parents before children, then a trailer with every table's
 * row count. Because the file names no engine, a county's SQLite database restores into a
 * province's PostgreSQL (and back), which is how a county moves up.
 *
 * - A backup reads each table in primary-key order, a chunk at a time (bounded memory at a
 *   million households); login sessions are left out (whoever restores signs in again).
 * - A restore writes into an empty, migrated database in one transaction: a truncated or
 *   altered file, a table the database does not have, or counts that do not match the trailer
 *   write nothing. On PostgreSQL the id sequences are moved past the restored ids.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { type Kysely, sql } from "kysely";
import { invalid } from "../core/errors.ts";
import type { FileStore } from "../modules/cases/file-store.ts";
import type { Database } from "./connect.ts";
import { MIGRATIONS } from "./migrate.ts";
import { DROPPED_014 } from "./migrations/014-facts-lineage.ts";

/**
 * Columns later migrations dropped, by migration and table: a backup made before such a
 * migration still carries them, and its values there are left out on restore (they were
 * redundant: see each migration).
 */
const DROPPED: Record<string, Record<string, readonly string[]>> = {
  "014-facts-lineage": DROPPED_014,
};

// biome-ignore lint/suspicious/noExplicitAny: tables are read by name, whatever the schema holds
type AnyDb = Kysely<any>;

export const BACKUP_FORMAT = "fangpin-backup";
export const BACKUP_VERSION = 1;
/**
 * Tables a backup leaves out: login sessions, the migrator's own bookkeeping, and the counts
 * of open signals and tasks (migration 012), which the database's triggers rebuild as a
 * restore writes the signals and tasks themselves.
 */
const SKIPPED = new Set([
  "sessions",
  "kysely_migration",
  "kysely_migration_lock",
  "signal_counts",
  "verification_counts",
]);
/** Rows read or written per statement. */
const CHUNK = 1000;

export interface BackupProgress {
  table: string;
  rows: number;
}

export interface BackupSummary {
  tables: Record<string, number>;
  rows: number;
  /** Attachment files (case documents, visit photos) carried in the backup. */
  files: number;
}

/** Where the database keeps the keys of files in the file store. */
const FILE_KEYS = [
  { table: "attachments", column: "storage_key" },
  { table: "visits", column: "photo_key" },
] as const;

interface TableInfo {
  name: string;
  columns: string[];
  /** The primary key's columns (one or two), the order a backup reads in. */
  key: string[];
  /** Tables it references by foreign key. */
  parents: string[];
}

/** The database's tables with their columns and foreign keys, parents before children. */
async function tables(database: Database): Promise<TableInfo[]> {
  const db = database.db as AnyDb;
  const found = new Map<string, { columns: string[]; parents: string[]; key: string[] }>();
  if (database.engine === "sqlite") {
    const names = await sql<{ name: string }>`
      select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(
      db,
    );
    for (const { name } of names.rows) {
      const cols = await sql<{
        name: string;
        pk: number;
      }>`select name, pk from pragma_table_info(${name}) order by cid`.execute(db);
      const fks = await sql<{
        table: string;
      }>`select "table" from pragma_foreign_key_list(${name})`.execute(db);
      found.set(name, {
        columns: cols.rows.map((c) => c.name),
        parents: fks.rows.map((f) => f.table),
        key: cols.rows
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name),
      });
    }
  } else {
    const cols = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = current_schema() order by table_name, ordinal_position`.execute(db);
    for (const c of cols.rows) {
      const t = found.get(c.table_name) ?? { columns: [], parents: [], key: [] };
      t.columns.push(c.column_name);
      found.set(c.table_name, t);
    }
    const fks = await sql<{ child: string; parent: string }>`
      select tc.table_name as child, ccu.table_name as parent
      from information_schema.table_constraints tc
      join information_schema.constraint_column_usage ccu
        on ccu.constraint_schema = tc.constraint_schema and ccu.constraint_name = tc.constraint_name
      where tc.constraint_type = 'FOREIGN KEY' and tc.table_schema = current_schema()`.execute(db);
    for (const f of fks.rows) found.get(f.child)?.parents.push(f.parent);
    const keys = await sql<{ table_name: string; column_name: string }>`
      select k.table_name, k.column_name from information_schema.table_constraints tc
      join information_schema.key_column_usage k
        on k.constraint_schema = tc.constraint_schema and k.constraint_name = tc.constraint_name
      where tc.constraint_type = 'PRIMARY KEY' and tc.table_schema = current_schema()
      order by k.table_name, k.ordinal_position`.execute(db);
    for (const k of keys.rows) found.get(k.table_name)?.key.push(k.column_name);
  }
  const out: TableInfo[] = [];
  const placed = new Set<string>();
  const place = (name: string, path: Set<string>) => {
    if (placed.has(name) || SKIPPED.has(name) || !found.has(name)) return;
    if (path.has(name)) throw new Error(`foreign keys form a cycle through ${name}`);
    path.add(name);
    const t = found.get(name)!;
    for (const p of t.parents) if (p !== name) place(p, path);
    path.delete(name);
    placed.add(name);
    if (t.key.length < 1 || t.key.length > 2)
      throw new Error(
        `table ${name} needs a primary key of one or two columns to be read in order`,
      );
    out.push({ name, columns: t.columns, key: t.key, parents: [...new Set(t.parents)] });
  };
  for (const name of [...found.keys()].sort()) place(name, new Set());
  return out;
}

/** Writes a backup of the database to `file`. */
export async function backup(
  database: Database,
  file: string,
  onProgress?: (p: BackupProgress) => void,
  files?: FileStore,
): Promise<BackupSummary> {
  const db = database.db as AnyDb;
  const gzip = createGzip();
  const done = pipeline(gzip, createWriteStream(file));
  const write = async (value: unknown) => {
    if (!gzip.write(`${JSON.stringify(value)}\n`)) await once(gzip, "drain");
  };
  const summary: BackupSummary = { tables: {}, rows: 0, files: 0 };
  // One snapshot for the whole file: a read transaction (SQLite holds the writer meanwhile;
  // PostgreSQL's repeatable read sees one state without blocking writers).
  const read = async (trx: AnyDb) => {
    const list = await tables({ ...database, db: trx } as Database);
    await write({
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      migrations: MIGRATIONS,
      tables: list.map((t) => t.name),
    });
    for (const t of list) {
      await write({ table: t.name, columns: t.columns });
      let after: unknown[] | null = null;
      let count = 0;
      const [k1, k2] = t.key as [string, string | undefined];
      for (;;) {
        let q = trx.selectFrom(t.name).select(t.columns).orderBy(k1);
        if (k2) q = q.orderBy(k2);
        q = q.limit(CHUNK);
        const last = after;
        if (last)
          q = k2
            ? q.where((eb) => eb(eb.refTuple(k1, k2), ">", eb.tuple(last[0], last[1])))
            : q.where(k1, ">", last[0]);
        const rows = await q.execute();
        for (const r of rows) await write(t.columns.map((c) => r[c] ?? null));
        count += rows.length;
        onProgress?.({ table: t.name, rows: count });
        if (rows.length < CHUNK) break;
        after = t.key.map((k) => rows.at(-1)![k]);
      }
      summary.tables[t.name] = count;
      summary.rows += count;
    }
    // The files the rows name, each with its SHA-256 (checked on restore).
    if (files)
      for (const { table, column } of FILE_KEYS) {
        if (!list.some((t) => t.name === table)) continue;
        const keys = await trx
          .selectFrom(table)
          .select(column)
          .where(column, "is not", null)
          .orderBy(column)
          .execute();
        for (const k of keys) {
          const key = String(k[column]);
          const data = await files.get(key);
          const sha256 = createHash("sha256").update(data).digest("hex");
          await write({ file: key, sha256, data: data.toString("base64") });
          summary.files++;
          onProgress?.({ table: "files", rows: summary.files });
        }
      }
    await write({ end: true, tables: summary.tables, files: summary.files });
  };
  try {
    if (database.engine === "postgres")
      await db.transaction().setIsolationLevel("repeatable read").execute(read);
    else await db.transaction().execute(read);
  } finally {
    gzip.end();
  }
  await done;
  return summary;
}

/** Lines of a gzip'd file, parsed; a bad line is an error naming it. */
async function* lines(file: string): AsyncGenerator<unknown> {
  const input = createReadStream(file).pipe(createGunzip());
  let n = 0;
  try {
    for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      n++;
      if (line === "") continue;
      try {
        yield JSON.parse(line);
      } catch {
        throw invalid(`备份文件第 ${n} 行已损坏`, { code: "backup_corrupt" });
      }
    }
  } catch (e) {
    if (e instanceof Error && "code" in e && String(e.code).startsWith("Z_"))
      throw invalid("备份文件不完整或已损坏（解压失败）", { code: "backup_corrupt" });
    throw e;
  }
}

const isStrings = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === "string");

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Restores a backup into an empty, migrated database; nothing is written unless all of it is. */
export async function restore(
  database: Database,
  file: string,
  onProgress?: (p: BackupProgress) => void,
  files?: FileStore,
): Promise<BackupSummary> {
  const db = database.db as AnyDb;
  const list = await tables(database);
  const known = new Map(list.map((t) => [t.name, t]));
  for (const t of list) {
    const any = await db.selectFrom(t.name).select(t.key).limit(1).executeTakeFirst();
    if (any)
      throw invalid(`目标数据库不是空的（表 ${t.name} 已有数据）：只能恢复到新建的空数据库`, {
        code: "restore_target_not_empty",
      });
  }
  const summary: BackupSummary = { tables: {}, rows: 0, files: 0 };
  /** Files written so far: removed again if the restore fails. */
  const written: string[] = [];
  try {
    await db.transaction().execute(async (trx) => {
      const input = lines(file);
      const first = await input.next();
      const header = first.done ? null : first.value;
      if (!isRecord(header) || header.format !== BACKUP_FORMAT)
        throw invalid("这不是 fangpin 的备份文件", { code: "backup_format" });
      if (header.version !== BACKUP_VERSION)
        throw invalid(`备份文件版本 ${String(header.version)} 不受支持（应为 ${BACKUP_VERSION}）`, {
          code: "backup_version",
        });
      if (!isStrings(header.migrations))
        throw invalid("备份文件的文件头已损坏", { code: "backup_corrupt" });
      const newer = header.migrations.filter((m) => !MIGRATIONS.includes(m));
      if (newer.length > 0)
        throw invalid(`备份来自更新的版本（迁移 ${newer.join("、")}），请先升级 fangpin`, {
          code: "backup_newer",
        });
      const backupMigrations = header.migrations;
      const droppedSince = (table: string) =>
        Object.entries(DROPPED)
          .filter(([m]) => !backupMigrations.includes(m))
          .flatMap(([, tables]) => tables[table] ?? []);
      let table: TableInfo | null = null;
      let columns: string[] = [];
      /** Positions of the backup's columns that the table still has. */
      let kept: number[] = [];
      let rows: Record<string, unknown>[] = [];
      let trailer: Record<string, unknown> | null = null;
      const flush = async () => {
        if (!table || rows.length === 0) return;
        await trx.insertInto(table.name).values(rows).execute();
        summary.tables[table.name] = (summary.tables[table.name] ?? 0) + rows.length;
        summary.rows += rows.length;
        onProgress?.({ table: table.name, rows: summary.tables[table.name]! });
        rows = [];
      };
      for await (const line of input) {
        if (trailer) throw invalid("备份文件在结尾之后还有内容", { code: "backup_corrupt" });
        if (Array.isArray(line)) {
          if (!table || line.length !== columns.length)
            throw invalid("备份文件的数据行与表头不符", { code: "backup_corrupt" });
          const row: Record<string, unknown> = {};
          for (const i of kept) row[columns[i]!] = line[i];
          rows.push(row);
          // Statements stay under both engines' parameter limits.
          if (rows.length * columns.length >= 30_000 || rows.length >= CHUNK) await flush();
          continue;
        }
        if (!isRecord(line)) throw invalid("备份文件有无法识别的行", { code: "backup_corrupt" });
        await flush();
        if (typeof line.file === "string") {
          const data = Buffer.from(String(line.data ?? ""), "base64");
          if (createHash("sha256").update(data).digest("hex") !== line.sha256)
            throw invalid(`备份中的附件 ${line.file} 已损坏`, { code: "backup_corrupt" });
          if (files) {
            await files.put(line.file, data);
            written.push(line.file);
          }
          summary.files++;
          continue;
        }
        if (line.end === true) {
          trailer = line;
          continue;
        }
        const name = String(line.table);
        table = known.get(name) ?? null;
        if (!table)
          throw invalid(`备份中的表 ${name} 在本数据库中不存在`, { code: "backup_table_unknown" });
        if (!isStrings(line.columns))
          throw invalid(`备份中表 ${name} 的表头已损坏`, { code: "backup_corrupt" });
        columns = line.columns;
        const dropped = droppedSince(name);
        kept = columns.flatMap((c, i) => (dropped.includes(c) ? [] : [i]));
        const missing = columns.filter((c) => !table!.columns.includes(c) && !dropped.includes(c));
        if (missing.length > 0)
          throw invalid(`备份中表 ${name} 的列 ${missing.join("、")} 在本数据库中不存在`, {
            code: "backup_table_unknown",
          });
        summary.tables[name] = 0;
      }
      if (!trailer) throw invalid("备份文件不完整（没有结尾）", { code: "backup_corrupt" });
      if ((trailer.files ?? 0) !== summary.files)
        throw invalid(
          `备份文件不完整：应有 ${String(trailer.files)} 个附件，读到 ${summary.files} 个`,
          {
            code: "backup_corrupt",
          },
        );
      const expected = (trailer.tables ?? {}) as Record<string, number>;
      for (const [name, n] of Object.entries(expected))
        if ((summary.tables[name] ?? 0) !== n)
          throw invalid(
            `备份文件不完整：表 ${name} 应有 ${n} 行，读到 ${summary.tables[name] ?? 0} 行`,
            {
              code: "backup_corrupt",
            },
          );
      if (database.engine === "postgres")
        for (const t of list)
          if (t.key.length === 1 && t.key[0] === "id")
            await sql`select setval(pg_get_serial_sequence(${t.name}, 'id'), coalesce((select max(id) from ${sql.table(t.name)}), 1), (select count(*) > 0 from ${sql.table(t.name)}))`.execute(
              trx,
            );
    });
  } catch (e) {
    for (const key of written) await files?.remove(key);
    throw e;
  }
  return summary;
}
