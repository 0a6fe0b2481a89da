import { type Kysely, sql } from "kysely";
import type pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { checkpointInBackground, withoutAutoCheckpoint } from "../../db/checkpoint.ts";
import { type Engine, pgClientOf, sqliteHandle } from "../../db/connect.ts";
import { copyField, copyInto, copyLine } from "../../db/copy.ts";
import type { DB } from "../../db/schema.ts";
import {
  byIdNumber,
  CURRENT_COLUMNS,
  HOLDER_COLUMNS,
  holdersFinder,
  type MemberSource,
  scanSql,
  sqliteLookups,
  statements,
} from "./feeds.lookup.ts";
import { FACT_FIELDS, type MatchLookups, ROW_FIELDS_UNMATCHED, type Value } from "./feeds.match.ts";
import { type CurrentFact, createFeedsRepository, type Holder } from "./feeds.repository.ts";

/** What every fact and row of one load shares. */
export interface LoadContext {
  feedType: string;
  loadId: number;
  fileHash: string;
  fileName: string;
  /** The load's time (ISO): what the facts it supersedes get as superseded_at. */
  at: string;
}

export interface FactStore extends MatchLookups {
  /**
   * Members of these ID numbers, by ID number: every active one (wherever registered) and the
   * removed ones inside the load's scope (outside it they are never matched). `rowsExpected`
   * (the file's rows, estimated) decides whether the scope's members are read into memory once
   * (a large file) or looked up per chunk (a small one).
   */
  holdersOf(idNumbers: readonly string[], rowsExpected: number): Promise<Map<string, Holder[]>>;
  /** The current facts of these row keys, by key. */
  currentFacts(keys: readonly string[]): Promise<Map<string, CurrentFact>>;
  /** Rows that matched no one: `Decision.rows`, `ROW_FIELDS_UNMATCHED` values each. */
  insertRows(rows: readonly Value[]): Promise<void>;
  /**
   * Facts to create (`Decision.facts`, `FACT_FIELDS` values each): ends the facts the new ones
   * replace, inserts the new ones and links each replaced fact to its replacement
   * (`superseded_by`). `factsAhead` estimates the facts the load will create from here on,
   * these included: a store may prepare for a large write (SQLite: `bulkPlan`).
   */
  writeFacts(facts: readonly Value[], factsAhead: number): Promise<void>;
  /** Ends facts no fact replaces (a period's facts a new file no longer lists). */
  endFacts(ids: readonly number[]): Promise<void>;
  /** After the last write: whatever the writes left to do (SQLite: rebuild a suspended index). */
  finish(): Promise<void>;
}

/**
 * Facts a load writes from which, on SQLite, its checkpoint runs in the background
 * (db/checkpoint.ts): below, the few pages are copied at once, as the automatic checkpoint would
 * (a worker thread costs about as much to start as a checkpoint of 30,000 facts).
 */
export const BACKGROUND_CHECKPOINT_FACTS = 50_000;

/**
 * Runs a load's transaction. On SQLite its foreign-key checks are off for it: every fact's
 * member and household were read in this same transaction (SQLite has one writer, and members
 * are never deleted) and its load was inserted in it, so the checks cannot fail, and they cost
 * about as much as the rest of the insert (three parent lookups per fact; docs/benchmarks.md).
 * The pragma applies to the connection and only outside a transaction, so the connection is
 * held from before BEGIN until after the checks are back on: nothing else runs without them.
 *
 * Nor does its COMMIT checkpoint the WAL: once committed, the WAL is checkpointed in a worker
 * thread when `written()` reaches `BACKGROUND_CHECKPOINT_FACTS`, else at once, as before.
 */
