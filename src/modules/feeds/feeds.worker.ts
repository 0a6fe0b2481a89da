/**
 * The worker thread of a large feed load (started by openFeedFileInWorker through
 * feeds.worker.js): reads and checks the file with `openFeedFile` and posts its head, then its
 * batches, never more than `AHEAD_BATCHES` ahead of the ones the loading thread has taken, then
 * the end — or the error, as the reader threw it.
 *
 * For a SQLite load it also matches (`workerData.match`): once the loading thread says its
 * transaction holds the write lock, it opens the database read-only and decides each batch
 * (feeds.match.ts) with the same lookups the loading thread would use, so that thread only
 * writes. Nothing is written here.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { bindFeedHeaders } from "./feed.format.ts";
import { sqliteLookups, statements } from "./feeds.lookup.ts";
import { decide, type MatchLookups, type MatchScope } from "./feeds.match.ts";
import {
  AHEAD_BATCHES,
  type FeedReadRequest,
  openFeedFile,
  sendError,
  type WorkerCommand,
  type WorkerMatch,
  type WorkerMessage,
} from "./feeds.reader.ts";

const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);
const { match, ...request } = workerData as FeedReadRequest & { match?: WorkerMatch };

let credits = AHEAD_BATCHES;
let closed = false;
let matching = false;
let wake: (() => void) | null = null;
port.on("message", (m: WorkerCommand) => {
  if (m.t === "more") credits++;
  else if (m.t === "match") matching = true;
  else closed = true;
  const w = wake;
  wake = null;
  w?.();
});
const until = async (ready: () => boolean) => {
  while (!ready() && !closed)
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
};

/** The lookups on a read-only connection of our own, and the scope to decide in. */
function matcher(m: WorkerMatch, keyHeader: string) {
  const db = new Database(m.sqlitePath, { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  const statement = statements(db);
  let lookups: MatchLookups = sqliteLookups(statement, request.feedType, m.range);
  // As the loading thread's store: a feed without current facts has none to compare with.
  if (
    !statement("select 1 from facts where feed_type = ? and superseded_at is null limit 1").get(
      request.feedType,
    )
  )
    lookups = { ...lookups, currentFacts: async () => new Map() };
  const scope: MatchScope = { actor: m.actor, range: m.range, def: request.def, keyHeader };
  return { db, lookups, scope };
}

post({ t: "ready" });
try {
  // Rows this thread decides stay objects; the others are posted as flat arrays.
  const file = await openFeedFile({ ...request, parsed: match !== undefined });
  let db: Database.Database | null = null;
  try {
    post({
      t: "head",
      head: { format: file.format, headerRow: file.headerRow, headers: file.headers },
    });
    let decider: ReturnType<typeof matcher> | null = null;
    if (match) {
      await until(() => matching);
      const { columns } = bindFeedHeaders(request.def, file.headers);
      const keyHeader = columns.find((c) => c.column.key === request.def.key[0])!.header;
      if (!closed) {
        decider = matcher(match, keyHeader);
        db = decider.db;
      }
    }
    let rowsRead = 0;
    let refused = false;
    for await (const batch of file.batches) {
      rowsRead += batch.read;
      if (batch.rejected > 0) refused = true;
      const parsed = batch.parsed ?? [];
      delete batch.parsed;
      if (decider && !refused && parsed.length > 0) {
        const expected = batch.fraction > 0 ? Math.round(rowsRead / batch.fraction) : rowsRead;
        batch.decision = await decide(parsed, decider.lookups, decider.scope, expected);
        if (batch.decision.rejected > 0) refused = true;
      }
      await until(() => credits > 0);
      if (closed) break;
      credits--;
      post({ t: "batch", batch });
    }
    if (!closed) post({ t: "end" });
  } finally {
    file.close();
    db?.close();
  }
} catch (e) {
  post({ t: "error", error: sendError(e) });
}
port.close();
