/**
 * `fangpin token create|list|revoke` on the real binary: create prints the whole token once,
 * list never prints it, revoke (by prefix) ends it; wrong input exits 2 and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Engine } from "../src/db/connect.ts";
import { migrate } from "../src/db/migrate.ts";
import { SYSTEM_ACTOR } from "../src/modules/auth/index.ts";
import { createRegionsService } from "../src/modules/regions/index.ts";
import { runFangpin } from "./cli-run.ts";
import { ENGINES, freshDatabaseUrl, PG_URL } from "./engines.ts";

for (const engine of ENGINES as readonly Engine[]) {
  describe.skipIf(engine === "postgres" && !PG_URL)(`token commands [${engine}]`, () => {
    let db: ReturnType<typeof freshDatabaseUrl>;
    const fangpin = (...args: string[]) => runFangpin([...args, "--db", db.url, "--json"]);

    beforeAll(async () => {
      db = freshDatabaseUrl(engine);
      const database = await connect(db.url);
      try {
        await migrate(database);
        await createRegionsService({ db: database.db, now: () => new Date() }).load(
          SYSTEM_ACTOR,
          "360726",
        );
      } finally {
        await database.close();
      }
    }, 120_000);
    afterAll(async () => {
      await db?.cleanup();
    });

    it("creates, lists and revokes a token", async () => {
      const created = await fangpin(
        "token",
        "create",
        "--name",
        "医保局月报",
        "--feed",
        "medical,disability",
        "--region",
        "360726",
      );
      expect(created.code, created.stderr).toBe(0);
      const t = JSON.parse(created.stdout);
      expect(t).toMatchObject({
        name: "医保局月报",
        feedTypes: ["medical", "disability"],
        regionCode: "360726",
        status: "active",
      });
      expect(t.token).toMatch(/^fpt_/);

      const list = await fangpin("token", "list");
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout).items).toEqual([
        expect.objectContaining({ id: t.id, prefix: t.prefix, status: "active" }),
      ]);
      expect(list.stdout).not.toContain(t.token);

      const revoked = await fangpin("token", "revoke", t.prefix);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(JSON.parse(revoked.stdout)).toMatchObject({ id: t.id, status: "revoked" });
      expect(revoked.stdout).not.toContain(t.token);
    });

    it("refuses an unknown feed type or a missing region with exit code 2", async () => {
      const unknown = await fangpin(
        "token",
        "create",
        "--name",
        "x",
        "--feed",
        "tax",
        "--region",
        "360726",
      );
      expect(unknown.code).toBe(2);
      expect(JSON.parse(unknown.stdout).error.code).toBe("feed_type_unknown");
      const noRegion = await fangpin("token", "create", "--name", "x", "--feed", "medical");
      expect(noRegion.code).toBe(2);
      expect(JSON.parse(noRegion.stdout).error.code).toBe("token_region_required");
      const missing = await fangpin("token", "revoke", "fpt_unknown1");
      expect(missing.code).toBe(1);
      expect(JSON.parse((await fangpin("token", "list")).stdout).items).toHaveLength(1);
    });
  });
}