export async function loadTransaction<T>(
  db: Kysely<DB>,
  engine: Engine,
  work: (trx: Kysely<DB>) => Promise<T>,
  written: () => number = () => 0,
): Promise<T> {
  const raw = engine === "sqlite" ? sqliteHandle(db) : undefined;
  if (!raw) return db.transaction().execute(work);
  return db.connection().execute(async (conn) => {
    // Through the session, not the raw handle: its first statement is what takes the writing
    // connection (db/sqlite-driver.ts), so another request's transaction cannot be running on
    // it between here and BEGIN.
    await sql`pragma foreign_keys = OFF`.execute(conn);
    let result: T;
    try {
      result = await withoutAutoCheckpoint(raw, () => conn.transaction().execute(work));
    } finally {
      await sql`pragma foreign_keys = ON`.execute(conn);
    }
    // Committed. Still on the held connection: no other transaction is open on it.
    if (written() >= BACKGROUND_CHECKPOINT_FACTS) void checkpointInBackground(raw);
    else raw.pragma("wal_checkpoint(PASSIVE)");
    return result;
  });
}

/** The store for a load in the transaction `trx` of the database `root` (as the service holds it). */
export async function factStore(
  root: Kysely<DB>,
  trx: Kysely<DB>,
  engine: Engine,
  load: LoadContext,
  range: readonly [string, string] | null,
): Promise<FactStore> {
  // Rows of one load never share a key (the service refuses the second), so a feed without
  // current facts when the load starts has none to compare with until it ends.
  const any = await trx
    .selectFrom("facts")
    .select("id")
    .where("feed_type", "=", load.feedType)
    .where("superseded_at", "is", null)
    .limit(1)
    .executeTakeFirst();
  const store =
    engine === "postgres"
      ? await postgresStore(root, trx, load, range)
      : (sqliteStore(root, load, range) ?? kyselyStore(trx, load));
  if (any) return store;
  return { ...store, currentFacts: async () => new Map() };
}

const ROW_COLUMNS = [
  "load_id",
  "row_number",
  "outcome",
  "reason",
  "id_number",
  "name",
  "village_code",
  "vals",
] as const;
const FACT_COLUMNS = [
  "feed_type",
  "row_key",
  "id_number",
  "member_id",
  "household_id",
  "village_code",
  "effective_from",
  "effective_to",
  "period",
  "vals",
  "load_id",
  "row_number",
] as const;

/** Writes row `i` of `src` (`Decision.rows`) into `into` from `at`, in ROW_COLUMNS order. */
function putRow(into: Value[], at: number, src: readonly Value[], i: number, load: LoadContext) {
  const r = i * ROW_FIELDS_UNMATCHED;
  into[at] = load.loadId;
  into[at + 1] = src[r]!; // row
  into[at + 2] = src[r + 1]!; // outcome
  into[at + 3] = src[r + 2]!; // reason
  into[at + 4] = src[r + 3]!; // id_number
  into[at + 5] = src[r + 4]!; // name
  into[at + 6] = src[r + 5]!; // village_code
  into[at + 7] = src[r + 6]!; // vals
}

/** Writes fact `i` of `src` (`Decision.facts`) into `into` from `at`, in FACT_COLUMNS order. */
function putFact(into: Value[], at: number, src: readonly Value[], i: number, load: LoadContext) {
  const f = i * FACT_FIELDS;
  into[at] = load.feedType;
  into[at + 1] = src[f]!; // row_key
  into[at + 2] = src[f + 1]!; // id_number
  into[at + 3] = src[f + 2]!; // member_id
  into[at + 4] = src[f + 3]!; // household_id
  into[at + 5] = src[f + 4]!; // village_code
  into[at + 6] = src[f + 5]!; // effective_from
  into[at + 7] = src[f + 6]!; // effective_to
  into[at + 8] = src[f + 7]!; // period
  into[at + 9] = src[f + 8]!; // vals
  into[at + 10] = load.loadId;
  into[at + 11] = src[f + 9]!; // row_number
}

/** The current fact that fact `i` of `src` replaces, or null. */
const replaces = (src: readonly Value[], i: number) => src[i * FACT_FIELDS + 10] as number | null;

const rowValues = (src: readonly Value[], i: number, load: LoadContext): Value[] => {
  const out: Value[] = new Array(ROW_COLUMNS.length);
  putRow(out, 0, src, i, load);
  return out;
};

