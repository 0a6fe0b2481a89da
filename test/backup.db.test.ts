/**
 * Backup and restore (db/backup.ts) across engines: a county with households, history, a feed
 * load, signals and users is backed up, restored into an empty database of each engine, and
 * every table reads back the same; the restored database takes new records (ids continue);
 * a non-empty target, a truncated file and a file that is not a backup write nothing. The CLI
 * contract (`fangpin backup`, `fangpin restore`) runs on the real binary.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backup, restore } from "../src/db/backup.ts";
import type { Database, Engine } from "../src/db/connect.ts";
import { createAuthService, SYSTEM_ACTOR } from "../src/modules/auth/index.ts";
import { localFileStore } from "../src/modules/cases/file-store.ts";
import { createFeedsService } from "../src/modules/feeds/index.ts";
import { createMonitoringService } from "../src/modules/monitoring/index.ts";
import { createPolicyService } from "../src/modules/policy/index.ts";
import { createRegionsService } from "../src/modules/regions/index.ts";
import { createRegistryService } from "../src/modules/registry/index.ts";
import { createServices } from "../src/server/services.ts";
import { runFangpin } from "./cli-run.ts";
import {
  ENGINES,
  freshDatabaseUrl,
  openTestDatabase,
  PG_URL,
  type TestDatabase,
} from "./engines.ts";
import { household } from "./factories.ts";
import { sampleHouseholds } from "./feed-samples.ts";

// biome-ignore lint/suspicious/noExplicitAny: tables are compared by name
type AnyDb = Kysely<any>;

const dir = mkdtempSync(join(tmpdir(), "fangpin-backup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NOW = new Date("2026-11-20T02:00:00Z");
const policies = createPolicyService();
const engines = ENGINES.filter((e) => e === "sqlite" || PG_URL);

/**
 * Counts the database keeps by trigger (migration 012): left out of backups and rebuilt by a
 * restore, compared as sums per key (PostgreSQL may hold several rows of one key).
 */
const DERIVED: Record<string, string> = {
  signal_counts: "village_code, rule_id, category, severity",
  verification_counts: "village_code, deadline",
};

/**
 * Every row of every table (but sessions), in key order, as plain values; the derived counts
 * summed per key.
 */
async function contents(database: Database): Promise<Record<string, unknown[]>> {
  const db = database.db as AnyDb;
  const names =
    database.engine === "sqlite"
      ? (
          await sql<{
            name: string;
          }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(
            db,
          )
        ).rows.map((r) => r.name)
      : (
          await sql<{
            name: string;
          }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(
            db,
          )
        ).rows.map((r) => r.name);
  const out: Record<string, unknown[]> = {};
  for (const name of names.sort()) {
    if (name === "sessions" || name.startsWith("kysely_")) continue;
    const key = DERIVED[name];
    const rows = key
      ? (
          await sql
            .raw<Record<string, unknown>>(
              `select ${key}, cast(sum(n) as integer) as n from ${name} group by ${key} having sum(n) > 0`,
            )
            .execute(db)
        ).rows
      : await db.selectFrom(name).selectAll().execute();
    // In a stable order whatever the table's key: by the rows' text.
    out[name] = rows
      .map((r) => [JSON.stringify(r), r] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([, r]) => r);
  }
  return out;
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 7, 7, 7]);

async function seed(database: Database, filesDir: string) {
  const deps = { db: database.db, engine: database.engine, now: () => NOW };
  await createRegionsService(deps).load(SYSTEM_ACTOR, "360726");
  const registry = createRegistryService(deps);
  await registry.bulkCreate(SYSTEM_ACTOR, sampleHouseholds(), { source: "demo" });
  await createFeedsService({ ...deps, policies }).load(
    SYSTEM_ACTOR,
    "medical",
    new URL("../docs/formats/samples/medical.csv", import.meta.url).pathname,
  );
  await createMonitoringService({ ...deps, policies }).sweep(SYSTEM_ACTOR, { region: "360726" });
  await createAuthService(deps).addUser(
    { username: "town1", password: "correct horse 42", role: "town", region: "360726100" },
    SYSTEM_ACTOR,
  );
  // A case with a visit photo: its bytes live in the file store, not in the database.
  const services = createServices({ database, now: () => NOW, files: localFileStore(filesDir) });
  const opened = await services.cases.open(SYSTEM_ACTOR, {
    householdNumber: sampleHouseholds()[0]!.household.householdNumber!,
    type: "identification",
    category: "unstable",
    riskFactors: ["illness"],
  });
  await services.cases.attach(SYSTEM_ACTOR, opened.case, {
    kind: "visit_photo",
    name: "入户照片.png",
    mime: "image/png",
    data: PNG,
  });
}

