/**
 * Department data feeds (部门数据比对): a department's file is validated row by row against its
 * definition in the policy, each row matched to a registry member by ID number, and the matched
 * rows stored as facts with their effective dates and source (file hash, name, row). One load is
 * one transaction: a file with any invalid row writes nothing, re-loading the same file changes
 * nothing, and a corrected file (same row keys, or the same reporting period) supersedes the
 * facts it corrects.
 */
import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Kysely } from "kysely";
import { chinaDate } from "../../core/dates.ts";
import { conflict, invalid, notAllowed, notFound } from "../../core/errors.ts";
import type { Engine } from "../../db/connect.ts";
import type { DB } from "../../db/schema.ts";
import { audit } from "../audit/index.ts";
import {
  type Actor,
  allowedFeedTypes,
  assertCan,
  assertFeedAllowed,
  feedAllowed,
  scopeRange,
} from "../auth/index.ts";
import type { FileFormat } from "../exchange/index.ts";
import type { FeedDef, PolicyService } from "../policy/index.ts";
import { bindFeedHeaders, type FeedProblem, type FeedRow } from "./feed.format.ts";
import { factStore, loadTransaction } from "./feeds.bulk.ts";
import { type Decision, decide, FACT_FIELDS, type MatchScope } from "./feeds.match.ts";
import { batchRow, openFeedFile, openFeedFileInWorker, ROW_FIELDS } from "./feeds.reader.ts";
import {
  type ComparisonReport,
  comparisonReport,
  writeReportXlsx,
  writeTemplateXlsx,
} from "./feeds.report.ts";
import { createFeedsRepository, NO_COUNTS } from "./feeds.repository.ts";
import { withdrawFacts } from "./feeds.withdraw.ts";

export interface FeedsDeps {
  db: Kysely<DB>;
  engine: Engine;
  now: () => Date;
  policies: PolicyService;
  /** Where uploads are kept while they load (default: the system temp folder). */
  workDir?: string;
  /**
   * Files of at least this many bytes are read in a worker thread (default 4 MB; 0 for every
   * file, Infinity for none).
   */
  workerMinBytes?: number;
}

/** What withdrawing a load did. */
export interface FeedWithdrawal {
  loadId: number;
  feedType: string;
  /** Facts of the load that ended. */
  ended: number;
  /** Facts the load had superseded, current again. */
  restored: number;
  /** Households whose facts changed (the caller re-evaluates them). */
  households: { id: number; villageCode: string }[];
}

export interface FeedLoadOptions {
  /** File name recorded as the facts' source (default: the path's base name). */
  fileName?: string;
  /** Check and match, report what would change, write nothing. */
  dryRun?: boolean;
  onProgress?: (progress: FeedProgress) => void;
}

export interface FeedProgress {
  phase: "reading" | "done";
  /** Share of the file read, 0–1. */
  fraction: number;
  rows: number;
}

export interface FactCounts {
  created: number;
  unchanged: number;
  superseded: number;
}

export interface FeedLoadReport {
  /** The stored load, or null when nothing was written. */
  loadId: number | null;
  feedType: string;
  file: string;
  fileHash: string;
  format: FileFormat;
  dryRun: boolean;
  committed: boolean;
  headerRow: number;
  rows: number;
  matched: number;
  unmatched: number;
  ambiguous: number;
  rejected: number;
  facts: FactCounts;
  errors: FeedProblem[];
}

/**
 * Files of at least this size are read and checked in a worker thread while the loading thread
 * matches and writes (about 40,000 rows of a medical CSV); smaller ones are not worth a thread.
 */
const WORKER_MIN_BYTES = 4 * 1024 * 1024;

class Rollback extends Error {}

