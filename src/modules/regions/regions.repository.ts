import type { Kysely } from "kysely";
import type { DB } from "../../db/schema.ts";
import type { RegionRow } from "./regions.schema.ts";

const CHUNK = 2000;

export function createRegionsRepository(db: Kysely<DB>) {
  return {
    findByCode(code: string) {
      return db.selectFrom("regions").selectAll().where("code", "=", code).executeTakeFirst();
    },

    findByCodes(codes: readonly string[]) {
      if (codes.length === 0) return Promise.resolve([] as RegionRow[]);
      return db
        .selectFrom("regions")
        .selectAll()
        .where("code", "in", codes)
        .orderBy("code")
        .execute();
    },

    children(code: string) {
      return db
        .selectFrom("regions")
        .select(["code", "name"])
        .where("parent_code", "=", code)
        .orderBy("code")
        .execute();
    },

    /** Regions whose name contains the text, within [low, high) when a scope is given. */
    search(text: string, scope: [string, string] | null, limit: number) {
      let q = db
        .selectFrom("regions")
        .selectAll()
        .where("name", "like", `%${text.replace(/[%_\\]/g, "")}%`)
        .orderBy("level")
        .orderBy("code")
        .limit(limit);
      if (scope) q = q.where("code", ">=", scope[0]).where("code", "<", scope[1]);
      return q.execute();
    },

    /** Codes of all villages in the subtree of a region. */
    villagesUnder(scope: [string, string]) {
      return db
        .selectFrom("regions")
        .select(["code", "name", "parent_code"])
        .where("level", "=", 5)
        .where("code", ">=", scope[0])
        .where("code", "<", scope[1])
        .orderBy("code")
        .execute();
    },

    /** Inserts or renames regions, in chunks; safe to run again. */
    async upsert(rows: readonly RegionRow[]): Promise<void> {
      for (let i = 0; i < rows.length; i += CHUNK) {
        await db
          .insertInto("regions")
          .values(rows.slice(i, i + CHUNK))
          .onConflict((oc) =>
            oc.column("code").doUpdateSet((eb) => ({
              name: eb.ref("excluded.name"),
              level: eb.ref("excluded.level"),
              parent_code: eb.ref("excluded.parent_code"),
            })),
          )
          .execute();
      }
    },

    async count(): Promise<number> {
      const r = await db
        .selectFrom("regions")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
export type RegionsRepository = ReturnType<typeof createRegionsRepository>;