describe.each(engines)("backup of a %s database", (from: Engine) => {
  let source: TestDatabase;
  let file: string;
  let before: Record<string, unknown[]>;

  beforeAll(async () => {
    source = await openTestDatabase(from);
    const sourceFiles = mkdtempSync(join(dir, "files-"));
    await seed(source, sourceFiles);
    file = join(dir, `${from}.fpbak`);
    const summary = await backup(source, file, undefined, localFileStore(sourceFiles));
    expect(summary.files).toBe(1);
    before = await contents(source);
    expect(before.signal_counts?.length).toBeGreaterThan(0);
    expect(summary.rows).toBe(
      Object.entries(before)
        .filter(([name]) => !DERIVED[name])
        .reduce((n, [, rows]) => n + rows.length, 0),
    );
    expect(summary.tables.households).toBe(before.households!.length);
  }, 120_000);
  afterAll(async () => {
    await source?.drop();
  });

  for (const to of engines)
    it(`restores into an empty ${to} database, every table as it was, and ids go on`, async () => {
      const target = await openTestDatabase(to);
      const targetFiles = mkdtempSync(join(dir, "files-"));
      try {
        const summary = await restore(target, file, undefined, localFileStore(targetFiles));
        expect(summary.tables.households).toBeGreaterThan(0);
        expect(await contents(target)).toEqual(before);
        // The photo came along, under the key its row names.
        const [photo] = before.attachments as { storage_key: string }[];
        expect((await localFileStore(targetFiles).get(photo!.storage_key)).equals(PNG)).toBe(true);

        // The restored database works: a new household gets a new id, a user signs in.
        const deps = { db: target.db, engine: target.engine, now: () => NOW };
        // (On PostgreSQL it would clash with a restored id unless the sequences moved on.)
        await createRegistryService(deps).create(
          SYSTEM_ACTOR,
          household("360726100201", { seed: 901 }),
          { source: "ui" },
        );
        const ids = (before.households as { id: number }[]).map((h) => Number(h.id));
        const newest = await (target.db as AnyDb)
          .selectFrom("households")
          .select((eb) => eb.fn.max("id").as("id"))
          .executeTakeFirstOrThrow();
        expect(Number(newest.id)).toBe(Math.max(...ids) + 1);
        const auth = createAuthService(deps);
        await expect(auth.login("town1", "correct horse 42")).resolves.toBeTruthy();
      } finally {
        await target.drop();
      }
    });

  it("refuses a database that already has data, and writes nothing", async () => {
    await expect(restore(source, file)).rejects.toMatchObject({
      code: "restore_target_not_empty",
    });
    expect(await contents(source)).toEqual(before);
  });

  it("restores a backup made before facts lost their load's columns (migration 014)", async () => {
    // The backup as the version before 014 wrote it: the facts carry file_hash, file_name and
    // created_at, and the header does not list the migration.
    const lines = gunzipSync(readFileSync(file)).toString("utf8").trimEnd().split("\n");
    const header = JSON.parse(lines[0]!);
    header.migrations = header.migrations.filter((m: string) => m !== "014-facts-lineage");
    let inFacts = false;
    let facts = 0;
    const old = [JSON.stringify(header)];
    for (const line of lines.slice(1)) {
      const value = JSON.parse(line);
      if (!Array.isArray(value)) {
        inFacts = value.table === "facts";
        if (inFacts) value.columns = [...value.columns, "file_hash", "file_name", "created_at"];
        old.push(JSON.stringify(value));
        continue;
      }
      if (inFacts) {
        facts++;
        value.push("f".repeat(64), "medical.csv", "2026-11-20T02:00:00.000Z");
      }
      old.push(JSON.stringify(value));
    }
    expect(facts).toBeGreaterThan(0);
    const older = join(dir, `${from}-before-014.fpbak`);
    writeFileSync(older, gzipSync(`${old.join("\n")}\n`));
    const target = await openTestDatabase(from);
    try {
      await restore(target, older);
      expect(await contents(target)).toEqual(before);
      // The same columns in a backup that lists 014 are not known to this database.
      header.migrations = [...header.migrations, "014-facts-lineage"];
      old[0] = JSON.stringify(header);
      const wrong = join(dir, `${from}-wrong-014.fpbak`);
      writeFileSync(wrong, gzipSync(`${old.join("\n")}\n`));
      const again = await openTestDatabase(from);
      try {
        await expect(restore(again, wrong)).rejects.toMatchObject({
          code: "backup_table_unknown",
        });
      } finally {
        await again.drop();
      }
    } finally {
      await target.drop();
    }
  });

  it("refuses a truncated or foreign file, and writes nothing", async () => {
    const text = gunzipSync(readFileSync(file)).toString("utf8");
    const lines = text.trimEnd().split("\n");
    const truncated = join(dir, `${from}-truncated.fpbak`);
    writeFileSync(truncated, gzipSync(`${lines.slice(0, -1).join("\n")}\n`));
    const cut = join(dir, `${from}-cut.fpbak`);
    writeFileSync(cut, readFileSync(file).subarray(0, Math.floor(readFileSync(file).length / 2)));
    const foreign = join(dir, `${from}-foreign.fpbak`);
    writeFileSync(foreign, gzipSync('{"hello":"world"}\n'));
    const badHeader = join(dir, `${from}-bad-header.fpbak`);
    const header = { ...JSON.parse(lines[0]!), migrations: "all" };
    writeFileSync(
      badHeader,
      gzipSync(`${[JSON.stringify(header), ...lines.slice(1)].join("\n")}\n`),
    );
    for (const [path, code] of [
      [truncated, "backup_corrupt"],
      [cut, "backup_corrupt"],
      [foreign, "backup_format"],
      [badHeader, "backup_corrupt"],
    ] as const) {
      const target = await openTestDatabase(from);
      try {
        await expect(restore(target, path), path).rejects.toMatchObject({ code });
        const after = await contents(target);
        expect(
          Object.values(after).every((rows) => rows.length === 0),
          path,
        ).toBe(true);
      } finally {
        await target.drop();
      }
    }
  });
});

