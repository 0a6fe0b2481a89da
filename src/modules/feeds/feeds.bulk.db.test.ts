/**
 * The feed store on both engines: the region's members read into memory once (a large file)
 * match every ID number as the per-chunk lookup does — active, removed, in two households,
 * active elsewhere, unknown — for a county user and a nationwide one, and rows are decided the
 * same (names that differ, the village an ambiguous row is listed under); and on PostgreSQL the
 * store reaches the transaction's own client, which COPY needs.
 */
import { sql } from "kysely";
import { beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { makeIdNumber } from "../../core/id-number.ts";
import { pgClientOf, sqliteHandle } from "../../db/connect.ts";
import { type Actor, SYSTEM_ACTOR, scopeRange } from "../auth/index.ts";
import { createPolicyService } from "../policy/index.ts";
import type { FeedRow } from "./feed.format.ts";
import { type FactStore, factStore } from "./feeds.bulk.ts";
import { PAGE_SEPARATOR, pageRowsSql, pageSql, sqliteLookups, statements } from "./feeds.lookup.ts";
import { decide, matchRow } from "./feeds.match.ts";

const IN_COUNTY = ["360726100201", "360726101201"];
const MEDICAL = createPolicyService().forRegion("360726", 2026).feeds.medical!;
const ELSEWHERE = "360781100201";
const id = (seq: number) => makeIdNumber("360726", "1970-01-01", seq);
const county: Actor = {
  id: null,
  username: "county",
  displayName: "县级",
  role: "county",
  regionCode: "360726",
};

/** Who holds which ID number: [village, status, name] per member. */
const HOLDERS: Record<number, [string, "active" | "removed", string][]> = {
  1: [[IN_COUNTY[0]!, "active", "甲"]],
  2: [
    [IN_COUNTY[0]!, "removed", "乙"],
    [IN_COUNTY[1]!, "removed", "乙"],
  ],
  3: [
    [ELSEWHERE, "active", "丙"],
    [IN_COUNTY[0]!, "removed", "丙"],
  ],
  4: [
    [IN_COUNTY[1]!, "removed", "丁"],
    [ELSEWHERE, "removed", "丁"],
  ],
  5: [[ELSEWHERE, "active", "戊"]],
  6: [[IN_COUNTY[1]!, "active", "己"]],
  // A name holding the character that joins a page's names (PAGE_SEPARATOR), and a comma.
  8: [[IN_COUNTY[0]!, "active", `庚${PAGE_SEPARATOR}辛,壬`]],
};

describeEachEngine("feed store", (database) => {
  beforeAll(async () => {
    const db = database().db;
    const at = "2026-11-20T00:00:00Z";
    let n = 0;
    for (const [seq, members] of Object.entries(HOLDERS))
      for (const [village, status, name] of members) {
        const h = await db
          .insertInto("households")
          .values({
            household_number: `${village}T${String(++n).padStart(3, "0")}`,
            village_code: village,
            size: 1,
            version: 1,
            created_at: at,
            updated_at: at,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        await db
          .insertInto("members")
          .values({
            household_id: Number(h.id),
            name,
            id_number: id(Number(seq)),
            relationship: "户主",
            position: 0,
            status,
          })
          .execute();
      }
  });

  /** `work` with a medical load's store for the actor, in a transaction of its own. */
  async function withStore<T>(
    actor: Actor,
    work: (store: FactStore, range: readonly [string, string] | null) => Promise<T>,
  ): Promise<T> {
    const d = database();
    const range = actor.regionCode ? scopeRange(actor.regionCode) : null;
    return d.db.transaction().execute(async (trx) => {
      const load = { feedType: "medical", loadId: 0, fileHash: "", fileName: "", at: "" };
      return work(await factStore(d.db, trx, d.engine, load, range), range);
    });
  }

  /** Each ID number's match (kind, and the holder's name and village) through one store. */
  async function outcomes(actor: Actor, rowsExpected: number) {
    return withStore(actor, async (store) => {
      const ids = [1, 2, 3, 4, 5, 6, 7].map(id);
      const holders = await store.holdersOf(ids, rowsExpected);
      return ids.map((idNumber, i) => {
        const row = { idNumber, name: null } as FeedRow;
        const m = matchRow(row, holders.get(idNumber) ?? [], actor);
        const who = m.kind === "matched" ? `${m.holder.name}@${m.holder.village_code}` : m.reason;
        return `${i + 1}:${m.kind}:${who}`;
      });
    });
  }

  it("matches the same from the region's members in memory as per chunk", async () => {
    for (const actor of [county, SYSTEM_ACTOR]) {
      const perChunk = await outcomes(actor, 0);
      const inMemory = await outcomes(actor, 1_000_000_000);
      expect(inMemory, actor.username).toEqual(perChunk);
    }
    expect(await outcomes(county, 1_000_000_000)).toEqual([
      `1:matched:甲@${IN_COUNTY[0]}`,
      "2:ambiguous:several_households",
      "3:unmatched:member_not_found",
      `4:matched:丁@${IN_COUNTY[1]}`,
      "5:unmatched:member_not_found",
      `6:matched:己@${IN_COUNTY[1]}`,
      "7:unmatched:member_not_found",
    ]);
    expect(await outcomes(SYSTEM_ACTOR, 1_000_000_000)).toEqual([
      `1:matched:甲@${IN_COUNTY[0]}`,
      "2:ambiguous:several_households",
      `3:matched:丙@${ELSEWHERE}`,
      "4:ambiguous:several_households",
      `5:matched:戊@${ELSEWHERE}`,
      `6:matched:己@${IN_COUNTY[1]}`,
      "7:unmatched:member_not_found",
    ]);
  });

  it("reads the region's members into memory page by page, each member once", async () => {
    const ids = [1, 2, 3, 4, 5, 6, 7, 8].map(id);
    /**
     * Each ID number's members (id, household, name, status, village), sorted by id: through the
     * load's store, or on SQLite through its lookups reading `scanPage` members a call, in
     * order of member id when the region holds at least 1/`sequentialShare` of the members
     * (PostgreSQL reads them all by COPY, without pages).
     */
    const holders = async (
      actor: Actor,
      rowsExpected: number,
      tuning?: { scanPage: number; sequentialShare: number },
    ) => {
      const raw = sqliteHandle(database().db);
      const range = actor.regionCode ? scopeRange(actor.regionCode) : null;
      const found =
        raw && tuning
          ? await sqliteLookups(statements(raw), "medical", range, tuning).holdersOf(
              ids,
              rowsExpected,
            )
          : await withStore(actor, (store) => store.holdersOf(ids, rowsExpected));
      return ids.map((n) =>
        (found.get(n) ?? [])
          .map((h) => [Number(h.id), Number(h.household_id), h.name, h.status, h.village_code])
          .sort((a, b) => (a[0] as number) - (b[0] as number)),
      );
    };
    const everyone = await holders(SYSTEM_ACTOR, 0);
    expect(everyone.flat().length).toBe(10);
    expect(everyone[7]![0]![2]).toBe(HOLDERS[8]![0]![2]);
    expect(await holders(SYSTEM_ACTOR, 1_000_000_000)).toEqual(everyone);
    // The county's seven members, and for ID number 3 its active member elsewhere (found by
    // the check for an active member anywhere, which keeps the row unmatched).
    const inCounty = await holders(county, 1_000_000_000);
    expect(inCounty.flat().length).toBe(8);
    if (!sqliteHandle(database().db)) return;
    // Pages of 1, 2 and 4 members, a page exactly as large as the ten members, and one
    // larger; the county's seven of ten members read in order of id (an eighth of them or
    // more) or through its households (when it must be as many as all of them).
    for (const [actor, perChunk] of [
      [SYSTEM_ACTOR, everyone],
      [county, inCounty],
    ] as const)
      for (const scanPage of [1, 2, 4, 10, 11])
        for (const sequentialShare of [1, 8])
          expect(
            await holders(actor, 1_000_000_000, { scanPage, sequentialShare }),
            `${actor.username}: page ${scanPage}, share ${sequentialShare}`,
          ).toEqual(perChunk);
  });

  it("reads a page of members (as texts or as rows) in id order, without sorting the region (SQLite)", async () => {
    const raw = sqliteHandle(database().db);
    if (!raw) return;
    for (const [ranged, query] of [false, true].flatMap((r) => [
      [r, pageSql(r, 10_000)] as const,
      [r, pageRowsSql(r, 10_000)] as const,
    ])) {
      const args = ranged ? [0, ...scopeRange("360726")] : [0];
      const plan = raw
        .prepare(`explain query plan ${query}`)
        .all(...args)
        .map((r) => (r as { detail: string }).detail);
      expect(plan, `ranged ${ranged}`).toContain("SEARCH m USING INTEGER PRIMARY KEY (rowid>?)");
      expect(plan.join(" | "), `ranged ${ranged}`).not.toMatch(/TEMP B-TREE|households_village/);
    }
  });

  /** What `decide` makes of one row per ID number (named `names[i]`) through one store. */
  async function decision(actor: Actor, rowsExpected: number, names: (string | null)[]) {
    return withStore(actor, async (store, range) => {
      const rows = [1, 2, 3, 4, 5, 6, 7].map(
        (seq, i): FeedRow => ({
          row: i + 2,
          idNumber: id(seq),
          name: names[i] ?? null,
          key: `["S${seq}"]`,
          period: null,
          from: "2026-10-01",
          to: null,
          vals: "{}",
        }),
      );
      const scope = { actor, range, def: MEDICAL, keyHeader: "结算单号" };
      return decide(rows, store, scope, rowsExpected);
    });
  }

  it("decides the same with the region's members in memory as per chunk", async () => {
    const right = ["甲", "乙", "丙", "丁", "戊", "己", "庚"];
    const wrong = ["甲x", "乙", "丙", "丁x", "戊", null, "庚"];
    const spaced = ["甲 ", null, null, null, null, " 己", null];
    for (const actor of [county, SYSTEM_ACTOR])
      for (const names of [right, wrong, spaced]) {
        const perChunk = await decision(actor, 0, names);
        const inMemory = await decision(actor, 1_000_000_000, names);
        expect(inMemory, `${actor.username} ${names.join()}`).toEqual(perChunk);
      }
    // For a county user: a name that differs (1, 4), two households (2, listed under the latest
    // member's village), an active member outside the scope is nobody (3, 5), no one (7).
    const d = await decision(county, 1_000_000_000, wrong);
    expect(d.rows.filter((_, i) => i % 7 === 3 || i % 7 === 2)).toEqual([
      "name_mismatch",
      id(1),
      "several_households",
      id(2),
      "member_not_found",
      id(3),
      "name_mismatch",
      id(4),
      "member_not_found",
      id(5),
      "member_not_found",
      id(7),
    ]);
    expect(d.rows[7 + 5]).toBe(IN_COUNTY[1]);
    expect(d.facts.filter((_, i) => i % 11 === 1)).toEqual([id(6)]);
    expect([d.matched, d.unmatched, d.ambiguous]).toEqual([1, 3, 3]);
  });

  it("finds the client under a transaction (PostgreSQL) or none (SQLite)", async () => {
    const d = database();
    await d.db.transaction().execute(async (trx) => {
      const client = await pgClientOf(d.db, trx);
      if (d.engine === "sqlite") {
        expect(client).toBeUndefined();
        return;
      }
      // The client's own query runs inside the transaction: it sees the uncommitted row.
      await sql`create temporary table probe (n int) on commit drop`.execute(trx);
      await sql`insert into probe values (42)`.execute(trx);
      const { rows } = await client!.query("select n from probe");
      expect(rows).toEqual([{ n: 42 }]);
    });
  });
});
