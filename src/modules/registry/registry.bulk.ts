/**
 * The registry's bulk insert path (imports, demo loads): new households with their members and
 * one event each, in as few round trips and as little per-row work as each engine allows.
 *
 * - SQLite: one prepared single-row INSERT per table, reused for every row, run directly on the
 *   better-sqlite3 connection under Kysely (SQLite has one connection, so the statements belong
 *   to the transaction Kysely has open on it); ids come from `lastInsertRowid`.
 * - PostgreSQL: ids taken from the tables' sequences first (one query per table), then one
 *   `COPY … FROM STDIN` per table (pg-copy-streams) on the transaction's connection: the server
 *   parses no statement per row and Node builds one line of text per row.
 * - Anything else (a Kysely instance not opened by `connect`): multi-row INSERTs through Kysely.
 *
 * Rows come as arrays of values in the column order of registry.mapping.ts.
 */
import type BetterSqlite3 from "better-sqlite3";
import { type Kysely, sql } from "kysely";
import { type Engine, sqliteHandle } from "../../db/connect.ts";
import { copyInto, copyLine } from "../../db/copy.ts";
import type { DB } from "../../db/schema.ts";
import { HOUSEHOLD_INSERT_COLUMNS, MEMBER_INSERT_COLUMNS } from "./registry.mapping.ts";
import { createRegistryRepository } from "./registry.repository.ts";

type Row = Record<string, unknown>;

export interface NewHouseholdRows {
  /** Values of `HOUSEHOLD_INSERT_COLUMNS` (registry.mapping.ts). */
  household: unknown[];
  /** Values of household_id + `MEMBER_INSERT_COLUMNS`; household_id is filled in here. */
  members: unknown[][];
}

export interface InsertedHousehold {
  id: number;
  /** Member ids, in the order of `members`. */
  memberIds: number[];
}

const MEMBER_COLUMNS = ["household_id", ...MEMBER_INSERT_COLUMNS];
const NUMBER_AT = HOUSEHOLD_INSERT_COLUMNS.indexOf("household_number");
const POSITION_AT = MEMBER_COLUMNS.indexOf("position");

/** Inserts households and their members; then the events `eventFor` builds from the new ids. */
export interface BulkWriter {
  insertHouseholds(
    items: readonly NewHouseholdRows[],
    eventFor: (index: number, inserted: InsertedHousehold) => Row,
  ): Promise<InsertedHousehold[]>;
}

/** The writer for a transaction `trx` of the database `root` (as given to the service). */
export function bulkWriter(root: Kysely<DB>, trx: Kysely<DB>, engine: Engine): BulkWriter {
  if (engine === "postgres") return postgresWriter(trx);
  const raw = sqliteHandle(root);
  return raw ? sqliteWriter(raw) : kyselyWriter(trx);
}

function zip(columns: readonly string[], values: readonly unknown[]): Row {
  const out: Row = {};
  for (let i = 0; i < columns.length; i++) out[columns[i]!] = values[i];
  return out;
}

// ─── SQLite ─────────────────────────────────────────────────────────────────────

const statements = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

function insertStatement(raw: BetterSqlite3.Database, table: string, columns: readonly string[]) {
  let cache = statements.get(raw);
  if (!cache) {
    cache = new Map();
    statements.set(raw, cache);
  }
  const key = `${table}(${columns.join(",")})`;
  let stmt = cache.get(key);
  if (!stmt) {
    stmt = raw.prepare(
      `insert into "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) values (${columns.map(() => "?").join(", ")})`,
    );
    cache.set(key, stmt);
  }
  return stmt;
}

function valuesOf(row: Row, columns: readonly string[]): unknown[] {
  const out = new Array(columns.length);
  for (let i = 0; i < columns.length; i++) out[i] = row[columns[i]!] ?? null;
  return out;
}

function sqliteWriter(raw: BetterSqlite3.Database): BulkWriter {
  return {
    async insertHouseholds(items, eventFor) {
      const out: InsertedHousehold[] = [];
      if (items.length === 0) return out;
      const household = insertStatement(raw, "households", HOUSEHOLD_INSERT_COLUMNS);
      const member = insertStatement(raw, "members", MEMBER_COLUMNS);
      let event: BetterSqlite3.Statement | null = null;
      let eColumns: string[] = [];
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        const id = Number(household.run(item.household).lastInsertRowid);
        const memberIds: number[] = new Array(item.members.length);
        for (let k = 0; k < item.members.length; k++) {
          const values = item.members[k]!;
          values[0] = id;
          memberIds[k] = Number(member.run(values).lastInsertRowid);
        }
        const inserted = { id, memberIds };
        const e = eventFor(i, inserted);
        if (!event) {
          eColumns = Object.keys(e);
          event = insertStatement(raw, "household_events", eColumns);
        }
        event.run(valuesOf(e, eColumns));
        out.push(inserted);
      }
      return out;
    },
  };
}

