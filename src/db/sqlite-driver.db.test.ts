import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Kysely, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { connect, type Database } from "./connect.ts";

// biome-ignore lint/suspicious/noExplicitAny: a scratch table outside the product's schema
type Any = Kysely<any>;

const opened: { database: Database; file: string | null }[] = [];

async function open(memory = false): Promise<Any> {
  const file = memory ? null : join(tmpdir(), `fangpin-split-${randomBytes(4).toString("hex")}.db`);
  const database = await connect(`sqlite:${file ?? ":memory:"}`);
  opened.push({ database, file });
  const db = database.db as Any;
  await sql`create table notes (id integer primary key, text text not null)`.execute(db);
  await db.insertInto("notes").values({ text: "committed" }).execute();
  return db;
}

afterEach(async () => {
  for (const { database, file } of opened.splice(0)) {
    await database.close();
    if (file) for (const s of ["", "-wal", "-shm"]) rmSync(file + s, { force: true });
  }
});

const texts = async (db: Any) =>
  (await db.selectFrom("notes").select("text").orderBy("id").execute()).map((r) => r.text);

describe("SQLite: reads while a transaction holds the writing connection", () => {
  it("a read outside the transaction answers at once with what was last committed", async () => {
    const db = await open();
    const seen = await db.transaction().execute(async (trx) => {
      await trx.insertInto("notes").values({ text: "uncommitted" }).execute();
      // With one connection this read would wait for the transaction, which waits for it.
      return texts(db);
    });
    expect(seen).toEqual(["committed"]);
    expect(await texts(db)).toEqual(["committed", "uncommitted"]);
  });

  it("a write outside the transaction waits until it commits", async () => {
    const db = await open();
    const order: string[] = [];
    let outside: Promise<unknown> = Promise.resolve();
    await db.transaction().execute(async (trx) => {
      await trx.insertInto("notes").values({ text: "first" }).execute();
      outside = db
        .insertInto("notes")
        .values({ text: "second" })
        .execute()
        .then(() => order.push("outside"));
      await new Promise((r) => setImmediate(r));
      order.push("commit");
    });
    await outside;
    expect(order).toEqual(["commit", "outside"]);
    expect(await texts(db)).toEqual(["committed", "first", "second"]);
  });

  it("a rolled-back transaction was never visible outside it", async () => {
    const db = await open();
    const during: string[][] = [];
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto("notes").values({ text: "doomed" }).execute();
        during.push(await texts(db));
        throw new Error("stop");
      }),
    ).rejects.toThrow("stop");
    expect(during).toEqual([["committed"]]);
    expect(await texts(db)).toEqual(["committed"]);
  });

  it("a session keeps its temporary tables while a transaction runs elsewhere", async () => {
    const db = await open();
    const rows = await db.connection().execute(async (conn) => {
      await sql`create temp table scratch (n integer)`.execute(conn);
      await sql`insert into scratch values (7)`.execute(conn);
      return (await sql<{ n: number }>`select n from scratch`.execute(conn)).rows;
    });
    expect(rows).toEqual([{ n: 7 }]);
  });

  it("streams a select outside a transaction from the committed state", async () => {
    const db = await open();
    const streamed: string[] = [];
    await db.transaction().execute(async (trx) => {
      await trx.insertInto("notes").values({ text: "uncommitted" }).execute();
      for await (const r of db.selectFrom("notes").select("text").stream()) streamed.push(r.text);
    });
    expect(streamed).toEqual(["committed"]);
  });

  it("a transaction commits while a select outside it is still being streamed", async () => {
    const db = await open();
    const streamed: string[] = [];
    for await (const r of db.selectFrom("notes").select("text").stream()) {
      // With the stream on the writing connection this transaction would wait for the stream.
      await db.transaction().execute(async (trx) => {
        await trx.insertInto("notes").values({ text: "during" }).execute();
      });
      streamed.push(r.text);
    }
    expect(streamed).toEqual(["committed"]);
    expect(await texts(db)).toEqual(["committed", "during"]);
  });

  it("an in-memory database has one connection and still works", async () => {
    const db = await open(true);
    await db.transaction().execute(async (trx) => {
      await trx.insertInto("notes").values({ text: "more" }).execute();
    });
    expect(await texts(db)).toEqual(["committed", "more"]);
  });
});

describe("SQLite: prepared statements are kept per connection", () => {
  it("gives the same statement for the same text, and a fresh one once it was dropped", async () => {
    const { prepared } = await import("./sqlite-driver.ts");
    const BetterSqlite3 = (await import("better-sqlite3")).default;
    const raw = new BetterSqlite3(":memory:");
    try {
      const first = prepared(raw, "select 1 as one");
      expect(prepared(raw, "select 1 as one")).toBe(first);
      for (let i = 0; i < 250; i++) prepared(raw, `select ${i + 2} as n`);
      const again = prepared(raw, "select 1 as one");
      expect(again).not.toBe(first);
      expect(again.get()).toEqual({ one: 1 });
    } finally {
      raw.close();
    }
  });

  it("a kept statement still runs after the table it reads was dropped and made again", async () => {
    const db = await open();
    expect(await texts(db)).toEqual(["committed"]);
    await sql`drop table notes`.execute(db);
    await sql`create table notes (id integer primary key, text text not null, extra text)`.execute(
      db,
    );
    await db.insertInto("notes").values({ text: "anew" }).execute();
    expect(await texts(db)).toEqual(["anew"]);
  });
});
