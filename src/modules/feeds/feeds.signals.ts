/**
 * After a load commits, the households whose facts it created or superseded are re-evaluated,
 * so that the screening signals of department data appear at once rather than at the next
 * sweep. This wraps the service's entry points (`load`, `upload`) and runs after their
 * transaction: the load itself is not held up or made larger. A handful of households is
 * re-evaluated in SQL a chunk at a time (each chunk its own transaction, as a registry edit
 * does); a load touching many households sweeps their counties instead (the JS sweep over the
 * columnar snapshot, which reloads facts after a load), which is cheaper than SQL per household.
 */
import type { Kysely } from "kysely";
import type { DB } from "../../db/schema.ts";
import type { Actor } from "../auth/index.ts";
import type { FeedLoadOptions, FeedLoadReport, FeedsService } from "./feeds.service.ts";

/** Households re-evaluated per transaction. */
const CHUNK = 500;
/** Above this many households, their counties are swept instead. */
export const SWEEP_ABOVE = 2000;

/** What the follow-up of a committed load did for monitoring. */
export interface SignalRefresh {
  /** Households whose facts the load created or superseded. */
  households: number;
  /** households: re-evaluated in SQL; sweep: their counties were swept. */
  method: "households" | "sweep";
  /** False when the re-evaluation failed: the next sweep brings the signals up to date. */
  done: boolean;
}

export type RefreshedReport = FeedLoadReport & { signals?: SignalRefresh };

export interface SignalRefreshProgress {
  phase: "signals";
  /** Households re-evaluated so far (for a sweep: 0, then all). */
  done: number;
  total: number;
}

export interface SignalRefreshDeps {
  db: Kysely<DB>;
  /** Re-evaluates households inside a transaction (monitoring's `reevaluate`). */
  reevaluate: (
    trx: Kysely<DB>,
    households: readonly { id: number; villageCode: string }[],
  ) => Promise<void>;
  /** Sweeps one county, on the system's behalf. */
  sweep: (county: string) => Promise<unknown>;
  /** Told of a failed follow-up (the load stands; the next sweep catches up). */
  onError?: (e: unknown) => void;
  /** Households per transaction (default CHUNK) and the sweep threshold (default SWEEP_ABOVE). */
  chunk?: number;
  sweepAbove?: number;
}

type Options = FeedLoadOptions & { onSignals?: (p: SignalRefreshProgress) => void };

/** The households whose facts a load created or superseded. */
export async function touchedBy(db: Kysely<DB>, loadId: number) {
  const rows = await db
    .selectFrom("facts")
    .select(["household_id", "village_code"])
    .distinct()
    .where((eb) => eb.or([eb("load_id", "=", loadId), eb("superseded_load", "=", loadId)]))
    .execute();
  return rows.map((r) => ({ id: Number(r.household_id), villageCode: r.village_code }));
}

export function withSignalRefresh(feeds: FeedsService, deps: SignalRefreshDeps) {
  /** Re-evaluates these households (or sweeps their counties); false when that failed. */
  async function reevaluate(
    households: readonly { id: number; villageCode: string }[],
    onSignals?: (p: SignalRefreshProgress) => void,
  ): Promise<SignalRefresh> {
    const total = households.length;
    const method = total > (deps.sweepAbove ?? SWEEP_ABOVE) ? "sweep" : "households";
    const chunkSize = deps.chunk ?? CHUNK;
    if (total === 0) return { households: 0, method, done: true };
    try {
      onSignals?.({ phase: "signals", done: 0, total });
      if (method === "sweep") {
        for (const county of new Set(households.map((h) => h.villageCode.slice(0, 6))))
          await deps.sweep(county);
      } else {
        for (let from = 0; from < total; from += chunkSize) {
          const chunk = households.slice(from, from + chunkSize);
          await deps.db.transaction().execute((trx) => deps.reevaluate(trx, chunk));
          onSignals?.({ phase: "signals", done: from + chunk.length, total });
        }
      }
      onSignals?.({ phase: "signals", done: total, total });
      return { households: total, method, done: true };
    } catch (e) {
      deps.onError?.(e);
      return { households: total, method, done: false };
    }
  }

  async function refresh(
    report: FeedLoadReport,
    onSignals?: (p: SignalRefreshProgress) => void,
  ): Promise<RefreshedReport> {
    if (!report.committed || report.loadId === null) return report;
    const signals = await reevaluate(await touchedBy(deps.db, report.loadId), onSignals);
    return { ...report, signals };
  }

  return {
    ...feeds,
    async load(actor: Actor, feedType: string, path: string, options: Options = {}) {
      return refresh(await feeds.load(actor, feedType, path, options), options.onSignals);
    },
    async upload(
      actor: Actor,
      feedType: string,
      upload: Parameters<FeedsService["upload"]>[2],
      options: Omit<Options, "fileName"> = {},
    ) {
      return refresh(await feeds.upload(actor, feedType, upload, options), options.onSignals);
    },
    /** A withdrawn load's households are re-evaluated as a committed load's are. */
    async withdraw(actor: Actor, id: number, reason: string) {
      const done = await feeds.withdraw(actor, id, reason);
      return { ...done, signals: await reevaluate(done.households) };
    },
  };
}
