/**
 * The registry's bulk insert path (imports, demo loads): new households with their members and
 * one event each, in as few round trips and as little per-row work as each engine allows.
 *
 * - SQLite: one prepared single-row INSERT per table, reused for every row, run directly on the
 *   better-sqlite3 connection under Kysely (SQLite has one connection, so the statements belong
 *   to the transaction Kysely has open on it); ids come from `lastInsertRowid`.
 * - PostgreSQL: one statement per table and chunk, `insert … select … from
 *   json_populate_recordset(null::<table>, $1)`: one parameter whatever the row count, typed by
 *   the table itself, so the server parses and plans one short statement instead of a VALUES
 *   list of tens of thousands of parameters.
 * - Anything else (a Kysely instance not opened by `connect`): multi-row INSERTs through Kysely.
 *
 * Rows come as arrays of values in the column order of registry.mapping.ts.
 */
import type BetterSqlite3 from "better-sqlite3";
import { type Kysely, sql } from "kysely";
import { type Engine, sqliteHandle } from "../../db/connect.ts";
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

/** Rows per PostgreSQL statement (the JSON parameter of one chunk stays a few MB). */
const PG_CHUNK = 2000;

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

function postgresWriter(trx: Kysely<DB>): BulkWriter {
  const insertJson = async <R>(
    table: string,
    rows: readonly Row[],
    returning: readonly string[],
  ): Promise<R[]> => {
    const columns = Object.keys(rows[0]!);
    const list = sql.join(columns.map((c) => sql.id(c)));
    const ret =
      returning.length > 0 ? sql` returning ${sql.join(returning.map((c) => sql.id(c)))}` : sql``;
    const r =
      await sql<R>`insert into ${sql.id(table)} (${list}) select ${list} from json_populate_recordset(null::${sql.id(table)}, ${JSON.stringify(rows)}::json)${ret}`.execute(
        trx,
      );
    return r.rows;
  };
  return {
    async insertHouseholds(items, eventFor) {
      const out: InsertedHousehold[] = [];
      for (let start = 0; start < items.length; start += PG_CHUNK) {
        const part = items.slice(start, start + PG_CHUNK);
        const households = await insertJson<{ id: number; household_number: string }>(
          "households",
          part.map((p) => zip(HOUSEHOLD_INSERT_COLUMNS, p.household)),
          ["id", "household_number"],
        );
        const idOf = new Map(households.map((h) => [h.household_number, Number(h.id)]));
        const ids = part.map((p) => idOf.get(String(p.household[NUMBER_AT]))!);
        const memberRows: Row[] = [];
        part.forEach((p, j) => {
          for (const m of p.members) {
            m[0] = ids[j];
            memberRows.push(zip(MEMBER_COLUMNS, m));
          }
        });
        const memberIdOf = new Map<string, number>();
        for (let m = 0; m < memberRows.length; m += PG_CHUNK) {
          const r = await insertJson<{ id: number; household_id: number; position: number }>(
            "members",
            memberRows.slice(m, m + PG_CHUNK),
            ["id", "household_id", "position"],
          );
          for (const x of r) memberIdOf.set(`${x.household_id}:${x.position}`, Number(x.id));
        }
        const events: Row[] = [];
        part.forEach((p, j) => {
          const id = ids[j]!;
          const inserted = {
            id,
            memberIds: p.members.map((m) => memberIdOf.get(`${id}:${m[POSITION_AT]}`)!),
          };
          out.push(inserted);
          events.push(eventFor(start + j, inserted));
        });
        await insertJson("household_events", events, []);
      }
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
