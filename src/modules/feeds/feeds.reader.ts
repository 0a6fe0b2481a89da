/**
 * The read side of a feed load: the file opened, its header bound to the definition, every row
 * parsed and checked (cells, effective dates, one row per key), in batches. It needs nothing
 * but the file and the definition, so it runs as well in a worker thread (feeds.worker.ts) as
 * here; a batch is plain data (strings and numbers), cheap to post from one to the other.
 */
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from "node:worker_threads";
import { AppError, type ErrorKind, invalid, isAppError } from "../../core/errors.ts";
// Not through the exchange index, for the worker thread: see feed.format.ts.
import { type FileFormat, openTable } from "../exchange/national.reader.ts";
import type { FeedDef } from "../policy/index.ts";
import {
  bindFeedHeaders,
  type FeedProblem,
  type FeedRow,
  feedHeaderRule,
  parseFeedRow,
} from "./feed.format.ts";
import { RowKeys } from "./row-keys.ts";

/** Fields per valid row in `ReadBatch.rows`: row, idNumber, name, key, period, from, to, vals. */
export const ROW_FIELDS = 8;

/**
 * Rows read per batch. A batch is alive, in one thread or the other, while it is read, posted,
 * matched and written, and every young-generation collection meanwhile copies it: with 500
 * rows a million-row load used about 15 % less CPU than with 2,000 (4,000 was slower still;
 * docs/benchmarks.md, session 9).
 */
export const BATCH_ROWS = 500;

/** What the reader found above the data: the file's format and header. */
export interface FeedFileHead {
  format: FileFormat;
  headerRow: number;
  headers: string[];
}

/** Consecutive data rows of the file. */
export interface ReadBatch {
  /** Data rows read, valid or not. */
  read: number;
  /** Rows refused (each has at least one problem). */
  rejected: number;
  problems: FeedProblem[];
  /**
   * The valid rows' fields, `ROW_FIELDS` per row, in file order (a flat array: one object per
   * batch instead of one per row). Empty once a row has been refused: nothing will be written.
   */
  rows: (string | number | null)[];
  /** Share of the file's bytes read when the batch was cut, 0–1. */
  fraction: number;
  /** Distinct reporting periods of the valid rows (feeds with a period). */
  periods: string[];
}

/** An opened feed file: its head, and its rows in batches (`close()` when stopping early). */
export interface FeedFile extends FeedFileHead {
  batches: AsyncGenerator<ReadBatch>;
  close(): void;
}

export interface FeedReadRequest {
  path: string;
  feedType: string;
  def: FeedDef;
  /** China date of the load, for the ID number check (no birth date in the future). */
  today: string;
  batchRows?: number;
}

/** Row `i` of a batch as the service matches it. */
export function batchRow(rows: readonly (string | number | null)[], i: number): FeedRow {
  const at = i * ROW_FIELDS;
  return {
    row: rows[at] as number,
    idNumber: rows[at + 1] as string,
    name: rows[at + 2] as string | null,
    key: rows[at + 3] as string,
    period: rows[at + 4] as string | null,
    from: rows[at + 5] as string,
    to: rows[at + 6] as string | null,
    vals: rows[at + 7] as string,
  };
}

/**
 * Opens the file and binds its header; throws invalid_data (`file_unreadable`,
 * `header_not_found`, `columns_missing`) before any row is read.
 */
