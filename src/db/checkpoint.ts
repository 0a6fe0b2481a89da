/**
 * SQLite checkpoints off the thread that serves requests. A transaction that wrote hundreds of
 * megabytes (a department file of a million rows) leaves them in the WAL, and SQLite's automatic
 * checkpoint copies them into the database file inside that transaction's COMMIT: about a second
 * for a million facts, on the one thread every request waits for. A large write turns the
 * automatic checkpoint off for its transaction (`withoutAutoCheckpoint`) and then asks for
 * `checkpointInBackground`: a worker thread with a connection of its own copies the pages while
 * the process goes on. The checkpoint is PASSIVE: readers and the next writer are not held, and
 * what they still need of the WAL is left for a later checkpoint. What is committed is in the
 * WAL already, so nothing is lost if the process stops before the copy ends (the next
 * connection finishes it).
 *
 * `checkpoints(db)` resolves when the database's background checkpoints have ended; `close()`
 * (connect.ts) waits for them before closing its connections.
 */
import { Worker } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";

/** Background checkpoints running, by the writing connection they were asked for. */
const RUNNING = new WeakMap<BetterSqlite3.Database, Set<Promise<void>>>();

/** What a checkpoint reported: whether it was held, the WAL's frames and those copied. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

/**
 * Runs `work` on the writing connection `raw` (its transaction included) without automatic
 * checkpoints, then sets them back as they were.
 */
export async function withoutAutoCheckpoint<T>(
  raw: BetterSqlite3.Database,
  work: () => Promise<T>,
): Promise<T> {
  const before = raw.pragma("wal_autocheckpoint", { simple: true }) as number;
  raw.pragma("wal_autocheckpoint = 0");
  try {
    return await work();
  } finally {
    raw.pragma(`wal_autocheckpoint = ${Number(before)}`);
  }
}

/**
 * Checkpoints the database of the writing connection `raw` in a worker thread. Resolves with what
 * SQLite reported, or null when the worker could not do it (an in-memory database, a failure):
 * the automatic checkpoint of a later commit, or the last connection's close, does it then.
 */
export function checkpointInBackground(
  raw: BetterSqlite3.Database,
): Promise<CheckpointResult | null> {
  if (raw.memory) return Promise.resolve(null);
  const done = new Promise<CheckpointResult | null>((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(new URL("./checkpoint.worker.js", import.meta.url), {
        workerData: { path: raw.name },
      });
    } catch {
      resolve(null);
      return;
    }
    let result: CheckpointResult | null = null;
    worker.on("message", (m: CheckpointResult) => {
      result = m;
    });
    worker.on("error", () => resolve(null));
    worker.on("exit", () => resolve(result));
  });
  const running = RUNNING.get(raw) ?? new Set();
  RUNNING.set(raw, running);
  const tracked = done.then(() => {
    running.delete(tracked);
  });
  running.add(tracked);
  return done;
}

/**
 * Resolves when the background checkpoints of the writing connection `raw` have ended, with how
 * many it waited for.
 */
export async function checkpoints(raw: BetterSqlite3.Database): Promise<number> {
  let waited = 0;
  for (;;) {
    const running = [...(RUNNING.get(raw) ?? [])];
    if (running.length === 0) return waited;
    waited += running.length;
    await Promise.all(running);
  }
}
