/** Applies the migrations in order; the same set runs on SQLite and PostgreSQL. */
import { type Migration, type MigrationProvider, Migrator } from "kysely";
import { unexpectedState } from "../core/errors.ts";
import type { Database } from "./connect.ts";
import { up001 } from "./migrations/001-foundation.ts";
import { up002 } from "./migrations/002-monitoring.ts";
import { up003 } from "./migrations/003-cases.ts";
import { up004 } from "./migrations/004-feeds.ts";
import { up005 } from "./migrations/005-assistance.ts";
import { up007 } from "./migrations/007-api-tokens.ts";
import { up008 } from "./migrations/008-incomes.ts";
import { up009 } from "./migrations/009-feed-indexes.ts";
import { up011 } from "./migrations/011-feed-withdrawals.ts";
import { up012 } from "./migrations/012-signal-counts.ts";
import { up013 } from "./migrations/013-audit-action-index.ts";
import { up014 } from "./migrations/014-facts-lineage.ts";
import { up015 } from "./migrations/015-user-feed-types.ts";

/** Names of all migrations, in order. */
export const MIGRATIONS = [
  "001-foundation",
  "002-monitoring",
  "003-cases",
  "004-feeds",
  "005-assistance",
  "007-api-tokens",
  "008-incomes",
  "009-feed-indexes",
  "011-feed-withdrawals",
  "012-signal-counts",
  "013-audit-action-index",
  "014-facts-lineage",
  "015-user-feed-types",
];

function provider(database: Database): MigrationProvider {
  const migrations: Record<string, Migration> = {
    "001-foundation": { up: up001(database.engine) },
    "002-monitoring": { up: up002(database.engine) },
    "003-cases": { up: up003(database.engine) },
    "004-feeds": { up: up004(database.engine) },
    "005-assistance": { up: up005(database.engine) },
    "007-api-tokens": { up: up007(database.engine) },
    "008-incomes": { up: up008(database.engine) },
    "009-feed-indexes": { up: up009(database.engine) },
    "011-feed-withdrawals": { up: up011() },
    "012-signal-counts": { up: up012(database.engine) },
    "013-audit-action-index": { up: up013() },
    "014-facts-lineage": { up: up014() },
    "015-user-feed-types": { up: up015() },
  };
  if (Object.keys(migrations).join() !== MIGRATIONS.join())
    throw new Error("MIGRATIONS is out of date");
  return { getMigrations: async () => migrations };
}

/** Whether a migration failed on a relation of another schema that vanished while it looked. */
export function droppedElsewhere(error: unknown, schema: string | undefined): boolean {
  const e = error as { code?: string; message?: string };
  if (e.code !== "42P01" || typeof e.message !== "string") return false;
  const named = /relation "([^".]+)\./.exec(e.message)?.[1];
  return named !== undefined && named !== schema;
}

/** Migrates to the latest version; returns the names applied now. */
export async function migrate(database: Database): Promise<string[]> {
  const migrator = new Migrator({
    db: database.db,
    provider: provider(database),
    // Migrations are numbered when work starts and may land in another order (a database that
    // ran 007 before 006 existed then runs 006); each adds its own tables and indexes only.
    allowUnorderedMigrations: true,
    // Kysely looks for its own tables in every schema unless told which one is ours.
    ...(database.schema ? { migrationTableSchema: database.schema } : {}),
  });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely checks that its own tables exist by introspecting every schema of the database; a
  // schema another process drops meanwhile (tests drop theirs) fails that look with "relation
  // … does not exist" (42P01) naming the other schema's table. Nothing was migrated then:
  // look again.
  for (let attempt = 0; attempt < 5 && error && droppedElsewhere(error, database.schema); attempt++)
    ({ error, results } = await migrator.migrateToLatest());
  if (error) {
    throw unexpectedState(
      `数据库迁移失败：${error instanceof Error ? error.message : String(error)}`,
      {
        code: "migration_failed",
        cause: error,
      },
    );
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
