/**
 * Database tests run once per engine: SQLite always, PostgreSQL when FANGPIN_TEST_PG holds a
 * connection URL (otherwise its suite is reported as skipped). Each suite gets a fresh SQLite
 * file or a fresh PostgreSQL schema, migrated, and drops it afterwards.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe } from "vitest";
import { connect, type Database, type Engine } from "../src/db/connect.ts";
import { migrate } from "../src/db/migrate.ts";

export const PG_URL = process.env.FANGPIN_TEST_PG;

export interface TestDatabase extends Database {
  /** Removes the database file or schema. */
  drop(): Promise<void>;
}

/** Opens a fresh, migrated database of the engine. */
export async function openTestDatabase(engine: Engine): Promise<TestDatabase> {
  const tag = `t${process.pid}_${randomBytes(4).toString("hex")}`;
  if (engine === "sqlite") {
    const file = join(tmpdir(), `fangpin-${tag}.db`);
    const database = await connect(`sqlite:${file}`);
    await migrate(database);
    return {
      ...database,
      drop: async () => {
        await database.close();
        for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
      },
    };
  }
  if (!PG_URL) throw new Error("FANGPIN_TEST_PG is not set");
  const url = new URL(PG_URL);
  url.searchParams.set("schema", tag);
  const database = await connect(url.toString());
  await migrate(database);
  return {
    ...database,
    drop: async () => {
      await sql`drop schema if exists ${sql.id(tag)} cascade`.execute(database.db);
      await database.close();
    },
  };
}

/** The URL of a fresh database of the engine (for CLI and server tests that connect themselves). */
export function freshDatabaseUrl(engine: Engine): { url: string; cleanup: () => Promise<void> } {
  const tag = `t${process.pid}_${randomBytes(4).toString("hex")}`;
  if (engine === "sqlite") {
    const file = join(tmpdir(), `fangpin-${tag}.db`);
    return {
      url: `sqlite:${file}`,
      cleanup: async () => {
        for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
      },
    };
  }
  if (!PG_URL) throw new Error("FANGPIN_TEST_PG is not set");
  const url = new URL(PG_URL);
  url.searchParams.set("schema", tag);
  return {
    url: url.toString(),
    cleanup: async () => {
      const database = await connect(PG_URL);
      await sql`drop schema if exists ${sql.id(tag)} cascade`.execute(database.db);
      await database.close();
    },
  };
}

export const ENGINES: readonly Engine[] = ["sqlite", "postgres"];

/**
 * Declares the suite once per engine with a fresh migrated database.
 * @example describeEachEngine("households", (db) => { it("…", async () => { db().db … }) })
 */
export function describeEachEngine(
  title: string,
  body: (database: () => TestDatabase, engine: Engine) => void,
) {
  for (const engine of ENGINES) {
    describe.skipIf(engine === "postgres" && !PG_URL)(`${title} [${engine}]`, () => {
      let database: TestDatabase | undefined;
      beforeAll(async () => {
        database = await openTestDatabase(engine);
      });
      afterAll(async () => {
        await database?.drop();
      });
      body(() => {
        if (!database) throw new Error("database not open yet");
        return database;
      }, engine);
    });
  }
}