describe("fangpin backup / restore (command line)", () => {
  it("backs up a database and restores it elsewhere; prints one JSON object each", async () => {
    const a = freshDatabaseUrl("sqlite");
    const b = freshDatabaseUrl("sqlite");
    try {
      const regions = await runFangpin([
        "regions",
        "load",
        "--province",
        "36",
        "--db",
        a.url,
        "--json",
      ]);
      expect(regions.code, regions.stderr).toBe(0);
      const file = join(dir, "cli.fpbak");
      const saved = await runFangpin(["backup", "--out", file, "--db", a.url, "--json"]);
      expect(saved.code, saved.stderr).toBe(0);
      const body = JSON.parse(saved.stdout);
      expect(body).toMatchObject({ file, engine: "sqlite" });
      expect(body.tables.regions).toBeGreaterThan(300);
      const restored = await runFangpin(["restore", file, "--db", b.url, "--json"]);
      expect(restored.code, restored.stderr).toBe(0);
      expect(JSON.parse(restored.stdout)).toMatchObject({ rows: body.rows });
      const again = await runFangpin(["restore", file, "--db", b.url, "--json"]);
      expect(again.code).toBe(2);
      expect(JSON.parse(again.stdout)).toMatchObject({
        error: { code: "restore_target_not_empty" },
      });
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });
});