async function fileHash(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }))
    hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export function createFeedsService(deps: FeedsDeps) {
  const { db, now, policies } = deps;

  /** The feed definitions in force for the actor's region. */
  function definitions(actor: Actor): { policyId: string; feeds: Record<string, FeedDef> } {
    const today = chinaDate(now());
    const policy = policies.forRegion(actor.regionCode, Number(today.slice(0, 4)));
    return { policyId: policy.id, feeds: policy.feeds };
  }

  function definition(actor: Actor, feedType: string) {
    const { policyId, feeds } = definitions(actor);
    const def = feeds[feedType];
    if (!def)
      throw invalid(
        `没有名为“${feedType}”的部门数据类型；可用的有：${Object.keys(feeds).join("、")}`,
        { code: "feed_type_unknown", field: "feedType" },
      );
    return { policyId, def };
  }

  const workDir = deps.workDir ?? join(tmpdir(), "fangpin-feeds");
  const repo = createFeedsRepository(db);

  /**
   * Whether a load concerns the actor: of a feed they work with (a department's officer sees
   * only their department's), made inside their region or above it (the county's).
   */
  const loadVisible = (actor: Actor, load: { region_code: string | null; feed_type: string }) =>
    feedAllowed(actor, load.feed_type) &&
    (actor.regionCode === null ||
      (load.region_code !== null &&
        (load.region_code.startsWith(actor.regionCode) ||
          actor.regionCode.startsWith(load.region_code))));

  const service = {
    /** The feed definitions in force that the actor works with. */
    definitions(actor: Actor) {
      assertCan(actor, "feed.read");
      return Object.fromEntries(
        Object.entries(definitions(actor).feeds).filter(([type]) => feedAllowed(actor, type)),
      );
    },

    /** Loads a file uploaded over HTTP (the request body), kept only while it loads. */
    async upload(
      actor: Actor,
      feedType: string,
      upload: { body: Readable; fileName: string; maxBytes?: number },
      options: Omit<FeedLoadOptions, "fileName"> = {},
    ): Promise<FeedLoadReport> {
      assertCan(actor, "feed.load");
      assertFeedAllowed(actor, feedType);
      definition(actor, feedType);
      await mkdir(workDir, { recursive: true });
      const path = join(workDir, `${randomUUID()}.upload`);
      const max = upload.maxBytes ?? 1024 * 1024 * 1024;
      let bytes = 0;
      try {
        await pipeline(
          upload.body,
          async function* (source: AsyncIterable<Buffer>) {
            for await (const chunk of source) {
              bytes += chunk.length;
              if (bytes > max)
                throw invalid(`文件超过 ${Math.round(max / 1024 / 1024)} MB，请分批上传`, {
                  code: "file_too_large",
                });
              yield chunk;
            }
          },
          createWriteStream(path),
        );
        if (bytes === 0) throw invalid("上传的文件是空的", { code: "file_empty" });
        return await service.load(actor, feedType, path, { ...options, fileName: upload.fileName });
      } finally {
        await rm(path, { force: true });
      }
    },

    /**
     * Recent loads that concern the actor's region, newest first: the query selects what
     * `loadVisible` would keep (region below or above, feed types), so the limit counts only them.
     */
    async loads(actor: Actor, limit = 50) {
      assertCan(actor, "feed.read");
      return repo.loads({
        regionCode: actor.regionCode,
        feedTypes: allowedFeedTypes(actor),
        limit,
      });
    },

    /** One load, if it concerns the actor's region (else not found, as if it did not exist). */
    async loadRecord(actor: Actor, id: number) {
      assertCan(actor, "feed.read");
      const row = await repo.load(id);
      if (!row || !loadVisible(actor, row))
        throw notFound(`数据导入批次 ${id} 不存在`, { code: "feed_load_not_found" });
      return row;
    },

    /**
     * Withdraws a committed load (撤销导入, feeds.withdraw.ts): by a user who may load its feed
     * type and whose region contains the load's, with a reason; audited.
     */
    async withdraw(actor: Actor, id: number, reason: string): Promise<FeedWithdrawal> {
      assertCan(actor, "feed.load");
      if (actor.token)
        throw notAllowed("API 令牌只能上传数据，撤销请由工作人员登录后操作", {
          code: "token_not_allowed",
        });
      const load = await service.loadRecord(actor, id);
      assertFeedAllowed(actor, load.feed_type);
      if (
        actor.regionCode !== null &&
        (load.region_code === null || !load.region_code.startsWith(actor.regionCode))
      )
        throw notAllowed("这个批次是上级导入的，只能由上级撤销", {
          code: "feed_load_out_of_scope",
        });
      const why = reason.trim();
      if (why === "") throw invalid("请填写撤销原因", { code: "reason_required", field: "reason" });
      if (why.length > 200)
        throw invalid("撤销原因不能超过 200 字", { code: "reason_too_long", field: "reason" });
      const at = now().toISOString();
      return db.transaction().execute(async (trx) => {
        // Read again inside the transaction: two withdrawals of one load must not both pass.
        const current = await trx
          .selectFrom("feed_loads")
          .select(["withdrawn_at", "withdrawn_by"])
          .where("id", "=", id)
          .executeTakeFirstOrThrow();
        if (current.withdrawn_at !== null)
          throw conflict(`导入批次 #${id} 已由 ${current.withdrawn_by} 撤销`, {
            code: "feed_load_withdrawn",
          });
        const done = await withdrawFacts(trx, id, at);
        await trx
          .updateTable("feed_loads")
          .set({ withdrawn_at: at, withdrawn_by: actor.username, withdraw_reason: why })
          .where("id", "=", id)
          .execute();
        await audit(trx, actor, at, "feed.withdraw", {
          targetType: "feed_load",
          targetId: String(id),
          ...(load.region_code ? { regionCode: load.region_code } : {}),
          detail: {
            feedType: load.feed_type,
            file: load.file_name,
            reason: why,
            ended: done.ended,
            restored: done.restored,
          },
        });
        return { loadId: id, feedType: load.feed_type, ...done };
      });
    },

    /** The comparison report of a load within the actor's region. */
    async report(actor: Actor, id: number): Promise<ComparisonReport> {
      const load = await service.loadRecord(actor, id);
      const today = chinaDate(now());
      const policy = policies.forRegion(actor.regionCode, Number(today.slice(0, 4)));
      return comparisonReport(db, actor, { ...load, id: Number(load.id) }, policy);
    },

    /** The report as an Excel workbook (file name and writer). */
    /** An empty workbook of the feed type's columns, with a sheet explaining each (模板). */
    template(actor: Actor, feedType: string) {
      assertCan(actor, "feed.read");
      const { def } = definition(actor, feedType);
      return {
        fileName: `${def.name}模板.xlsx`,
        write: (out: import("node:stream").Writable) => writeTemplateXlsx(def, out),
      };
    },

    async reportXlsx(actor: Actor, id: number) {
      const report = await service.report(actor, id);
      return {
        fileName: `${report.feedName}比对报告-${id}.xlsx`,
        write: (out: import("node:stream").Writable) => writeReportXlsx(report, out),
      };
    },

    /** A household's facts (current and superseded), sensitive values masked. */
    async householdFacts(actor: Actor, householdNumber: string) {
      assertCan(actor, "household.read");
      const range = actor.regionCode ? scopeRange(actor.regionCode) : null;
      let q = db
        .selectFrom("households")
        .select(["id", "village_code"])
        .where("household_number", "=", householdNumber);
      if (range) q = q.where("village_code", ">=", range[0]).where("village_code", "<", range[1]);
      const household = await q.executeTakeFirst();
      if (!household)
        throw notFound(`户编号 ${householdNumber} 不存在`, { code: "household_not_found" });
      const feeds = definitions(actor).feeds;
      const rows = await repo.factsOfHousehold(household.id);
      return rows.map((r) => {
        const def = feeds[r.feed_type];
        const values = JSON.parse(r.vals) as Record<string, string | number>;
        const shown: { key: string; label: string; value: string | number | null }[] = [];
        for (const c of def?.columns ?? []) {
          if (c.key === def?.idColumn || values[c.key] === undefined) continue;
          const v = values[c.key]!;
          shown.push({
            key: c.key,
            label: c.header,
            value: c.sensitive
              ? "***"
              : c.kind === "money"
                ? Number(v) / 100
                : c.kind === "flag"
                  ? v === 1
                    ? "是"
                    : "否"
                  : v,
          });
        }
        return {
          id: Number(r.id),
          feedType: r.feed_type,
          feedName: def?.name ?? r.feed_type,
          memberName: r.member_name,
          effectiveFrom: r.effective_from,
          effectiveTo: r.effective_to,
          period: r.period,
          values: shown,
          source: {
            file: r.file_name,
            hash: r.file_hash,
            row: r.row_number,
            loadId: Number(r.load_id),
          },
          current: r.superseded_at === null,
          supersededAt: r.superseded_at,
          withdrawn: r.withdrawn_at !== null,
        };
      });
    },

    /** Loads one department file; see the module comment for what is written when. */
    async load(
      actor: Actor,
      feedType: string,
      path: string,
      options: FeedLoadOptions = {},
    ): Promise<FeedLoadReport> {
      assertCan(actor, "feed.load");
      assertFeedAllowed(actor, feedType);
      const { policyId, def } = definition(actor, feedType);
      const at = now().toISOString();
      const today = chinaDate(now());
      const file = options.fileName ?? basename(path);
      const range = actor.regionCode ? scopeRange(actor.regionCode) : null;
      const request = { path, feedType, def, today };
      const size = (await stat(path).catch(() => null))?.size ?? 0;
      // The worker starts (a few hundred ms) while this thread hashes the file.
      const inWorker =
        size >= (deps.workerMinBytes ?? WORKER_MIN_BYTES) ? openFeedFileInWorker(request) : null;
      const hash = await fileHash(path).catch((e: unknown) => {
        void inWorker?.then(
          (f) => f?.close(),
          () => {},
        );
        throw e;
      });
      let rowsRead = 0;
      let fraction = 0;
      /** The file's rows, estimated from the share of its bytes read so far. */
      const rowsExpected = () => (fraction > 0 ? Math.round(rowsRead / fraction) : rowsRead);
      const table = (await inWorker) ?? (await openFeedFile(request));
      const report: FeedLoadReport = {
        loadId: null,
        feedType,
        file,
        fileHash: hash,
        format: table.format,
        dryRun: options.dryRun === true,
        committed: false,
        headerRow: table.headerRow,
        rows: 0,
        matched: 0,
        unmatched: 0,
        ambiguous: 0,
        rejected: 0,
        facts: { created: 0, unchanged: 0, superseded: 0 },
        errors: [],
      };
      try {
        const { columns } = bindFeedHeaders(def, table.headers);
        const previous = await db
          .selectFrom("feed_loads")
          .select("id")
          .where("feed_type", "=", feedType)
          .where("file_hash", "=", hash)
          .executeTakeFirst();
        await loadTransaction(
          db,
          deps.engine,
          async (trx) => {
            const repo = createFeedsRepository(trx);
            const loadId = await repo.insertLoad({
              feed_type: feedType,
              file_hash: hash,
              file_name: file,
              format: table.format,
              policy_id: policyId,
              region_code: actor.regionCode,
              actor_id: actor.id,
              actor_name: actor.username,
              loaded_at: at,
              ...NO_COUNTS,
            });
            const store = await factStore(
              db,
              trx,
              deps.engine,
              {
                feedType,
                loadId,
                fileHash: hash,
                fileName: file,
                at,
              },
              range,
            );
            /** Current facts this load leaves as they are (for feeds with a period). */
            const unchanged = new Set<number>();
            const periods = new Set<string>();

            const scope: MatchScope = {
              actor,
              range,
              def,
              keyHeader: columns.find((c) => c.column.key === def.key[0])!.header,
            };
            /** `rows` of the batch `d` was decided from, of `left` rows still to write (these included). */
            const apply = async (d: Decision, rows: number, left: number) => {
              report.matched += d.matched;
              report.unmatched += d.unmatched;
              report.ambiguous += d.ambiguous;
              report.rejected += d.rejected;
              report.facts.unchanged += d.unchanged;
              report.facts.superseded += d.superseded;
              report.facts.created += d.facts.length / FACT_FIELDS;
              for (const e of d.errors) report.errors.push(e);
              for (const id of d.kept) unchanged.add(id);
              await store.insertRows(d.rows);
              const created = d.facts.length / FACT_FIELDS;
              // The facts ahead, estimated: the file's rows left at this batch's share of new facts.
              await store.writeFacts(d.facts, Math.round((created / rows) * left));
            };

            for await (const batch of table.batches) {
              rowsRead += batch.read;
              report.rows += batch.read;
              report.rejected += batch.rejected;
              for (const p of batch.problems) report.errors.push(p);
              if (batch.fraction > fraction) {
                fraction = batch.fraction;
                options.onProgress?.({ phase: "reading", fraction, rows: rowsRead });
              }
              // Once a row is refused nothing will be written: the rest is only checked.
              if (report.rejected > 0) continue;
              for (const p of batch.periods) periods.add(p);
              const rows: FeedRow[] = new Array(batch.rows.length / ROW_FIELDS);
              for (let i = 0; i < rows.length; i++) rows[i] = batchRow(batch.rows, i);
              if (rows.length > 0)
                await apply(
                  await decide(rows, store, scope, rowsExpected()),
                  rows.length,
                  Math.max(rows.length, rowsExpected() - rowsRead + batch.read),
                );
            }
            if (report.rejected > 0) throw new Rollback();
            await store.finish();
            if (periods.size > 0) {
              // The period's current facts this load neither kept nor created are no longer listed.
              const stale = (await repo.currentOfPeriods(feedType, [...periods], range))
                .filter((f) => f.load_id !== loadId && !unchanged.has(f.id))
                .map((f) => f.id);
              await store.endFacts(stale);
              report.facts.superseded += stale.length;
            }
            const nothingNew = report.facts.created === 0 && report.facts.superseded === 0;
            if (options.dryRun || (nothingNew && previous)) throw new Rollback();
            await trx
              .updateTable("feed_loads")
              .set({
                rows: report.rows,
                matched: report.matched,
                unmatched: report.unmatched,
                ambiguous: report.ambiguous,
                ...report.facts,
              })
              .where("id", "=", loadId)
              .execute();
            await audit(trx, actor, at, "feed.load", {
              targetType: "feed_load",
              targetId: String(loadId),
              ...(actor.regionCode ? { regionCode: actor.regionCode } : {}),
              detail: { feedType, file, hash, rows: report.rows, facts: report.facts },
            });
            report.loadId = loadId;
            report.committed = true;
          },
          () => report.facts.created + report.facts.superseded,
        ).catch((e: unknown) => {
          if (!(e instanceof Rollback)) throw e;
        });
      } finally {
        table.close();
      }
      if (report.rejected > 0) report.facts = { created: 0, unchanged: 0, superseded: 0 };
      if (!report.committed && !report.dryRun && report.rejected === 0)
        // The same file again: nothing changed, but the attempt is on record.
        await audit(db, actor, at, "feed.load", {
          targetType: "feed_load",
          ...(actor.regionCode ? { regionCode: actor.regionCode } : {}),
          detail: { feedType, file, hash, unchanged: true },
        });
      report.errors.sort((a, b) => a.row - b.row);
      options.onProgress?.({ phase: "done", fraction: 1, rows: report.rows });
      return report;
    },
  };
  return service;
}

export type FeedsService = ReturnType<typeof createFeedsService>;
