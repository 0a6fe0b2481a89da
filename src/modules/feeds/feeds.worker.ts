/**
 * The worker thread of a large feed load (started by openFeedFileInWorker through
 * feeds.worker.js): reads and checks the file with `openFeedFile` and posts its head, then its
 * batches, never more than `AHEAD_BATCHES` ahead of the ones the loading thread has taken, then
 * the end — or the error, as the reader threw it. The loading thread matches and writes: with
 * matching here too, this thread did most of a load's work while that one waited (measured,
 * docs/benchmarks.md, session 6).
 */
import { parentPort, workerData } from "node:worker_threads";
import {
  AHEAD_BATCHES,
  openFeedFile,
  sendError,
  type WorkerCommand,
  type WorkerData,
  type WorkerMessage,
} from "./feeds.reader.ts";

const port = parentPort!;
const { port: out, ...request } = workerData as WorkerData;
/** A message on the loader's channel, then a wake-up on this thread's port. */
const post = (m: WorkerMessage) => {
  out.postMessage(m);
  port.postMessage(0);
};

let credits = AHEAD_BATCHES;
let closed = false;
let wake: (() => void) | null = null;
port.on("message", (m: WorkerCommand) => {
  if (m.t === "more") credits++;
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

post({ t: "ready" });
try {
  const file = await openFeedFile(request);
  try {
    post({
      t: "head",
      head: { format: file.format, headerRow: file.headerRow, headers: file.headers },
    });
    for await (const batch of file.batches) {
      await until(() => credits > 0);
      if (closed) break;
      credits--;
      post({ t: "batch", batch });
    }
    if (!closed) post({ t: "end" });
  } finally {
    file.close();
  }
} catch (e) {
  post({ t: "error", error: sendError(e) });
}

port.close();
