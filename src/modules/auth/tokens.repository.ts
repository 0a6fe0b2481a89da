import type { Kysely } from "kysely";
import type { ApiTokenTable, DB } from "../../db/schema.ts";

export type TokenRow = Omit<ApiTokenTable, "id"> & { id: number; region_name: string | null };

export function createTokensRepository(db: Kysely<DB>) {
  const withRegion = () =>
    db
      .selectFrom("api_tokens")
      .leftJoin("regions", "regions.code", "api_tokens.region_code")
      .selectAll("api_tokens")
      .select("regions.name as region_name");

  return {
    async insert(row: Omit<ApiTokenTable, "id">): Promise<number> {
      const r = await db
        .insertInto("api_tokens")
        .values(row)
        .returning("id")
        .executeTakeFirstOrThrow();
      return Number(r.id);
    },

    async byHash(hash: string): Promise<TokenRow | undefined> {
      return (await withRegion().where("api_tokens.token_hash", "=", hash).executeTakeFirst()) as
        | TokenRow
        | undefined;
    },

    async byId(id: number): Promise<TokenRow | undefined> {
      return (await withRegion().where("api_tokens.id", "=", id).executeTakeFirst()) as
        | TokenRow
        | undefined;
    },

    /** Tokens whose region lies in [low, high) (all when null), newest first. */
    async list(range: [string, string] | null): Promise<TokenRow[]> {
      let q = withRegion();
      if (range)
        q = q
          .where("api_tokens.region_code", ">=", range[0])
          .where("api_tokens.region_code", "<", range[1]);
      return (await q.orderBy("api_tokens.id", "desc").execute()) as TokenRow[];
    },

    async touch(id: number, at: string, ip: string): Promise<void> {
      await db
        .updateTable("api_tokens")
        .set({ last_used_at: at, last_used_ip: ip })
        .where("id", "=", id)
        .execute();
    },

    /** Revokes a token not yet revoked; false when it already was. */
    async revoke(id: number, at: string, by: string): Promise<boolean> {
      const r = await db
        .updateTable("api_tokens")
        .set({ revoked_at: at, revoked_by_name: by })
        .where("id", "=", id)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    regionName(code: string) {
      return db.selectFrom("regions").select("name").where("code", "=", code).executeTakeFirst();
    },
  };
}
