/**
 * The SQLite driver under Kysely: one writing connection, as Kysely's own driver has, plus a
 * read-only connection that serves reads while a transaction holds the writing one.
 *
 * Kysely's driver locks SQLite's single connection for a whole transaction, so while an import
 * or a feed load commits (minutes for a million rows) every other request — a household page,
 * the region tree, a login — waits for it. WAL lets readers read the last committed state while
 * a writer writes; this driver uses that:
 *
 * - A statement outside a transaction runs on the writing connection when it is free, as
 *   before, and the lease keeps that connection until Kysely releases it (so a session that
 *   made a temporary table keeps seeing it).
 * - When the writing connection is held by a transaction, a read-only statement outside any
 *   transaction runs on the reading connection instead of waiting: it sees what was last
 *   committed, which is what it would have seen had it run just before the transaction began.
 * - A streamed select outside a transaction always reads on the reading connection: an export
 *   that streams a county must not hold up writes while it is read.
 * - Writes, and everything inside a transaction, wait for and use the writing connection.
 *
 * An in-memory database has no second connection (another one would open another database).
 */
import type BetterSqlite3 from "better-sqlite3";
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SelectQueryNode,
  SqliteDialect,
  type TransactionSettings,
} from "kysely";

/** A promise queue for the writing connection (one holder at a time). */
class WriterLock {
  private held: Promise<void> | null = null;
  private release: (() => void) | null = null;

  get busy(): boolean {
    return this.held !== null;
  }

  async lock(): Promise<void> {
    while (this.held) await this.held;
    this.held = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  unlock(): void {
    const release = this.release;
    this.held = null;
    this.release = null;
    release?.();
  }
}

/** Prepared statements kept per connection, by SQL text (the most recently used). */
const CACHED_STATEMENTS = 200;
const caches = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

/**
 * The connection's prepared statement for `text`: preparing costs as much as running a simple
 * lookup, and an API request runs the same few statements every time. Kysely's own driver
 * prepares every query afresh.
 */
export function prepared(db: BetterSqlite3.Database, text: string): BetterSqlite3.Statement {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let statement = cache.get(text);
  if (statement) {
    // Most recently used last: the first entry is the one to drop.
    cache.delete(text);
  } else {
    statement = db.prepare(text);
    if (cache.size >= CACHED_STATEMENTS) cache.delete(cache.keys().next().value!);
  }
  cache.set(text, statement);
  return statement;
}

function run(db: BetterSqlite3.Database, query: CompiledQuery): QueryResult<unknown> {
  const statement = prepared(db, query.sql);
  if (statement.reader) return { rows: statement.all(query.parameters as unknown[]) };
  const { changes, lastInsertRowid } = statement.run(query.parameters as unknown[]);
  return {
    numAffectedRows: BigInt(changes),
    insertId: BigInt(lastInsertRowid),
    rows: [],
  };
}

/** One use of the driver by Kysely: a single query, a `connection()` session or a transaction. */
class Lease implements DatabaseConnection {
  /** Whether this lease holds the writing connection (until Kysely releases it). */
  holdsWriter = false;

  constructor(
    private readonly driver: SplitSqliteDriver,
    readonly writer: BetterSqlite3.Database,
    private readonly reader: BetterSqlite3.Database | null,
  ) {}

  /** The connection a statement runs on (taking the writing one if it must). */
  private async connectionFor(query: CompiledQuery): Promise<BetterSqlite3.Database> {
    if (this.holdsWriter) return this.writer;
    if (this.reader && this.driver.lock.busy && this.readsOnly(query)) return this.reader;
    await this.driver.lock.lock();
    this.holdsWriter = true;
    return this.writer;
  }

  /** Whether the reading connection can run the statement (a read of tables it can see). */
  private readsOnly(query: CompiledQuery): boolean {
    try {
      const statement = prepared(this.reader!, query.sql);
      return statement.reader && statement.readonly;
    } catch {
      // A temporary table of the writing connection, say: it must wait for the writer.
      return false;
    }
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return run(await this.connectionFor(query), query) as QueryResult<R>;
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query))
      throw new Error("Sqlite driver only supports streaming of select queries");
    // A stream (an export of a county, say) lasts as long as its reader: outside a transaction
    // it reads on the reading connection even when the writer is free, so that writes need not
    // wait for it to end.
    const db =
      !this.holdsWriter && this.reader && this.readsOnly(query)
        ? this.reader
        : await this.connectionFor(query);
    for (const row of db.prepare(query.sql).iterate(query.parameters as unknown[]))
      yield { rows: [row as R] };
  }
}

export class SplitSqliteDriver implements Driver {
  readonly lock = new WriterLock();

  constructor(
    private readonly writer: BetterSqlite3.Database,
    private readonly reader: BetterSqlite3.Database | null,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Lease(this, this.writer, this.reader);
  }

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings) {
    const lease = connection as Lease;
    if (!lease.holdsWriter) {
      await this.lock.lock();
      lease.holdsWriter = true;
    }
    await lease.executeQuery(CompiledQuery.raw("begin"));
  }

  async commitTransaction(connection: DatabaseConnection) {
    await connection.executeQuery(CompiledQuery.raw("commit"));
  }

  async rollbackTransaction(connection: DatabaseConnection) {
    await connection.executeQuery(CompiledQuery.raw("rollback"));
  }

  async savepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`savepoint "${name}"`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint "${name}"`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint "${name}"`));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    if (lease.holdsWriter) {
      lease.holdsWriter = false;
      this.lock.unlock();
    }
  }

  async destroy(): Promise<void> {
    this.reader?.close();
    this.writer.close();
  }
}

/** Kysely's SQLite dialect (compiler, adapter, introspector) over the split driver. */
export class SplitSqliteDialect extends SqliteDialect {
  constructor(
    private readonly writer: BetterSqlite3.Database,
    private readonly reader: BetterSqlite3.Database | null,
  ) {
    super({ database: writer });
  }

  override createDriver(): Driver {
    return new SplitSqliteDriver(this.writer, this.reader);
  }
}
