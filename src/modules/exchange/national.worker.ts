/**
 * The reading thread of an import (national.pipeline.ts): reads and checks the file as
 * `inThread` does and posts each batch, the problems found since the last one and any error to
 * the importing thread, staying at most a few batches ahead of its merge.
 */
import { parentPort, workerData } from "node:worker_threads";
import {
  inThread,
  type MainMessage,
  PROGRESS_ROWS,
  packDrafts,
  sendableError,
  WORKER_AHEAD,
  type WorkerMessage,
} from "./national.pipeline.ts";

const port = parentPort!;
const { path, today, batch, firstBatch } = workerData as {
  path: string;
  today: string;
  batch: number;
  firstBatch: number;
};
const post = (m: WorkerMessage) => port.postMessage(m);

let merged = 0;
let wake: (() => void) | null = null;
port.on("message", (m: MainMessage) => {
  if (m.type !== "merged") return;
  merged++;
  const w = wake;
  wake = null;
  w?.();
});

async function run() {
  let lastProgress = 0;
  const file = await inThread(path, {
    today,
    batch,
    firstBatch,
    onProgress: (rows, fraction) => {
      if (rows - lastProgress < PROGRESS_ROWS) return;
      lastProgress = rows;
      post({ type: "progress", rows, fraction });
    },
  });
  post({ type: "opened", format: file.format, headerRow: file.headerRow, headers: file.headers });
  const { collector } = file;
  let sent = 0;
  try {
    for await (const b of file.batches()) {
      post({
        type: "batch",
        drafts: packDrafts(b.drafts),
        problems: collector.problems.splice(0),
        rows: collector.rows,
        last: b.last,
      });
      collector.release(b.drafts);
      sent++;
      if (b.last) break;
      while (sent - merged > WORKER_AHEAD)
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
    }
  } finally {
    file.close();
  }
}

try {
  await run();
} catch (e) {
  post({ type: "failed", error: sendableError(e) });
}
port.close();