const factValues = (src: readonly Value[], i: number, load: LoadContext): Value[] => {
  const out: Value[] = new Array(FACT_COLUMNS.length);
  putFact(out, 0, src, i, load);
  return out;
};

// ─── SQLite ─────────────────────────────────────────────────────────────────────

/**
 * Indexes of facts that a large load drops and builds again at its end, inside its transaction.
 * A file lists people in no order of household, so each fact's entry in facts_household goes to
 * a random place in the index: about 2.4 µs a fact, a third of SQLite's work per fact. Building
 * the index again sorts every fact of the table once: about 0.6 µs a fact (docs/benchmarks.md,
 * session 9). The other indexes take their entries in the order of the load (its id, the file's
 * keys) and stay.
 */
const SUSPENDABLE = ["facts_household"] as const;
/** µs per fact: adding an entry to a suspendable index in random order; building it by sorting. */
const RANDOM_ENTRY_US = 2.4;
const SORTED_ENTRY_US = 0.6;

/**
 * Whether a load that will create `factsAhead` more facts, into a table of about
 * `factsInTable`, costs less with the suspendable indexes dropped and built again at its end:
 * when the load adds more than about a third of the table (a department's first file or a
 * year's backlog, not a month's).
 */
export const bulkPlan = (factsInTable: number, factsAhead: number): boolean =>
  factsAhead * RANDOM_ENTRY_US > (factsInTable + factsAhead) * SORTED_ENTRY_US;

const insertSql = (table: string, columns: readonly string[]) =>
  `insert into "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) values (${columns.map(() => "?").join(", ")})`;

function sqliteStore(
  root: Kysely<DB>,
  load: LoadContext,
  range: readonly [string, string] | null,
): FactStore | undefined {
  const raw = sqliteHandle(root);
  if (!raw) return undefined;
  const statement = statements(raw);
  const end = statement(
    "update facts set superseded_at = ?, superseded_load = ?, superseded_by = null where id = ?",
  );
  const link = statement("update facts set superseded_by = ? where id = ?");
  const lookups = sqliteLookups(statement, load.feedType, range);
  /** The statements that build the indexes again, once dropped (null: not decided yet). */
  let suspended: string[] | null = null;
  /**
   * Decided at the first write: the load's transaction drops the indexes (DDL is part of it in
   * SQLite, so a rollback restores them, and other connections keep reading the last committed
   * schema with them). Each is built again from its own definition in sqlite_master.
   */
  const plan = (factsAhead: number) => {
    suspended = [];
    // The largest id, not count(*): a bound read from the end of the table, not a scan of it.
    const top = statement("select max(id) as n from facts").get() as { n: number | null };
    if (!bulkPlan(top.n ?? 0, factsAhead)) return;
    const definition = statement("select sql from sqlite_master where type = 'index' and name = ?");
    for (const name of SUSPENDABLE) {
      const found = definition.get(name) as { sql: string } | undefined;
      if (!found) continue;
      raw.exec(`drop index "${name}"`);
      suspended.push(found.sql);
    }
  };
  return {
    ...lookups,
    async insertRows(rows) {
      // One prepared INSERT per row, its parameters in one reused array. (Multi-row INSERTs
      // of 50 rows measured the same: better-sqlite3's per-call cost is small next to SQLite's.)
      const insert = statement(insertSql("feed_rows", ROW_COLUMNS));
      const params: Value[] = new Array(ROW_COLUMNS.length);
      for (let i = 0; i < rows.length / ROW_FIELDS_UNMATCHED; i++) {
        putRow(params, 0, rows, i, load);
        insert.run(params);
      }
    },
    async writeFacts(facts, factsAhead) {
      if (facts.length === 0) return;
      if (suspended === null) plan(factsAhead);
      const insert = statement(insertSql("facts", FACT_COLUMNS));
      // The values as arguments, in FACT_COLUMNS order, not in an array: better-sqlite3 reads
      // an array's elements one by one through V8's API, about 0.3 s a million facts more.
      const run = (f: number) =>
        insert.run(
          load.feedType,
          facts[f], // row_key
          facts[f + 1], // id_number
          facts[f + 2], // member_id
          facts[f + 3], // household_id
          facts[f + 4], // village_code
          facts[f + 5], // effective_from
          facts[f + 6], // effective_to
          facts[f + 7], // period
          facts[f + 8], // vals
          load.loadId,
          facts[f + 9], // row_number
        );
      for (let i = 0; i < facts.length / FACT_FIELDS; i++) {
        const old = replaces(facts, i);
        if (old === null) {
          run(i * FACT_FIELDS);
          continue;
        }
        // The replaced fact ends first, so that the unique current key holds for the new one,
        // whose id links it.
        end.run(load.at, load.loadId, old);
        link.run(run(i * FACT_FIELDS).lastInsertRowid, old);
      }
    },
    async endFacts(ids) {
      for (const id of ids) end.run(load.at, load.loadId, id);
    },
    async finish() {
      for (const definition of suspended ?? []) raw.exec(definition);
      suspended = [];
    },
  };
}

