import type { Kysely } from "kysely";
import type { DB } from "../../db/schema.ts";
import { runShaped } from "../../db/shaped-query.ts";

export function createAuthRepository(db: Kysely<DB>) {
  return {
    findUserByUsername(username: string) {
      return db.selectFrom("users").selectAll().where("username", "=", username).executeTakeFirst();
    },

    async insertUser(row: {
      username: string;
      password_hash: string;
      role: string;
      region_code: string | null;
      display_name: string | null;
      created_at: string;
      feed_types: string | null;
    }): Promise<number> {
      const r = await db.insertInto("users").values(row).returning("id").executeTakeFirstOrThrow();
      return Number(r.id);
    },

    async countUsers(): Promise<number> {
      const r = await db
        .selectFrom("users")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    async insertSession(row: {
      token_hash: string;
      user_id: number;
      created_at: string;
      expires_at: string;
    }) {
      await db.insertInto("sessions").values(row).execute();
    },

    /** The user of a live session; asked at every request, hence compiled once (runShaped). */
    async findSessionUser(tokenHash: string, now: string) {
      const [row] = await runShaped(db, "session-user", { tokenHash, now }, (p) =>
        db
          .selectFrom("sessions")
          .innerJoin("users", "users.id", "sessions.user_id")
          .select([
            "users.id",
            "users.username",
            "users.display_name",
            "users.role",
            "users.region_code",
            "users.disabled",
            "users.feed_types",
          ])
          .where("sessions.token_hash", "=", p.tokenHash)
          .where("sessions.expires_at", ">", p.now),
      );
      return row;
    },

    async deleteSession(tokenHash: string) {
      await db.deleteFrom("sessions").where("token_hash", "=", tokenHash).execute();
    },

    async deleteExpiredSessions(now: string) {
      await db.deleteFrom("sessions").where("expires_at", "<=", now).execute();
    },

    regionName(code: string) {
      return db.selectFrom("regions").select("name").where("code", "=", code).executeTakeFirst();
    },
  };
}
