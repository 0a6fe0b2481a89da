/**
 * What a large load does besides writing (feeds.bulk.ts): on SQLite it drops facts_household
 * when it will grow the table by more than about a third and builds the index again, from its own
 * definition, before its transaction ends (a rollback restores it too); PostgreSQL keeps every
 * index. And after a load that wrote many facts, the WAL is checkpointed in a worker thread,
 * after a small one at once (db/checkpoint.ts).
 */
import { statSync } from "node:fs";
import { type Kysely, sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { describeEachEngine, openTestDatabase, type TestDatabase } from "../../../test/engines.ts";
import { makeIdNumber } from "../../core/id-number.ts";
import { checkpoints } from "../../db/checkpoint.ts";
import { type Engine, sqliteHandle } from "../../db/connect.ts";
import type { DB } from "../../db/schema.ts";
import {
  BACKGROUND_CHECKPOINT_FACTS,
  bulkPlan,
  type FactStore,
  factStore,
  loadTransaction,
} from "./feeds.bulk.ts";
import type { Value } from "./feeds.match.ts";
import { createFeedsRepository, NO_COUNTS } from "./feeds.repository.ts";

const VILLAGE = "360726100201";
const AT = "2026-11-20T00:00:00Z";

/** A household of three members; their ids and the household's. */
async function seed(db: Kysely<DB>) {
  const h = await db
    .insertInto("households")
    .values({
      household_number: `${VILLAGE}B001`,
      village_code: VILLAGE,
      size: 3,
      version: 1,
      created_at: AT,
      updated_at: AT,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const members = [];
  for (let p = 0; p < 3; p++) {
    const idNumber = makeIdNumber("360726", "1980-01-01", 700 + p);
    const m = await db
      .insertInto("members")
      .values({
        household_id: Number(h.id),
        name: `成员${p}`,
        id_number: idNumber,
        relationship: p === 0 ? "户主" : "之子",
        position: p,
        status: "active",
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    members.push({ id: Number(m.id), idNumber });
  }
  return { household: Number(h.id), members };
}

/** The facts indexes' definitions, by name. */
async function indexes(db: Kysely<DB>, engine: Engine): Promise<Record<string, string>> {
  const { rows } =
    engine === "sqlite"
      ? await sql<{
          name: string;
          def: string;
        }>`select name, sql as def from sqlite_master where type = 'index' and tbl_name = 'facts' and sql is not null`.execute(
          db,
        )
      : await sql<{
          name: string;
          def: string;
        }>`select indexname as name, indexdef as def from pg_indexes where tablename = 'facts' and schemaname = current_schema()`.execute(
          db,
        );
  return Object.fromEntries(rows.map((r) => [r.name, r.def]));
}

describe("bulkPlan", () => {
  it("drops the random-order index when a load adds more than about a third of the table", () => {
    expect(bulkPlan(0, 1)).toBe(true);
    expect(bulkPlan(2_900_000, 1_000_000)).toBe(true);
    expect(bulkPlan(3_100_000, 1_000_000)).toBe(false);
    expect(bulkPlan(1_000_000, 20_000)).toBe(false);
    expect(bulkPlan(10, 0)).toBe(false);
  });
});

describeEachEngine("a large load's indexes", (database) => {
  let seeded: Awaited<ReturnType<typeof seed>>;
  let row = 0;
  beforeAll(async () => {
    seeded = await seed(database().db);
  });

  /** `n` new facts of the seeded members, `FACT_FIELDS` values each. */
  const facts = (n: number): Value[] => {
    const out: Value[] = [];
    for (let i = 0; i < n; i++) {
      const m = seeded.members[i % seeded.members.length]!;
      row++;
      out.push(
        JSON.stringify([`B-${row}`]),
        m.idNumber,
        m.id,
        seeded.household,
        VILLAGE,
        "2026-10-01",
        null,
        null,
        JSON.stringify({ settlementNo: `B-${row}`, outOfPocket: 100 }),
        row,
        null,
      );
    }
    return out;
  };

  /** Runs `work` with a medical load's store, in a load's transaction. */
  async function inLoad(
    d: TestDatabase,
    work: (store: FactStore, trx: Kysely<DB>) => Promise<void>,
  ) {
    await loadTransaction(d.db, d.engine, async (trx) => {
      const loadId = await createFeedsRepository(trx).insertLoad({
        feed_type: "medical",
        file_hash: `h${row}`,
        file_name: "medical.csv",
        format: "csv",
        policy_id: "360726-2026",
        region_code: null,
        actor_id: null,
        actor_name: "test",
        loaded_at: AT,
        ...NO_COUNTS,
      });
      const load = { feedType: "medical", loadId, fileHash: "", fileName: "", at: AT };
      await work(await factStore(d.db, trx, d.engine, load, null), trx);
    });
  }

  it("drops facts_household during a load that grows the table, and builds it again as it was", async () => {
    const d = database();
    const before = await indexes(d.db, d.engine);
    expect(Object.keys(before)).toContain("facts_household");
    const { facts_household: _, ...others } = before;
    await inLoad(d, async (store, trx) => {
      await store.writeFacts(facts(6), 6);
      // SQLite only: the index is gone inside the transaction, the others are not.
      expect(await indexes(trx, d.engine)).toEqual(d.engine === "sqlite" ? others : before);
      await store.writeFacts(facts(3), 3);
      await store.finish();
      expect(await indexes(trx, d.engine)).toEqual(before);
    });
    expect(await indexes(d.db, d.engine)).toEqual(before);
    if (d.engine === "sqlite") {
      // The rebuilt index holds every fact: SQLite compares each index with its table.
      const check = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(d.db);
      expect(check.rows).toEqual([{ integrity_check: "ok" }]);
    }
    const byHousehold = await d.db
      .selectFrom("facts")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("household_id", "=", seeded.household)
      .where("feed_type", "=", "medical")
      .executeTakeFirstOrThrow();
    expect(Number(byHousehold.n)).toBe(9);
  });

  it("keeps it for a load that adds little to the table, and a rollback restores it", async () => {
    const d = database();
    const before = await indexes(d.db, d.engine);
    await inLoad(d, async (store, trx) => {
      // 9 facts in the table: 2 more is less than a third.
      await store.writeFacts(facts(2), 2);
      expect(await indexes(trx, d.engine)).toEqual(before);
      await store.finish();
    });
    await expect(
      inLoad(d, async (store, trx) => {
        await store.writeFacts(facts(50), 50);
        if (d.engine === "sqlite")
          expect(Object.keys(await indexes(trx, d.engine))).not.toContain("facts_household");
        throw new Error("refused");
      }),
    ).rejects.toThrow("refused");
    expect(await indexes(d.db, d.engine)).toEqual(before);
  });
});

describe("SQLite: a load's checkpoint", () => {
  let d: TestDatabase;
  beforeAll(async () => {
    d = await openTestDatabase("sqlite");
    return () => d.drop();
  });

  /** Writes about 2 MB in a load's transaction that reports `written` facts. */
  const load = (written: number) =>
    loadTransaction(
      d.db,
      "sqlite",
      async (trx) => {
        await sql`create table if not exists pages (id integer primary key, body blob not null)`.execute(
          trx,
        );
        for (let i = 0; i < 500; i++)
          await sql`insert into pages (body) values (randomblob(4000))`.execute(trx);
      },
      () => written,
    );

  it("runs in a worker thread after a load that wrote many facts, at once after a small one", async () => {
    const raw = sqliteHandle(d.db)!;
    const file = raw.name;
    let size = statSync(file).size;
    await load(10);
    // Checkpointed before the load returned: the pages are in the database file.
    expect(statSync(file).size).toBeGreaterThan(size + 2_000_000);
    expect(await checkpoints(raw)).toBe(0);
    size = statSync(file).size;
    await load(BACKGROUND_CHECKPOINT_FACTS);
    expect(await checkpoints(raw)).toBe(1);
    expect(statSync(file).size).toBeGreaterThan(size + 2_000_000);
  });
});