// ─── PostgreSQL ─────────────────────────────────────────────────────────────────

/** Lines of a COPY … TO STDOUT, as arrays of fields. */
async function* copyOut(client: pg.PoolClient, query: string): AsyncGenerator<(string | null)[]> {
  const stream = client.query(copyTo(`copy (${query}) to stdout`));
  stream.setEncoding("utf8");
  let rest = "";
  for await (const chunk of stream as AsyncIterable<string>) {
    const text = rest + chunk;
    let start = 0;
    for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", start)) {
      yield text.slice(start, end).split("\t").map(copyField);
      start = end + 1;
    }
    rest = text.slice(start);
  }
}

/** A string as a PostgreSQL literal (for COPY (select …), which takes no parameters). */
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function postgresStore(
  root: Kysely<DB>,
  trx: Kysely<DB>,
  load: LoadContext,
  range: readonly [string, string] | null,
): Promise<FactStore> {
  const client = await pgClientOf(root, trx);
  if (!client) return kyselyStore(trx, load);
  const inRange = range
    ? sql` and h.village_code >= ${range[0]} and h.village_code < ${range[1]}`
    : sql``;
  const members: MemberSource = {
    async lookup(idNumbers) {
      if (idNumbers.length === 0) return [];
      const { rows } =
        await sql<Holder>`select ${sql.raw(HOLDER_COLUMNS)} from members m join households h on h.id = m.household_id where m.id_number = any(${idNumbers}::text[])`.execute(
          trx,
        );
      return rows;
    },
    async active(idNumbers) {
      const { rows } =
        await sql<Holder>`select ${sql.raw(HOLDER_COLUMNS)} from members m join households h on h.id = m.household_id where m.id_number = any(${idNumbers}::text[]) and m.status = 'active'`.execute(
          trx,
        );
      return rows;
    },
    async count() {
      const { rows } = await sql<{
        n: number;
      }>`select count(*) as n from members m join households h on h.id = m.household_id where m.id_number is not null${inRange}`.execute(
        trx,
      );
      return Number(rows[0]!.n);
    },
    async scan(range, into) {
      const bounds = range ? [literal(range[0]), literal(range[1])] : [];
      for await (const r of copyOut(
        client,
        scanSql(range, (n) => bounds[n - 1]!),
      ))
        into.add(r[0]!, Number(r[1]), Number(r[2]), r[3]!, Number(r[4]), r[5]!);
    },
  };
  const end = async (ids: readonly number[]) => {
    if (ids.length === 0) return;
    await sql`update facts set superseded_at = ${load.at}, superseded_load = ${load.loadId}, superseded_by = null where id = any(${ids}::bigint[])`.execute(
      trx,
    );
  };
  return {
    ...holdersFinder(members, range),
    async currentFacts(keys) {
      if (keys.length === 0) return new Map();
      const { rows } =
        await sql<CurrentFact>`select ${sql.raw(CURRENT_COLUMNS)} from facts where feed_type = ${load.feedType} and row_key = any(${keys}::text[]) and superseded_at is null`.execute(
          trx,
        );
      return new Map(rows.map((f) => [f.row_key, f]));
    },
    async insertRows(rows) {
      if (rows.length === 0) return;
      const lines: string[] = [];
      for (let i = 0; i < rows.length / ROW_FIELDS_UNMATCHED; i++)
        lines.push(copyLine(rowValues(rows, i, load)));
      await copyInto(trx, "feed_rows", ROW_COLUMNS, lines);
    },
    async writeFacts(facts) {
      if (facts.length === 0) return;
      const replaced: number[] = [];
      const lines: string[] = [];
      for (let i = 0; i < facts.length / FACT_FIELDS; i++) {
        const old = replaces(facts, i);
        if (old !== null) replaced.push(old);
        lines.push(copyLine(factValues(facts, i, load)));
      }
      await end(replaced);
      await copyInto(trx, "facts", FACT_COLUMNS, lines);
      if (replaced.length > 0)
        await sql`update facts o set superseded_by = n.id from facts n where o.id = any(${replaced}::bigint[]) and n.feed_type = o.feed_type and n.row_key = o.row_key and n.superseded_at is null and n.load_id = ${load.loadId}`.execute(
          trx,
        );
    },
    endFacts: end,
    async finish() {},
  };
}

