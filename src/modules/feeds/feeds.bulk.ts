/**
 * The write path of a feed load, per engine, inside the load's transaction: the members an ID
 * number names, the current facts of row keys, the rows that matched no one, and the facts.
 *
 * - SQLite: prepared statements, reused for every row, run directly on the better-sqlite3
 *   connection under Kysely (SQLite has one connection, so they belong to the transaction Kysely
 *   has open on it; as registry.bulk.ts does). A new fact's id is `lastInsertRowid`, so a
 *   corrected row links the fact it replaces at once.
 * - PostgreSQL: one statement per chunk for the lookups (`= any($1)`, one array parameter), and
 *   COPY (pg-copy-streams, on the transaction's own client) for the rows and facts; replaced
 *   facts are linked to their replacements by one UPDATE per chunk, joined on the row key.
 * - Anything else (a Kysely instance not opened by `connect`): the repository's Kysely queries.
 *
 * Nothing here decides what is written: the service matches, compares and counts.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type BetterSqlite3 from "better-sqlite3";
import { type Kysely, sql } from "kysely";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { type Engine, pgClientOf, sqliteHandle } from "../../db/connect.ts";
import type { DB } from "../../db/schema.ts";
import type { FeedRow } from "./feed.format.ts";
import { type CurrentFact, createFeedsRepository, type Holder } from "./feeds.repository.ts";

/** What every fact and row of one load shares. */
export interface LoadContext {
  feedType: string;
  loadId: number;
  fileHash: string;
  fileName: string;
  /** The load's time (ISO), the facts' created_at and what they supersede's superseded_at. */
  at: string;
}

/** A row that matched no member (or more than one household), kept for the report. */
export interface UnmatchedRow {
  row: FeedRow;
  outcome: "unmatched" | "ambiguous";
  reason: string;
  village: string | null;
}

/** A fact to create for a matched row, and the current fact it replaces, if any. */
export interface NewFact {
  row: FeedRow;
  holder: Holder;
  replaces: number | null;
}

export interface FactStore {
  /** Members (active or removed) of these ID numbers, by ID number. */
  holdersOf(idNumbers: readonly string[]): Promise<Map<string, Holder[]>>;
  /** The current facts of these row keys, by key. */
  currentFacts(keys: readonly string[]): Promise<Map<string, CurrentFact>>;
  insertRows(rows: readonly UnmatchedRow[]): Promise<void>;
  /**
   * Ends the facts the new ones replace, inserts the new ones and links each replaced fact to
   * its replacement (`superseded_by`).
   */
  writeFacts(facts: readonly NewFact[]): Promise<void>;
  /** Ends facts no fact replaces (a period's facts a new file no longer lists). */
  endFacts(ids: readonly number[]): Promise<void>;
}

/** The store for a load in the transaction `trx` of the database `root` (as the service holds it). */
export async function factStore(
  root: Kysely<DB>,
  trx: Kysely<DB>,
  engine: Engine,
  load: LoadContext,
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
      ? await postgresStore(root, trx, load)
      : (sqliteStore(root, load) ?? kyselyStore(trx, load));
  if (any) return store;
  return { ...store, currentFacts: async () => new Map() };
}

const HOLDER_COLUMNS = `m.id, m.household_id, m.id_number, m.name, m.status, h.village_code`;
const CURRENT_COLUMNS = `id, row_key, member_id, vals, effective_from, effective_to, village_code`;
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
  "file_hash",
  "file_name",
  "row_number",
  "created_at",
] as const;

type Value = string | number | null;

const rowValues = (r: UnmatchedRow, load: LoadContext): Value[] => [
  load.loadId,
  r.row.row,
  r.outcome,
  r.reason,
  r.row.idNumber,
  r.row.name,
  r.village,
  r.row.vals,
];

