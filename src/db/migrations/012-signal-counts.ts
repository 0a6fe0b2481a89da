/**
 * 012 — counts of open signals (预警计数) kept by the database itself, so that the dashboard
 * rollup (`GET /api/signals/summary`) reads a few rows per village and rule instead of grouping
 * every open signal at each request (docs/benchmarks.md, "API at 1,000,000 households").
 *
 * - `signal_counts`: open signals per (village, rule, category, severity) — what the rollup
 *   groups by rule and by region.
 * - `verification_counts`: open verification tasks per (village, deadline); "overdue" is the
 *   sum over deadlines before today, so the count stays right as days pass without any write.
 *
 * Triggers on `signals` and `verifications` keep them, in the transaction of whatever statement
 * opens, resolves or deletes a row — sweeps, per-household re-evaluation, verification
 * outcomes, restores and any writer added later — so no code path can forget them.
 *
 * The engines differ in how, not in what the rows sum to:
 * - SQLite has one writer at a time: row triggers add ±1 into one row per key (unique index).
 * - PostgreSQL has concurrent writers: a shared counter row would make every edit in a village
 *   wait for (and can deadlock with) a running sweep. Statement triggers there append one delta
 *   row per key a statement changed (from its transition tables), taking no row locks; readers
 *   sum them, and `compactCounts` (after each sweep) folds them back to one row per key.
 */
import { type Kysely, sql } from "kysely";
import type { Engine } from "../connect.ts";

// biome-ignore lint/suspicious/noExplicitAny: migrations run against whatever schema exists
type AnyDb = Kysely<any>;

/** What each counted table is keyed by, and which of its rows count. */
const COUNTED = [
  {
    table: "signals",
    counts: "signal_counts",
    key: ["village_code", "rule_id", "category", "severity"],
  },
  { table: "verifications", counts: "verification_counts", key: ["village_code", "deadline"] },
] as const;

export function up012(engine: Engine) {
  return async (db: AnyDb) => {
    await db.schema
      .createTable("signal_counts")
      .addColumn("village_code", "text", (c) => c.notNull())
      .addColumn("rule_id", "text", (c) => c.notNull())
      .addColumn("category", "text", (c) => c.notNull())
      .addColumn("severity", "text", (c) => c.notNull())
      .addColumn("n", "integer", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("verification_counts")
      .addColumn("village_code", "text", (c) => c.notNull())
      .addColumn("deadline", "text", (c) => c.notNull())
      .addColumn("n", "integer", (c) => c.notNull())
      .execute();
    for (const { table, counts, key } of COUNTED) {
      const cols = key.join(", ");
      let index = db.schema
        .createIndex(`${counts}_key`)
        .on(counts)
        .columns([...key]);
      if (engine === "sqlite") index = index.unique();
      await index.execute();
      // Triggers first: on PostgreSQL creating one locks the table against writes until this
      // migration commits, so no write falls between the backfill and the triggers.
      if (engine === "sqlite") await sqliteTriggers(db, table, counts, key);
      else await postgresTriggers(db, table, counts, key);
      await sql
        .raw(
          `INSERT INTO ${counts} (${cols}, n) SELECT ${cols}, count(*) FROM ${table} WHERE status = 'open' GROUP BY ${cols}`,
        )
        .execute(db);
    }
  };
}

async function sqliteTriggers(
  db: AnyDb,
  table: string,
  counts: string,
  key: readonly string[],
): Promise<void> {
  const cols = key.join(", ");
  const of = (row: "NEW" | "OLD") => key.map((k) => `${row}.${k}`).join(", ");
  const matches = key.map((k) => `${k} = OLD.${k}`).join(" AND ");
  const moved = key.map((k) => `NEW.${k} <> OLD.${k}`).join(" OR ");
  const add = `INSERT INTO ${counts} (${cols}, n) VALUES (${of("NEW")}, 1)
      ON CONFLICT (${cols}) DO UPDATE SET n = n + 1;`;
  const remove = `UPDATE ${counts} SET n = n - 1 WHERE ${matches};
      DELETE FROM ${counts} WHERE ${matches} AND n = 0;`;
  const triggers = [
    `CREATE TRIGGER ${counts}_insert AFTER INSERT ON ${table}
      WHEN NEW.status = 'open' BEGIN ${add} END`,
    `CREATE TRIGGER ${counts}_update_old AFTER UPDATE ON ${table}
      WHEN OLD.status = 'open' AND (NEW.status <> 'open' OR ${moved}) BEGIN ${remove} END`,
    `CREATE TRIGGER ${counts}_update_new AFTER UPDATE ON ${table}
      WHEN NEW.status = 'open' AND (OLD.status <> 'open' OR ${moved}) BEGIN ${add} END`,
    `CREATE TRIGGER ${counts}_delete AFTER DELETE ON ${table}
      WHEN OLD.status = 'open' BEGIN ${remove} END`,
  ];
  for (const t of triggers) await sql.raw(t).execute(db);
}

async function postgresTriggers(
  db: AnyDb,
  table: string,
  counts: string,
  key: readonly string[],
): Promise<void> {
  const cols = key.join(", ");
  const delta = (rows: string, sign: 1 | -1) =>
    `SELECT ${cols}, ${sign} AS d FROM ${rows} WHERE status = 'open'`;
  const append = (source: string) =>
    `INSERT INTO ${counts} (${cols}, n) SELECT ${cols}, sum(d) FROM (${source}) c GROUP BY ${cols} HAVING sum(d) <> 0;`;
  // The search path is pinned to this schema's, where the migration runs.
  await sql
    .raw(`CREATE FUNCTION ${counts}_apply() RETURNS trigger LANGUAGE plpgsql
      SET search_path FROM CURRENT AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          ${append(delta("new_rows", 1))}
        ELSIF TG_OP = 'DELETE' THEN
          ${append(delta("old_rows", -1))}
        ELSE
          ${append(`${delta("new_rows", 1)} UNION ALL ${delta("old_rows", -1)}`)}
        END IF;
        RETURN NULL;
      END $$`)
    .execute(db);
  const referencing = {
    INSERT: "NEW TABLE AS new_rows",
    UPDATE: "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    DELETE: "OLD TABLE AS old_rows",
  };
  for (const [op, rows] of Object.entries(referencing))
    await sql
      .raw(
        `CREATE TRIGGER ${counts}_${op.toLowerCase()} AFTER ${op} ON ${table}
          REFERENCING ${rows} FOR EACH STATEMENT EXECUTE FUNCTION ${counts}_apply()`,
      )
      .execute(db);
}