// ─── PostgreSQL ─────────────────────────────────────────────────────────────────

/** `n` new ids of a table's id sequence (COPY cannot return the ids it gives). */
async function reserveIds(trx: Kysely<DB>, table: string, n: number): Promise<number[]> {
  if (n === 0) return [];
  const r = await sql<{
    id: number;
  }>`select nextval(pg_get_serial_sequence(${table}, 'id')) as id from generate_series(1, ${n})`.execute(
    trx,
  );
  return r.rows.map((x) => Number(x.id));
}

const HOUSEHOLD_COPY_COLUMNS = ["id", ...HOUSEHOLD_INSERT_COLUMNS];
const MEMBER_COPY_COLUMNS = ["id", ...MEMBER_COLUMNS];

function postgresWriter(trx: Kysely<DB>): BulkWriter {
  return {
    async insertHouseholds(items, eventFor) {
      if (items.length === 0) return [];
      let memberCount = 0;
      for (const item of items) memberCount += item.members.length;
      const householdIds = await reserveIds(trx, "households", items.length);
      const memberIds = await reserveIds(trx, "members", memberCount);
      const out: InsertedHousehold[] = new Array(items.length);
      let next = 0;
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        const ids: number[] = new Array(item.members.length);
        for (let k = 0; k < ids.length; k++) ids[k] = memberIds[next++]!;
        out[i] = { id: householdIds[i]!, memberIds: ids };
      }
      await copyInto(
        trx,
        "households",
        HOUSEHOLD_COPY_COLUMNS,
        (function* () {
          for (let i = 0; i < items.length; i++)
            yield `${out[i]!.id}\t${copyLine(items[i]!.household)}`;
        })(),
      );
      await copyInto(
        trx,
        "members",
        MEMBER_COPY_COLUMNS,
        (function* () {
          for (let i = 0; i < items.length; i++) {
            const { id, memberIds } = out[i]!;
            const members = items[i]!.members;
            for (let k = 0; k < members.length; k++) {
              const values = members[k]!;
              values[0] = id;
              yield `${memberIds[k]}\t${copyLine(values)}`;
            }
          }
        })(),
      );
      // The events' columns are those of the first event.
      const first = eventFor(0, out[0]!);
      const eventColumns = Object.keys(first);
      await copyInto(
        trx,
        "household_events",
        eventColumns,
        (function* () {
          for (let i = 0; i < items.length; i++)
            yield copyLine(valuesOf(i === 0 ? first : eventFor(i, out[i]!), eventColumns));
        })(),
      );
      return out;
    },
  };
}

// ─── Kysely (fallback) ──────────────────────────────────────────────────────────

function kyselyWriter(trx: Kysely<DB>): BulkWriter {
  const repo = createRegistryRepository(trx);
  return {
    async insertHouseholds(items, eventFor) {
      if (items.length === 0) return [];
      const inserted = await repo.insertHouseholds(
        items.map((p) => zip(HOUSEHOLD_INSERT_COLUMNS, p.household)),
      );
      const idOf = new Map(inserted.map((r) => [r.household_number, r.id]));
      const ids = items.map((p) => idOf.get(String(p.household[NUMBER_AT]))!);
      const memberRows = items.flatMap((p, j) =>
        p.members.map((m) => {
          m[0] = ids[j];
          return zip(MEMBER_COLUMNS, m);
        }),
      );
      const members = await repo.insertMembersAt(memberRows);
      const memberIdOf = new Map(members.map((m) => [`${m.household_id}:${m.position}`, m.id]));
      const out = items.map((p, j) => ({
        id: ids[j]!,
        memberIds: p.members.map((m) => memberIdOf.get(`${ids[j]}:${m[POSITION_AT]}`)!),
      }));
      await repo.insertEvents(out.map((x, j) => eventFor(j, x)) as never);
      return out;
    },
  };
}
