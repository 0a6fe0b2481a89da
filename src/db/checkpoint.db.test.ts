/**
 * SQLite checkpoints off the serving thread (checkpoint.ts): a transaction without the automatic
 * checkpoint leaves its pages in the WAL, a worker thread copies them into the database file,
 * and closing the database waits for it, so that the last connection to close removes the WAL.
 */
import { randomBytes } from "node:crypto";
import { existsSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Kysely, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { checkpointInBackground, checkpoints, withoutAutoCheckpoint } from "./checkpoint.ts";
import { connect, type Database, sqliteHandle } from "./connect.ts";

// biome-ignore lint/suspicious/noExplicitAny: a scratch table outside the product's schema
type Any = Kysely<any>;

const files: string[] = [];
const opened: Database[] = [];

afterEach(async () => {
  for (const database of opened.splice(0)) await database.close();
  for (const file of files.splice(0))
    for (const s of ["", "-wal", "-shm"]) rmSync(file + s, { force: true });
});

async function open(file = join(tmpdir(), `fangpin-ckpt-${randomBytes(4).toString("hex")}.db`)) {
  files.push(file);
  const database = await connect(`sqlite:${file}`);
  opened.push(database);
  const raw = sqliteHandle(database.db)!;
  return { database, db: database.db as Any, raw, file };
}

/** Writes about 4 MB in one transaction. */
async function writeMuch(db: Any) {
  await db.transaction().execute(async (trx) => {
    await sql`create table if not exists pages (id integer primary key, body blob not null)`.execute(
      trx,
    );
    for (let i = 0; i < 1000; i++)
      await sql`insert into pages (body) values (randomblob(4000))`.execute(trx);
  });
}

const size = (file: string) => statSync(file).size;

describe("SQLite: checkpoints in a worker thread", () => {
  it("a transaction without the automatic checkpoint leaves its pages in the WAL; the worker copies them", async () => {
    const { db, raw, file } = await open();
    const before = size(file);
    await withoutAutoCheckpoint(raw, () => writeMuch(db));
    // 4 MB is far past the automatic checkpoint's 1000 pages: it would have copied them.
    expect(size(file)).toBe(before);
    expect(raw.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    const result = await checkpointInBackground(raw);
    expect(result).toMatchObject({ busy: 0 });
    expect(result!.log).toBeGreaterThan(1000);
    expect(result!.checkpointed).toBe(result!.log);
    expect(size(file)).toBeGreaterThan(before + 4_000_000);
    expect(await checkpoints(raw)).toBe(0);
  });

  it("sets the automatic checkpoint back as it was, also when the work fails", async () => {
    const { raw } = await open();
    raw.pragma("wal_autocheckpoint = 500");
    await expect(
      withoutAutoCheckpoint(raw, async () => {
        expect(raw.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(raw.pragma("wal_autocheckpoint", { simple: true })).toBe(500);
  });

  it("close waits for a running checkpoint, so the last connection removes the WAL", async () => {
    const { database, db, raw, file } = await open();
    await withoutAutoCheckpoint(raw, () => writeMuch(db));
    const running = checkpointInBackground(raw);
    await database.close();
    opened.splice(opened.indexOf(database), 1);
    // The worker copied the transaction's pages (had close not waited, it would have found
    // them gone, or kept the WAL from being removed).
    const result = await running;
    expect(result).toMatchObject({ busy: 0 });
    expect(result!.log).toBeGreaterThan(1000);
    expect(existsSync(`${file}-wal`)).toBe(false);
    const again = await open(file);
    const n = await sql<{ n: number }>`select count(*) as n from pages`.execute(again.db);
    expect(Number(n.rows[0]!.n)).toBe(1000);
  });

  it("an in-memory database has no one to checkpoint it in the background", async () => {
    const database = await connect("sqlite::memory:");
    opened.push(database);
    expect(await checkpointInBackground(sqliteHandle(database.db)!)).toBeNull();
  });
});