// ─── Kysely (fallback) ──────────────────────────────────────────────────────────

function kyselyStore(trx: Kysely<DB>, load: LoadContext): FactStore {
  const repo = createFeedsRepository(trx);
  return {
    async holdersOf(idNumbers) {
      // Always per chunk: a Kysely instance made elsewhere is a test's or a tool's, not a county's.
      return byIdNumber(await repo.holdersOf(idNumbers));
    },
    async currentFacts(keys) {
      return new Map((await repo.currentFacts(load.feedType, keys)).map((f) => [f.row_key, f]));
    },
    async insertRows(rows) {
      const out = [];
      for (let i = 0; i < rows.length / ROW_FIELDS_UNMATCHED; i++) {
        const [load_id, row_number, outcome, reason, id_number, name, village_code, vals] =
          rowValues(rows, i, load);
        out.push({
          load_id: load_id as number,
          row_number: row_number as number,
          outcome: outcome as "unmatched" | "ambiguous",
          reason: reason as string,
          id_number: id_number as string,
          name: name as string | null,
          village_code: village_code as string | null,
          vals: vals as string,
        });
      }
      await repo.insertRows(out);
    },
    async writeFacts(facts) {
      const n = facts.length / FACT_FIELDS;
      const replaced: number[] = [];
      const rows = [];
      for (let i = 0; i < n; i++) {
        const old = replaces(facts, i);
        if (old !== null) replaced.push(old);
        const v = factValues(facts, i, load);
        rows.push({
          feed_type: v[0] as string,
          row_key: v[1] as string,
          id_number: v[2] as string,
          member_id: v[3] as number,
          household_id: v[4] as number,
          village_code: v[5] as string,
          effective_from: v[6] as string,
          effective_to: v[7] as string | null,
          period: v[8] as string | null,
          vals: v[9] as string,
          load_id: v[10] as number,
          row_number: v[11] as number,
          superseded_by: null,
          superseded_load: null,
          superseded_at: null,
        });
      }
      await repo.supersede(
        replaced.map((id) => ({ id, by: null })),
        load.loadId,
        load.at,
      );
      if (replaced.length === 0) return repo.insertFactsQuietly(rows);
      const ids = await repo.insertFacts(rows);
      const pairs: { old: number; by: number }[] = [];
      for (let i = 0; i < n; i++) {
        const old = replaces(facts, i);
        if (old !== null) pairs.push({ old, by: ids[i]! });
      }
      await repo.setReplacement(pairs);
    },
    async endFacts(ids) {
      await repo.supersede(
        ids.map((id) => ({ id, by: null })),
        load.loadId,
        load.at,
      );
    },
    async finish() {},
  };
}
