// A background checkpoint (checkpoint.ts): plain JavaScript, so that the worker starts without
// tsx. It opens its own connection to the database, copies what it can of the WAL into the
// database file (PASSIVE: it waits for no one) and reports SQLite's answer.
import { parentPort, workerData } from "node:worker_threads";
import BetterSqlite3 from "better-sqlite3";

const db = new BetterSqlite3(workerData.path, { fileMustExist: true });
try {
  const [result] = db.pragma("wal_checkpoint(PASSIVE)");
  parentPort.postMessage(result);
} finally {
  db.close();
}