export async function openFeedFile(request: FeedReadRequest): Promise<FeedFile> {
  const { def, feedType, today } = request;
  const batchRows = request.batchRows ?? BATCH_ROWS;
  let fraction = 0;
  const table = await openTable(request.path, feedHeaderRule(feedType, def), {
    onBytes: (read, total) => {
      fraction = total ? read / total : 1;
    },
  });
  const { columns, missing } = bindFeedHeaders(def, table.headers);
  if (missing.length > 0) {
    table.close();
    throw invalid(
      `文件缺少必填列：${missing.map((c) => `“${c.header}”`).join("、")}（第 ${table.headerRow} 行为表头）`,
      { code: "columns_missing", detail: { columns: missing.map((c) => c.header) } },
    );
  }
  const keyHeader = columns.find((c) => c.column.key === def.key.at(-1))!.header;
  const keyNames = def.key.map((k) => def.columns.find((c) => c.key === k)!.header).join("、");

  async function* batches(): AsyncGenerator<ReadBatch> {
    const keys = new RowKeys();
    let refused = false;
    let periods = new Set<string>();
    const cut = (): ReadBatch => ({
      read: 0,
      rejected: 0,
      problems: [],
      rows: [],
      fraction,
      periods: [],
    });
    let batch = cut();
    for await (const chunk of table.chunks)
      for (const sheetRow of chunk) {
        batch.read++;
        const parsed = parseFeedRow(def, columns, sheetRow, today);
        if ("problems" in parsed) {
          batch.rejected++;
          for (const p of parsed.problems) batch.problems.push(p);
          refused = true;
        } else {
          const row = parsed.ok;
          const first = keys.firstRow(row.key, row.row);
          if (first !== undefined) {
            batch.rejected++;
            batch.problems.push({
              row: row.row,
              column: keyHeader,
              code: "duplicate_row_key",
              message: `与第 ${first} 行重复：${keyNames}相同的记录只能有一行`,
            });
            refused = true;
          } else {
            if (row.period !== null) periods.add(row.period);
            // Once a row is refused nothing will be written: the rest is only checked.
            if (!refused)
              batch.rows.push(
                row.row,
                row.idNumber,
                row.name,
                row.key,
                row.period,
                row.from,
                row.to,
                row.vals,
              );
          }
        }
        if (batch.read >= batchRows) {
          batch.fraction = fraction;
          batch.periods = [...periods];
          periods = new Set();
          yield batch;
          batch = cut();
        }
      }
    if (batch.read > 0) {
      batch.fraction = fraction;
      batch.periods = [...periods];
      yield batch;
    }
  }

  return {
    format: table.format,
    headerRow: table.headerRow,
    headers: table.headers,
    batches: batches(),
    close: () => table.close(),
  };
}

// ─── in a worker thread ─────────────────────────────────────────────────────────

/**
 * The worker's young generation: a load allocates much short-lived data per row, and the default
 * (16 MB) promotes some of it to the old generation; 64 MB cut the worker's CPU by about 5 %.
 */
const WORKER_YOUNG_MB = 64;

/**
 * Batches the worker may post ahead of the one being matched and written: 192,000 rows. While
 * the loading thread reads the region's members, about 1.6 s for a million, the worker reads on:
 * when it could run only 64,000 rows ahead it stopped, and the loading thread then waited about
 * 1.9 s for rows in all; 400,000 rows ahead, about 0.3 s (docs/benchmarks.md, session 9). The
 * batches waiting are held serialised, outside the JavaScript heap: about 1 MB per 2,000 rows
 * of the medical feed (its Chinese text takes two bytes a character), so at most about 100 MB.
 */
export const AHEAD_BATCHES = 192_000 / BATCH_ROWS;

/** Messages from feeds.worker.ts. */
export type WorkerMessage =
  | { t: "ready" }
  | { t: "head"; head: FeedFileHead }
  | { t: "batch"; batch: ReadBatch }
  | { t: "end" }
  | { t: "error"; error: SentError };

/** What feeds.worker.ts is started with: the request, and the port to send its messages on. */
export interface WorkerData extends FeedReadRequest {
  port: MessagePort;
}

/** Messages to feeds.worker.ts: one more batch may come, or stop. */
export type WorkerCommand = { t: "more" } | { t: "close" };

/** An error as posted between threads (an AppError keeps its kind, code, field and detail). */
export interface SentError {
  message: string;
  kind?: ErrorKind;
  code?: string;
  field?: string;
  detail?: Record<string, unknown>;
  stack?: string;
}