const factValues = (f: NewFact, load: LoadContext): Value[] => [
  load.feedType,
  f.row.key,
  f.row.idNumber,
  f.holder.id,
  f.holder.household_id,
  f.holder.village_code,
  f.row.from,
  f.row.to,
  f.row.period,
  f.row.vals,
  load.loadId,
  load.fileHash,
  load.fileName,
  f.row.row,
  load.at,
];

function byIdNumber(holders: readonly Holder[]): Map<string, Holder[]> {
  const out = new Map<string, Holder[]>();
  for (const h of holders) {
    const list = out.get(h.id_number);
    if (list) list.push(h);
    else out.set(h.id_number, [h]);
  }
  return out;
}

// ─── SQLite ─────────────────────────────────────────────────────────────────────

const insertSql = (table: string, columns: readonly string[]) =>
  `insert into "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) values (${columns.map(() => "?").join(", ")})`;

function sqliteStore(root: Kysely<DB>, load: LoadContext): FactStore | undefined {
  const raw = sqliteHandle(root);
  if (!raw) return undefined;
  const prepared = new Map<string, BetterSqlite3.Statement>();
  const statement = (text: string) => {
    let s = prepared.get(text);
    if (!s) {
      s = raw.prepare(text);
      prepared.set(text, s);
    }
    return s;
  };
  const holders = statement(
    `select ${HOLDER_COLUMNS} from members m join households h on h.id = m.household_id where m.id_number = ?`,
  );
  const current = statement(
    `select ${CURRENT_COLUMNS} from facts where feed_type = ? and row_key = ? and superseded_at is null`,
  );
  const end = statement(
    "update facts set superseded_at = ?, superseded_load = ?, superseded_by = null where id = ?",
  );
  const link = statement("update facts set superseded_by = ? where id = ?");
  return {
    async holdersOf(idNumbers) {
      const out = new Map<string, Holder[]>();
      for (const id of idNumbers) {
        const found = holders.all(id) as Holder[];
        if (found.length > 0) out.set(id, found);
      }
      return out;
    },
    async currentFacts(keys) {
      const out = new Map<string, CurrentFact>();
      for (const key of keys) {
        const fact = current.get(load.feedType, key) as CurrentFact | undefined;
        if (fact) out.set(key, fact);
      }
      return out;
    },
    async insertRows(rows) {
      const insert = statement(insertSql("feed_rows", ROW_COLUMNS));
      for (const r of rows) insert.run(rowValues(r, load));
    },
    async writeFacts(facts) {
      const insert = statement(insertSql("facts", FACT_COLUMNS));
      for (const f of facts) {
        // The replaced fact ends first, so that the unique current key holds for the new one.
        if (f.replaces !== null) end.run(load.at, load.loadId, f.replaces);
        const id = insert.run(factValues(f, load)).lastInsertRowid;
        if (f.replaces !== null) link.run(id, f.replaces);
      }
    },
    async endFacts(ids) {
      for (const id of ids) end.run(load.at, load.loadId, id);
    },
  };
}

// ─── PostgreSQL ─────────────────────────────────────────────────────────────────

const COPY_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "\t": "\\t",
  "\n": "\\n",
  "\r": "\\r",
};

/** A value in COPY's text format: tabs, newlines and backslashes escaped, null as \N. */
export function copyValue(v: Value): string {
  if (v === null) return "\\N";
  if (typeof v === "number") return String(v);
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : v;
}

/** Rows sent by one COPY into `table`, on the transaction's client. */
async function copyInto(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  lines: string,
): Promise<void> {
  const stream = client.query(
    copyFrom(`copy "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) from stdin`),
  );
  await pipeline(Readable.from([lines]), stream);
}

function copyLines<T>(items: readonly T[], values: (item: T) => Value[]): string {
  let out = "";
  for (const item of items) {
    const v = values(item);
    for (let i = 0; i < v.length; i++) out += (i === 0 ? "" : "\t") + copyValue(v[i]!);
    out += "\n";
  }
  return out;
}

