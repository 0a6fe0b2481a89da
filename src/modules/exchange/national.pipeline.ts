/**
 * Reading a national-format file into checked households, batch by batch: the file read, every
 * cell parsed, rows grouped into households and the checks that need no database run
 * (`NationalCollector.checkBatch`). The importer adds the regions and merges each batch.
 *
 * A large file is read in a worker thread (national.worker.ts) while the main thread merges the
 * batches before: with a second core idle the reading and the writing overlap. The batches,
 * problems and errors are the same as when the file is read in the importing thread, which is
 * what happens for small files (a worker costs a few hundred milliseconds to start), on a busy
 * machine, and whenever a worker cannot start.
 */
import { stat } from "node:fs/promises";
import { availableParallelism, loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import { AppError, type ErrorKind, invalid } from "../../core/errors.ts";
import { bindHeaders } from "./national.columns.ts";
import { type FileFormat, openSheet, type SheetRow } from "./national.reader.ts";
import {
  type HouseholdDraft,
  MissingColumns,
  NationalCollector,
  NotGrouped,
  type RowProblem,
} from "./national.validate.ts";

export interface CheckedBatch {
  /** Households in file order, checked but for their regions (`resolveBatch`). */
  drafts: HouseholdDraft[];
  /** The rest of the file: no batch follows. */
  last: boolean;
}

/** A file being read into checked batches. */
export interface CheckedFile {
  /** Where the file is read. */
  thread: "worker" | "main";
  format: FileFormat;
  headerRow: number;
  headers: string[];
  /**
   * Holds the file's problems and the batch's households: `release` each batch's drafts before
   * asking for the next (an ID number of a released household turning up again is `NotGrouped`).
   */
  collector: NationalCollector;
  /** Throws `NotGrouped`, or `file_unreadable` when the file breaks off. */
  batches(): AsyncGenerator<CheckedBatch>;
  /** Stops reading (safe to call more than once). */
  close(): void;
}

export interface CheckedFileOptions {
  today: string;
  /** A batch ends once more than this many households are held. */
  batch: number;
  /** The same for the first batch (default `batch`). */
  firstBatch?: number;
  /** Data rows read so far and the share of the file's bytes, now and then while reading. */
  onProgress?: (rows: number, fraction: number) => void;
  /** `auto` (default): a worker for files of `WORKER_MIN_BYTES` or more unless the machine is overloaded. */
  worker?: "auto" | "always" | "never";
}

/** Below this size a file is read in the importing thread (a worker would not pay its start). */
export const WORKER_MIN_BYTES = 4 * 1024 * 1024;

/** Batches a reading thread may send ahead of the merge (bounds the memory the file takes). */
const AHEAD = 2;

/** Households of the first batch a reading thread sends. */
const FIRST_BATCH = 200;

/** Rows between progress reports. */
const PROGRESS_ROWS = 2000;

export const unreadable = (e: unknown) =>
  invalid(`读取文件时出错：${e instanceof Error ? e.message : String(e)}`, {
    code: "file_unreadable",
    cause: e,
  });

export const columnsMissing = (e: MissingColumns) =>
  invalid(`${e.message}。请使用国家监测系统导出的监测对象信息表`, {
    code: "column_missing",
    detail: { columns: e.headers },
  });

/**
 * Opens the file (throwing as `openSheet` does, and `column_missing`) and reads it into checked
 * batches, in a worker thread when the file is large.
 */
export async function openChecked(path: string, options: CheckedFileOptions): Promise<CheckedFile> {
  const mode = options.worker ?? workerMode();
  if (mode === "always" || (mode === "auto" && (await worthIt(path)))) {
    const file = await inWorker(path, options);
    if (file) return file;
  }
  return inThread(path, options);
}

/**
 * A second thread pays only with a core to run on: on a machine busy with other work the two
 * threads take turns, and the reading thread's own costs (its start, the batches copied between
 * threads: about 2 CPU seconds per 100,000 rows) make the import slower, not faster (measured on
 * two cores at load average 4–7; see docs/benchmarks.md). On a machine only somewhat busy it
 * still pays: 5.3 s against 6.5 s for 100,000 CSV rows at load average 2 on two cores. So: a
 * large file, two cores or more, and a machine not oversubscribed twice over.
 */
async function worthIt(path: string): Promise<boolean> {
  const cores = availableParallelism();
  if (cores < 2 || loadavg()[0]! >= 2 * cores) return false;
  return (await sizeOf(path)) >= WORKER_MIN_BYTES;
}

/** FANGPIN_IMPORT_WORKER=always|never overrides the size and load rule (tests, measurements). */
function workerMode(): "auto" | "always" | "never" {
  const v = process.env.FANGPIN_IMPORT_WORKER;
  return v === "always" || v === "never" ? v : "auto";
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** The file read and checked in this thread. */
export async function inThread(path: string, options: CheckedFileOptions): Promise<CheckedFile> {
  let fraction = 0;
  const sheet = await openSheet(path, {
    onBytes: (read, total) => {
      fraction = total > 0 ? read / total : 1;
    },
  });
  let collector: NationalCollector;
  try {
    collector = new NationalCollector(sheet.columns, { today: options.today, batches: true });
  } catch (e) {
    sheet.close();
    throw e instanceof MissingColumns ? columnsMissing(e) : e;
  }
  async function* batches(): AsyncGenerator<CheckedBatch> {
    const chunks = sheet.chunks;
    let limit = options.firstBatch ?? options.batch;
    for (;;) {
      let next: IteratorResult<SheetRow[]>;
      try {
        next = await chunks.next();
      } catch (e) {
        throw unreadable(e);
      }
      if (next.done) break;
      for (const row of next.value) {
        collector.add(row);
        if (collector.rows % PROGRESS_ROWS === 0) options.onProgress?.(collector.rows, fraction);
        if (collector.held > limit) {
          limit = options.batch;
          const drafts = collector.complete();
          if (drafts.length > 0) yield { drafts: [...collector.checkBatch(drafts)], last: false };
        }
      }
    }
    const drafts = collector.drafts();
    yield { drafts: [...collector.checkBatch(drafts)], last: true };
  }
  return {
    thread: "main",
    format: sheet.format,
    headerRow: sheet.headerRow,
    headers: sheet.headers,
    collector,
    batches,
    close: () => sheet.close(),
  };
}

// ─── the worker ────────────────────────────────────────────────────────────────

/** What the reading thread says (national.worker.ts). */
export type WorkerMessage =
  | { type: "opened"; format: FileFormat; headerRow: number; headers: string[] }
  | { type: "progress"; rows: number; fraction: number }
  | {
      type: "batch";
      drafts: PackedDrafts;
      problems: RowProblem[];
      rows: number;
      last: boolean;
    }
  | { type: "failed"; error: SentError };

/** What the importing thread says: a batch has been merged (the reader may send another). */
export type MainMessage = { type: "merged" };

/** An error as it crosses to the importing thread, to be thrown there as it was thrown. */
export type SentError =
  | {
      kind: "app";
      errorKind: ErrorKind;
      message: string;
      code?: string;
      field?: string;
      detail?: Record<string, unknown>;
      /** Message of the error the AppError was made from (`file_unreadable`). */
      cause?: string;
    }
  | { kind: "not_grouped"; household: string }
  | { kind: "other"; message: string; stack?: string };

export function sendableError(e: unknown): SentError {
  if (e instanceof NotGrouped) return { kind: "not_grouped", household: e.household };
  if (e instanceof AppError)
    return {
      kind: "app",
      errorKind: e.kind,
      message: e.message,
      code: e.code,
      field: e.field,
      detail: e.detail,
      cause: e.cause instanceof Error ? e.cause.message : undefined,
    };
  return e instanceof Error
    ? { kind: "other", message: e.message, stack: e.stack }
    : { kind: "other", message: String(e) };
}

function receivedError(e: SentError): Error {
  if (e.kind === "not_grouped") return new NotGrouped(e.household);
  if (e.kind === "app")
    return new AppError(e.errorKind, e.message, {
      code: e.code,
      field: e.field,
      detail: e.detail,
      cause: e.cause === undefined ? undefined : new Error(e.cause),
    });
  const error = new Error(e.message);
  if (e.stack) error.stack = e.stack;
  return error;
}

/**
 * The file read in a worker thread; null when the worker cannot start (the caller reads in
 * this thread). Errors of the file itself (not found, no header, missing columns) are thrown as
 * `inThread` throws them.
 */
async function inWorker(path: string, options: CheckedFileOptions): Promise<CheckedFile | null> {
  let worker: Worker;
  try {
    worker = new Worker(new URL("./national.worker.js", import.meta.url), {
      // A small first batch: the merge starts while the rest is read.
      workerData: {
        path,
        today: options.today,
        batch: options.batch,
        firstBatch: Math.min(options.batch, FIRST_BATCH),
      },
      // The worker registers tsx itself; loader flags of this process (vitest's, `--import tsx`)
      // are not for it. Profiling and heap flags are.
      execArgv: process.execArgv.filter((a) => /^--(cpu-prof|max-old-space-size)/.test(a)),
      stdout: false,
      stderr: false,
    });
  } catch {
    return null;
  }
  const queue: WorkerMessage[] = [];
  let wake: (() => void) | null = null;
  let broken: Error | null = null;
  let started = false;
  let closed = false;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  worker.on("message", (m: WorkerMessage) => {
    started = true;
    queue.push(m);
    notify();
  });
  worker.on("error", (e) => {
    broken ??= e;
    notify();
  });
  worker.on("exit", (code) => {
    if (!closed) broken ??= new Error(`读取文件的线程意外退出（${code}）`);
    notify();
  });
  const next = async (): Promise<WorkerMessage> => {
    for (;;) {
      const m = queue.shift();
      if (m) return m;
      if (broken) throw broken;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };
  const close = () => {
    if (closed) return;
    closed = true;
    void worker.terminate();
  };

  let first: WorkerMessage;
  try {
    first = await next();
  } catch {
    // It never said a word: tsx or the module could not load in a worker here.
    if (!started) {
      close();
      return null;
    }
    throw broken;
  }
  if (first.type === "failed") {
    close();
    throw receivedError(first.error);
  }
  if (first.type !== "opened") {
    close();
    throw new Error(`读取文件的线程先发来了 ${first.type}`);
  }
  const collector = new NationalCollector(bindHeaders(first.headers), {
    today: options.today,
    batches: true,
  });

  async function* batches(): AsyncGenerator<CheckedBatch> {
    try {
      for (;;) {
        const m = await next();
        if (m.type === "failed") throw receivedError(m.error);
        if (m.type === "progress") {
          options.onProgress?.(m.rows, m.fraction);
          continue;
        }
        if (m.type !== "batch") continue;
        const drafts = unpackDrafts(m.drafts);
        collector.absorb(m.problems, m.rows);
        collector.adopt(drafts);
        yield { drafts, last: m.last };
        if (m.last) return;
        worker.postMessage({ type: "merged" } satisfies MainMessage);
      }
    } finally {
      close();
    }
  }
  return {
    thread: "worker",
    format: first.format,
    headerRow: first.headerRow,
    headers: first.headers,
    collector,
    batches,
    close,
  };
}

export { AHEAD as WORKER_AHEAD, PROGRESS_ROWS };

// ─── compact batches ───────────────────────────────────────────────────────────

/**
 * Households as they cross between threads. Structured cloning writes every property name of
 * every object: a hundred thousand members of thirty fields are three million names. Here each
 * household and member is an array of its values after the number of its shape (its keys in
 * order, sent once per batch), which rebuilds objects with the same keys in the same order.
 */
export interface PackedDrafts {
  householdShapes: string[][];
  memberShapes: string[][];
  /** number, rows, household, members, region (county, town, village), errors, sourceRows, badTexts */
  drafts: unknown[][];
}

class Shapes {
  readonly list: string[][] = [];
  private readonly index = new Map<string, number>();
  private last = -1;

  /** `[shape, ...values]` of an object. */
  pack(o: Record<string, unknown>): unknown[] {
    let shape = this.last >= 0 ? this.list[this.last]! : null;
    let n = 0;
    if (shape) {
      for (const k in o) {
        if (shape[n] !== k) {
          shape = null;
          break;
        }
        n++;
      }
      if (shape && n !== shape.length) shape = null;
    }
    if (!shape) {
      const keys = Object.keys(o);
      const signature = keys.join("\u0001");
      let i = this.index.get(signature);
      if (i === undefined) {
        i = this.list.length;
        this.list.push(keys);
        this.index.set(signature, i);
      }
      this.last = i;
      shape = keys;
    }
    const out = new Array(shape.length + 1);
    out[0] = this.last;
    for (let i = 0; i < shape.length; i++) out[i + 1] = o[shape[i]!];
    return out;
  }
}

/**
 * Objects back from `Shapes.pack`. Each starts as a copy of an object with its shape's keys: an
 * object given thirty keys one by one falls into V8's dictionary mode, and every later copy and
 * lookup of it (the registry spreads each household and member) costs several times more.
 */
class Unpacker {
  private readonly templates: Record<string, unknown>[];

  constructor(private readonly shapes: readonly string[][]) {
    this.templates = shapes.map((keys) => {
      const t: Record<string, unknown> = {};
      for (const k of keys) t[k] = undefined;
      return t;
    });
  }

  unpack(packed: readonly unknown[]): Record<string, unknown> {
    const shape = packed[0] as number;
    const keys = this.shapes[shape]!;
    const o = { ...this.templates[shape]! };
    for (let i = 0; i < keys.length; i++) o[keys[i]!] = packed[i + 1];
    return o;
  }
}

export function packDrafts(drafts: readonly HouseholdDraft[]): PackedDrafts {
  const households = new Shapes();
  const members = new Shapes();
  return {
    drafts: drafts.map((d) => [
      d.number,
      d.rows,
      households.pack(d.household),
      d.members.map((m) => members.pack(m)),
      d.region.county,
      d.region.town,
      d.region.village,
      d.errors,
      d.sourceRows,
      d.badTexts,
    ]),
    householdShapes: households.list,
    memberShapes: members.list,
  };
}

export function unpackDrafts(packed: PackedDrafts): HouseholdDraft[] {
  const households = new Unpacker(packed.householdShapes);
  const members = new Unpacker(packed.memberShapes);
  return packed.drafts.map((p) => {
    const d: HouseholdDraft = {
      number: p[0] as string,
      rows: p[1] as number[],
      household: households.unpack(p[2] as unknown[]),
      members: (p[3] as unknown[][]).map((m) => members.unpack(m)),
      region: { county: p[4] as string, town: p[5] as string, village: p[6] as string },
      extraCells: [],
      errors: p[7] as number,
    };
    if (p[8] !== undefined) d.sourceRows = p[8] as Map<string, number>;
    if (p[9] !== undefined) d.badTexts = p[9] as Map<string, string>;
    return d;
  });
}