export function sendError(e: unknown): SentError {
  if (isAppError(e))
    return {
      message: e.message,
      kind: e.kind,
      ...(e.code === undefined ? {} : { code: e.code }),
      ...(e.field === undefined ? {} : { field: e.field }),
      ...(e.detail === undefined ? {} : { detail: e.detail }),
    };
  return e instanceof Error
    ? { message: e.message, ...(e.stack ? { stack: e.stack } : {}) }
    : { message: String(e) };
}

function receivedError(e: SentError): Error {
  if (e.kind)
    return new AppError(e.kind, e.message, {
      ...(e.code === undefined ? {} : { code: e.code }),
      ...(e.field === undefined ? {} : { field: e.field }),
      ...(e.detail === undefined ? {} : { detail: e.detail }),
    });
  const error = new Error(e.message);
  if (e.stack) error.stack = e.stack;
  return error;
}

/**
 * `openFeedFile` in a worker thread, so that reading and checking the file (about a third of
 * a load's work) runs on another core while this thread matches and writes. The worker keeps
 * at most `AHEAD_BATCHES` batches ahead. Null when the worker does not start (its entry or tsx cannot
 * be loaded; `entry` is for tests): the caller reads the file itself. Errors of the file are thrown as the reader
 * throws them here.
 */
export async function openFeedFileInWorker(
  request: FeedReadRequest,
  options: { entry?: URL } = {},
): Promise<FeedFile | null> {
  const entry = options.entry ?? new URL("./feeds.worker.js", import.meta.url);
  // The worker's messages come on a channel of their own, each taken (and copied into this
  // thread's heap) only when this thread wants the next batch. A 'message' listener took every
  // batch waiting at once, up to `AHEAD_BATCHES` of them after the region's members were read,
  // and they lived on in a queue through young-generation collections that copied them: in 4
  // of 5 back-to-back pairs the load was faster this way (docs/benchmarks.md, session 7). The
  // worker's own port only carries a wake-up after each message.
  const { port1: inbox, port2: outbox } = new MessageChannel();
  let worker: Worker;
  try {
    worker = new Worker(entry, {
      workerData: { ...request, port: outbox } satisfies WorkerData,
      transferList: [outbox],
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB },
    });
  } catch {
    inbox.close();
    return null;
  }
  let failure: unknown = null;
  let exited = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  worker.on("message", notify);
  worker.on("error", (e) => {
    failure = e;
    notify();
  });
  worker.on("exit", () => {
    exited = true;
    notify();
  });
  let stopped = false;
  const next = async (): Promise<WorkerMessage> => {
    for (;;) {
      // Closed by the loader: whatever the worker sent or does next no longer matters.
      if (stopped) return { t: "end" };
      const got = receiveMessageOnPort(inbox);
      if (got) return got.message as WorkerMessage;
      if (failure) throw failure;
      if (exited) throw new Error("读取文件的工作线程意外退出");
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    worker.postMessage({ t: "close" } satisfies WorkerCommand);
    void worker.terminate();
    inbox.close();
  };

  try {
    const first = await next();
    if (first.t !== "ready") throw new Error(`unexpected ${first.t}`);
  } catch {
    void worker.terminate();
    inbox.close();
    return null;
  }
  const opened = await next().catch((e: unknown) => {
    stop();
    throw e;
  });
  if (opened.t === "error") {
    stop();
    throw receivedError(opened.error);
  }
  if (opened.t !== "head") {
    stop();
    throw new Error(`读取文件的工作线程发来意外的消息：${opened.t}`);
  }

  async function* batches(): AsyncGenerator<ReadBatch> {
    try {
      for (;;) {
        const m = await next();
        if (m.t === "end") return;
        if (m.t === "error") throw receivedError(m.error);
        if (m.t !== "batch") throw new Error(`读取文件的工作线程发来意外的消息：${m.t}`);
        worker.postMessage({ t: "more" } satisfies WorkerCommand);
        yield m.batch;
      }
    } finally {
      stop();
    }
  }

  return {
    ...opened.head,
    batches: batches(),
    close: stop,
  };
}