async function postgresStore(
  root: Kysely<DB>,
  trx: Kysely<DB>,
  load: LoadContext,
): Promise<FactStore> {
  const client = await pgClientOf(root, trx);
  if (!client) return kyselyStore(trx, load);
  const end = async (ids: readonly number[]) => {
    if (ids.length === 0) return;
    await sql`update facts set superseded_at = ${load.at}, superseded_load = ${load.loadId}, superseded_by = null where id = any(${ids}::bigint[])`.execute(
      trx,
    );
  };
  return {
    async holdersOf(idNumbers) {
      if (idNumbers.length === 0) return new Map();
      const { rows } =
        await sql<Holder>`select ${sql.raw(HOLDER_COLUMNS)} from members m join households h on h.id = m.household_id where m.id_number = any(${idNumbers}::text[])`.execute(
          trx,
        );
      return byIdNumber(rows);
    },
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
      await copyInto(
        client,
        "feed_rows",
        ROW_COLUMNS,
        copyLines(rows, (r) => rowValues(r, load)),
      );
    },
    async writeFacts(facts) {
      if (facts.length === 0) return;
      const replaced: number[] = [];
      for (const f of facts) if (f.replaces !== null) replaced.push(f.replaces);
      await end(replaced);
      await copyInto(
        client,
        "facts",
        FACT_COLUMNS,
        copyLines(facts, (f) => factValues(f, load)),
      );
      if (replaced.length > 0)
        await sql`update facts o set superseded_by = n.id from facts n where o.id = any(${replaced}::bigint[]) and n.feed_type = o.feed_type and n.row_key = o.row_key and n.superseded_at is null and n.load_id = ${load.loadId}`.execute(
          trx,
        );
    },
    endFacts: end,
  };
}

// ─── Kysely (fallback) ──────────────────────────────────────────────────────────

function kyselyStore(trx: Kysely<DB>, load: LoadContext): FactStore {
  const repo = createFeedsRepository(trx);
  return {
    async holdersOf(idNumbers) {
      return byIdNumber(await repo.holdersOf(idNumbers));
    },
    async currentFacts(keys) {
      return new Map((await repo.currentFacts(load.feedType, keys)).map((f) => [f.row_key, f]));
    },
    async insertRows(rows) {
      await repo.insertRows(
        rows.map((r) => ({
          load_id: load.loadId,
          row_number: r.row.row,
          outcome: r.outcome,
          reason: r.reason,
          id_number: r.row.idNumber,
          name: r.row.name,
          village_code: r.village,
          vals: r.row.vals,
        })),
      );
    },
    async writeFacts(facts) {
      const replaced = facts.filter((f) => f.replaces !== null);
      await repo.supersede(
        replaced.map((f) => ({ id: f.replaces!, by: null })),
        load.loadId,
        load.at,
      );
      const rows = facts.map((f) => ({
        feed_type: load.feedType,
        row_key: f.row.key,
        id_number: f.row.idNumber,
        member_id: f.holder.id,
        household_id: f.holder.household_id,
        village_code: f.holder.village_code,
        effective_from: f.row.from,
        effective_to: f.row.to,
        period: f.row.period,
        vals: f.row.vals,
        load_id: load.loadId,
        file_hash: load.fileHash,
        file_name: load.fileName,
        row_number: f.row.row,
        created_at: load.at,
        superseded_by: null,
        superseded_load: null,
        superseded_at: null,
      }));
      if (replaced.length === 0) return repo.insertFactsQuietly(rows);
      const ids = await repo.insertFacts(rows);
      await repo.setReplacement(
        facts.flatMap((f, i) => (f.replaces === null ? [] : [{ old: f.replaces, by: ids[i]! }])),
      );
    },
    async endFacts(ids) {
      await repo.supersede(
        ids.map((id) => ({ id, by: null })),
        load.loadId,
        load.at,
      );
    },
  };
}
