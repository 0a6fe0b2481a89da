/**
 * connect(url) — the one way into a database. `sqlite:<path>` opens the embedded engine
 * (better-sqlite3, WAL); `postgres://…` opens a pool. A `schema` query parameter on a
 * PostgreSQL URL selects (and creates) a schema, which tests use to stay apart.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { invalid } from "../core/errors.ts";
import { checkpoints } from "./checkpoint.ts";
import type { DB } from "./schema.ts";
import { SplitSqliteDialect } from "./sqlite-driver.ts";

export type Engine = "sqlite" | "postgres";

export interface Database {
  readonly db: Kysely<DB>;
  readonly engine: Engine;
  readonly url: string;
  /** The PostgreSQL schema selected by the URL's `schema` parameter, if any. */
  readonly schema?: string;
  close(): Promise<void>;
}

const INT8_OID = 20;

/** The better-sqlite3 handle under each SQLite Kysely instance (for prepared bulk statements). */
const SQLITE_HANDLES = new WeakMap<object, BetterSqlite3.Database>();

/**
 * The better-sqlite3 connection of a database opened by `connect` (undefined for PostgreSQL or
 * a Kysely instance made elsewhere). This is the one writing connection: statements run on it
 * belong to whatever transaction Kysely has open on it, so bulk writes inside a transaction may
 * use prepared statements directly (reads outside transactions may use a second, read-only
 * connection: sqlite-driver.ts).
 */
export function sqliteHandle(db: object): BetterSqlite3.Database | undefined {
  return SQLITE_HANDLES.get(db);
}
const NUMERIC_OID = 1700;

/** The pg clients of each pool opened by `connect`, by their server process id. */
const PG_CLIENTS = new WeakMap<object, Map<number, pg.PoolClient>>();

/**
 * The pg client under a transaction `trx` of the database `root` (opened by `connect`), for what
 * Kysely cannot send, such as COPY; undefined for SQLite or a Kysely instance made elsewhere.
 * The transaction's connection is found by its server process id.
 */
export async function pgClientOf(
  root: object,
  trx: Kysely<DB>,
): Promise<pg.PoolClient | undefined> {
  const clients = PG_CLIENTS.get(root);
  if (!clients) return undefined;
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
  return clients.get(Number(rows[0]!.pid));
}

export async function connect(url: string): Promise<Database> {
  if (url.startsWith("sqlite:")) return connectSqlite(url);
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return connectPostgres(url);
  throw invalid(`不支持的数据库地址“${url}”：应为 sqlite:<文件路径> 或 postgres://…`, {
    code: "db_url",
    field: "db",
  });
}

function connectSqlite(url: string): Database {
  const path = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
  if (path === "") throw invalid("sqlite: 后应有数据库文件路径", { code: "db_url", field: "db" });
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const raw = new BetterSqlite3(path);
  raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = NORMAL");
  raw.pragma("foreign_keys = ON");
  raw.pragma("busy_timeout = 5000");
  raw.pragma("cache_size = -65536");
  // Reads outside transactions run here while a transaction holds `raw` (sqlite-driver.ts).
  let reader: BetterSqlite3.Database | null = null;
  if (path !== ":memory:") {
    reader = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    reader.pragma("busy_timeout = 5000");
    reader.pragma("cache_size = -32768");
  }
  const db = new Kysely<DB>({ dialect: new SplitSqliteDialect(raw, reader) });
  SQLITE_HANDLES.set(db, raw);
  const close = async () => {
    // A background checkpoint's connection closes first, so that the last one to close (this
    // process's writer) checkpoints whatever is left and removes the WAL.
    await checkpoints(raw);
    await db.destroy();
  };
  return { db, engine: "sqlite", url, close };
}

async function connectPostgres(url: string): Promise<Database> {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema");
  parsed.searchParams.delete("schema");
  if (schema !== null && !/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw invalid(`schema 名称“${schema}”无效`, { code: "db_url", field: "db" });
  }
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: Number(process.env.FANGPIN_PG_POOL ?? 10),
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID || oid === NUMERIC_OID
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  const clients = new Map<number, pg.PoolClient>();
  pool.on("connect", (client) => clients.set(processId(client), client));
  pool.on("remove", (client) => clients.delete(processId(client)));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  PG_CLIENTS.set(db, clients);
  if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  return { db, engine: "postgres", url, ...(schema ? { schema } : {}), close: () => db.destroy() };
}

/** The server process id of a connected client (set by the server's BackendKeyData message). */
const processId = (client: pg.PoolClient) => (client as unknown as { processID: number }).processID;
