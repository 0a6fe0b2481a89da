import { expect, it } from "vitest";
import { describeEachEngine } from "../../test/engines.ts";
import { runShaped } from "./shaped-query.ts";

describeEachEngine("queries compiled once per shape", (database) => {
  it("binds each call's values to the shape's SQL, as a query built afresh would", async () => {
    const { db } = database();
    await db
      .insertInto("regions")
      .values(
        ["3607", "360726", "360727", "360726100", "360726101"].map((code) => ({
          code,
          name: `区划${code}`,
          level: code.length <= 4 ? 2 : code.length === 6 ? 3 : 4,
          parent_code: code.length === 4 ? null : code.slice(0, code.length <= 6 ? 4 : 6),
        })),
      )
      .execute();
    const fresh = (parent: string, from: string, limit: number) =>
      db
        .selectFrom("regions")
        .select(["code", "name"])
        .where("parent_code", "=", parent)
        .where("code", ">=", from)
        .orderBy("code")
        .limit(limit);
    const shaped = (parent: string, from: string, limit: number) =>
      runShaped(db, "regions-under", { parent, from, limit }, (p) =>
        fresh(p.parent, p.from, p.limit),
      );
    for (const [parent, from, limit] of [
      ["3607", "", 10],
      ["3607", "360727", 10],
      ["360726", "", 1],
      ["360726", "360726101", 5],
      ["nowhere", "", 5],
    ] as const) {
      const rows = await shaped(parent, from, limit);
      expect(rows, `${parent} ${from} ${limit}`).toEqual(
        await fresh(parent, from, limit).execute(),
      );
    }
    expect((await shaped("3607", "", 10)).map((r) => r.code)).toEqual(["360726", "360727"]);

    // Inside a transaction too (another Kysely instance over the same dialect).
    await db.transaction().execute(async (trx) => {
      const rows = await runShaped(
        trx,
        "regions-under",
        { parent: "360726", from: "", limit: 9 },
        (p) => fresh(p.parent, p.from, p.limit),
      );
      expect(rows.map((r) => r.code)).toEqual(["360726100", "360726101"]);
    });
  });
});
