/**
 * Exchange use cases: importing the national monitoring system's member files (read → validate
 * → registry.merge → report with Excel rows and columns), exporting a region in the same format,
 * the annotated workbook that sends the faults back to the towns, and import jobs for the web.
 */
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Kysely } from "kysely";
import { chinaDate } from "../../core/dates.ts";
import { AppError, invalid, notFound } from "../../core/errors.ts";
import { type FieldDef, HOUSEHOLD_FIELDS, MEMBER_FIELDS } from "../../core/registry-fields.ts";
import type { Engine } from "../../db/connect.ts";
import type { DB } from "../../db/schema.ts";
import { audit } from "../audit/index.ts";
import { type Actor, assertCan, inScope, scopeRange } from "../auth/index.ts";
import { ancestorCodes } from "../regions/index.ts";
import {
  createRegistryService,
  type MergeOutcome,
  type RegistryService,
} from "../registry/index.ts";
import {
  createExchangeRepository,
  type ExchangeRepository,
  fieldValue,
  type Keyset,
} from "./exchange.repository.ts";
import { exportColumns, nationalRow, nationalWriter } from "./national.format.ts";
import { columnsMissing, openChecked, unreadable } from "./national.pipeline.ts";
import {
  type Cell,
  cellText,
  type FileFormat,
  type OpenedSheet,
  openSheet,
} from "./national.reader.ts";
import { CountyRegions, countyKeys } from "./national.regions.ts";
import {
  type HouseholdDraft,
  MissingColumns,
  NationalCollector,
  NotGrouped,
  type RegionResolution,
  type RegionText,
  type RowProblem,
} from "./national.validate.ts";
import { type CellMark, type OutValue, xlsxWriter } from "./national.writer.ts";

export interface ExchangeDeps {
  db: Kysely<DB>;
  engine: Engine;
  now: () => Date;
  /** The registry imports merge into (a test may wrap it). */
  registry?: RegistryService;
  /** Where uploaded files of import jobs are kept (default: the system temp folder). */
  workDir?: string;
  /**
   * Texts of the assistance columns (产业帮扶 …) by household id and normalised header, from the
   * assistance module's measures; they replace the stored extra attributes on export.
   */
  assistanceColumns?: (ids: number[]) => Promise<Map<number, Record<string, string>>>;
  /** Households checked and merged per step of an import of a grouped file (default 2000). */
  importBatch?: number;
  /**
   * Whether a grouped file is read in a worker thread (national.pipeline.ts): `auto` (default,
   * or FANGPIN_IMPORT_WORKER) for files of a few megabytes or more unless the machine is overloaded.
   */
  importWorker?: "auto" | "always" | "never";
}

export interface Counts {
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

export type Atomicity = "household" | "all";

export interface ImportOptions {
  dryRun?: boolean;
  /** `household` (default): a household with an error is rejected alone; `all`: the whole file. */
  atomic?: Atomicity;
  /** 6-digit county the region names are looked up in (default: the user's, or the 县 column). */
  county?: string;
  /** File name recorded on the history events (default: the path's base name). */
  fileName?: string;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
  phase: "reading" | "checking" | "merging" | "done";
  /** Share of the whole import done, 0–1. */
  fraction: number;
  /** Data rows read so far. */
  rows: number;
}

export interface ImportReport {
  file: string;
  format: FileFormat;
  dryRun: boolean;
  atomic: Atomicity;
  /** True when the changes were written. */
  committed: boolean;
  headerRow: number;
  /** Data rows read (blank rows not counted). */
  rows: number;
  households: Counts;
  members: Counts;
  /** Every problem, by row; warnings (`member_missing`) do not reject a household. */
  errors: ReportProblem[];
  /** Headers of columns kept as extra attributes. */
  extraColumns: string[];
  seconds: number;
}

/** A problem with the town its household's rows name (for filtering by town). */
export type ReportProblem = RowProblem & { town: string };

export interface ExportOptions {
  region: string;
  format: FileFormat;
}

export interface ExportResult {
  rows: number;
  households: number;
  fileName: string;
}

/** One import that wrote to the registry, as the history lists it (导入记录). */
export interface ImportHistoryItem {
  /** The audit entry's id. */
  id: number;
  at: string;
  /** Who imported: the user name, and the name shown for them (null if they are gone). */
  actor: string;
  actorName: string | null;
  /** The importer's region (null for a nationwide user). */
  region: string | null;
  file: string | null;
  format: FileFormat | null;
  households: Counts;
  members: Counts;
  /** Problems the checks found in the file (errors and warnings). */
  problems: number | null;
}

/**
 * What the `household.import` audit entry keeps for the history besides the merge's counts:
 * the households (and their members) the checks refused before the merge, and the problems.
 */
function historyDetail(
  format: FileFormat,
  refused: number,
  refusedMembers: number,
  collector: NationalCollector,
): Record<string, unknown> {
  return {
    format,
    refused: { households: refused, members: refusedMembers },
    problems: collector.problems.length,
  };
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** An audit entry of `household.import` as a history item (older entries lack some fields). */
function historyItem(r: {
  id: number;
  at: string;
  actor_name: string;
  display_name: string | null;
  region_code: string | null;
  target_id: string | null;
  detail: string | null;
}): ImportHistoryItem {
  let d: Record<string, unknown> = {};
  try {
    const parsed: unknown = r.detail ? JSON.parse(r.detail) : {};
    if (parsed && typeof parsed === "object") d = parsed as Record<string, unknown>;
  } catch {
    // A damaged detail still lists the import, with zeros.
  }
  const m = (d.members ?? {}) as Record<string, unknown>;
  const refused = (d.refused ?? {}) as Record<string, unknown>;
  return {
    id: Number(r.id),
    at: r.at,
    actor: r.actor_name,
    actorName: r.display_name,
    region: r.region_code,
    file: r.target_id,
    format: d.format === "xlsx" || d.format === "csv" ? d.format : null,
    households: {
      created: num(d.created),
      updated: num(d.updated),
      unchanged: num(d.unchanged),
      rejected: num(d.rejected) + num(refused.households),
    },
    members: {
      created: num(m.created),
      updated: num(m.updated),
      unchanged: num(m.unchanged),
      rejected: num(m.rejected) + num(refused.members),
    },
    problems: typeof d.problems === "number" ? d.problems : null,
  };
}

/** Codes the registry finds that a file alone cannot show (they need the database). */
const DATABASE_CODES = new Set([
  "id_number_in_other_household",
  "household_out_of_scope",
  "village_not_found",
  "village_out_of_scope",
]);

const EXPORT_PAGE = 1000;
const TITLE = "监测对象信息";

export function createExchangeService(deps: ExchangeDeps) {
  const { db, now } = deps;
  const registry = deps.registry ?? createRegistryService(deps);
  const repo = createExchangeRepository(db);
  const today = () => chinaDate(now());

  /** Region names of a file resolved within the county (or the user's scope). */
  function regionResolver(actor: Actor, county: string | null, repo: ExchangeRepository) {
    const counties = new Map<string, Promise<CountyRegions | null>>();
    const load = (code: string) => {
      let p = counties.get(code);
      if (!p) {
        p = (async () => {
          const row = await repo.region(code);
          if (row?.level !== 3) return null;
          return new CountyRegions(row, await repo.below(code));
        })();
        counties.set(code, p);
      }
      return p;
    };
    const byName = new Map<string, Promise<string[]>>();
    const countiesNamed = (text: string) => {
      let p = byName.get(text);
      if (!p) {
        p = (async () => {
          const keys = countyKeys(text);
          const scope = actor.regionCode ? scopeRange(actor.regionCode.slice(0, 6)) : null;
          const rows = await repo.countiesLike(keys.at(-1)!, scope);
          return rows
            .filter((r) => countyKeys(r.name).some((k) => keys.includes(k)))
            .map((r) => r.code);
        })();
        byName.set(text, p);
      }
      return p;
    };
    const fail = (
      code: string,
      message: string,
      level: "county" | "town" | "village",
    ): RegionResolution => ({ problem: { code, message, level } });

    return async (texts: readonly RegionText[]): Promise<RegionResolution[]> => {
      const out: RegionResolution[] = [];
      for (const t of texts) {
        let code = county;
        if (/^\d{12}$/.test(t.village) && !code) code = t.village.slice(0, 6);
        if (!code && t.county) {
          const found = await countiesNamed(t.county);
          if (found.length !== 1) {
            const message =
              found.length > 1
                ? `有多个县名为“${t.county}”，请在导入时指定县（区划代码）`
                : (await repo.hasCounties())
                  ? `县“${t.county}”不存在或不在您的管辖范围内，请核对县名`
                  : "系统中还没有行政区划：请先加载区划（fangpin regions load --province 省代码）";
            out.push(fail("county_not_found", message, "county"));
            continue;
          }
          code = found[0]!;
        }
        if (!code) {
          out.push(
            fail(
              "county_not_found",
              "无法确定所属县：请在导入时指定县，或在文件中加入“县”列，或在“村”列填写 12 位区划代码",
              "village",
            ),
          );
          continue;
        }
        const regions = await load(code);
        if (!regions) {
          out.push(fail("village_not_found", `县级区划 ${code} 不存在，请先加载区划`, "village"));
          continue;
        }
        if (t.county && !regions.isNamed(t.county)) {
          out.push(
            fail(
              "county_mismatch",
              `“${t.county}”与导入的县（${regions.name}）不一致，请核对该户是否属于${regions.name}`,
              "county",
            ),
          );
          continue;
        }
        const r = regions.resolve(t.town, t.village);
        if ("problem" in r) {
          out.push(fail("village_not_found", r.problem, r.level));
          continue;
        }
        if (!inScope(actor, r.code)) {
          out.push(
            fail(
              "village_out_of_scope",
              `行政村“${t.village}”（${r.code}）不在您的管辖范围内，不能导入`,
              "village",
            ),
          );
          continue;
        }
        out.push({ code: r.code });
      }
      return out;
    };
  }

  /** The county an import's names are resolved in, when one can be told before reading. */
  async function contextCounty(actor: Actor, option: string | undefined): Promise<string | null> {
    if (option !== undefined) {
      if (!/^\d{6}$/.test(option))
        throw invalid(`县级区划代码应为 6 位数字：${option}`, {
          field: "county",
          code: "county_invalid",
        });
      const row = await repo.region(option);
      const visible = inScope(actor, option) || (actor.regionCode ?? "").startsWith(option);
      if (row?.level !== 3 || !visible)
        throw invalid(`县级区划 ${option} 不存在或不在您的管辖范围内`, {
          field: "county",
          code: "county_not_found",
        });
      return option;
    }
    return actor.regionCode && actor.regionCode.length >= 6 ? actor.regionCode.slice(0, 6) : null;
  }

  async function importNational(
    actor: Actor,
    path: string,
    options: ImportOptions = {},
  ): Promise<ImportReport> {
    assertCan(actor, "household.create");
    assertCan(actor, "household.update");
    const started = performance.now();
    const county = await contextCounty(actor, options.county);
    try {
      return await importGrouped(actor, path, options, county, started);
    } catch (e) {
      if (!(e instanceof NotGrouped)) throw e;
      // Not grouped by household (or an ID number of a household already merged turns up
      // again): everything was rolled back; read the whole file first instead.
      return importWhole(actor, path, options, county, started);
    }
  }

  /** The file opened and a collector for its columns (`column_missing` when it cannot be). */
  async function openCollector(path: string, bytes: (fraction: number) => void) {
    const sheet = await openSheet(path, {
      onBytes: (read, total) => bytes(total > 0 ? read / total : 1),
    });
    try {
      return { sheet, collector: new NationalCollector(sheet.columns, { today: today() }) };
    } catch (e) {
      sheet.close();
      throw e instanceof MissingColumns ? columnsMissing(e) : e;
    }
  }

  const importBatch = deps.importBatch ?? 2000;

  /**
   * An import of a file grouped by household (as the national system exports): households are
   * checked and merged batch by batch as the file is read (in a worker thread when it is large,
   * national.pipeline.ts), in one transaction, so memory holds a few batches, not the file.
   * Throws `NotGrouped` (and rolls back) when the file is not grouped.
   */
  async function importGrouped(
    actor: Actor,
    path: string,
    options: ImportOptions,
    county: string | null,
    started: number,
  ): Promise<ImportReport> {
    const atomic = options.atomic ?? "household";
    const dryRun = options.dryRun ?? false;
    const file = options.fileName ?? basename(path);
    const meta = { source: "import", sourceRef: file } as const;
    const progress = (phase: ImportProgress["phase"], fraction: number, rows: number) =>
      options.onProgress?.({ phase, fraction: Math.min(1, fraction), rows });
    const sheet = await openChecked(path, {
      today: today(),
      batch: importBatch,
      worker: deps.importWorker,
      onProgress: (rows, fraction) => progress("reading", fraction * 0.95, rows),
    });
    const { collector } = sheet;
    const fileErrors = () => collector.problems.some((p) => p.severity === "error");
    const households: Counts = { created: 0, updated: 0, unchanged: 0, rejected: 0 };
    const members: Counts = { created: 0, updated: 0, unchanged: 0, rejected: 0 };
    let total = 0;
    let totalMembers = 0;
    try {
      const merged = await db.transaction().execute(async (trx) => {
        const resolve = regionResolver(actor, county, createExchangeRepository(trx));
        // The collector has run the household checks on every household of the file.
        const merging = registry.mergeSession(trx, actor, meta, { dryRun, atomic, checked: true });
        for await (const batch of sheet.batches()) {
          if (batch.last) progress("merging", 0.95, collector.rows);
          const drafts = batch.drafts;
          if (drafts.length === 0) continue;
          await collector.resolveBatch(drafts, resolve);
          const accepted = drafts.filter((d) => d.errors === 0);
          const refused = drafts.filter((d) => d.errors > 0);
          if (atomic === "all" && fileErrors()) merging.reject();
          const outcomes = await merging.add(accepted.map(NationalCollector.toInput));
          addOutcomes(collector, accepted, outcomes);
          if (refused.length > 0) {
            const dry = await merging.add(refused.map(NationalCollector.toInput), {
              dryRun: true,
            });
            addDatabaseProblems(collector, refused, dry);
          }
          households.rejected += refused.length;
          for (const d of refused) members.rejected += d.members.length;
          total += drafts.length;
          for (const d of drafts) totalMembers += d.members.length;
          collector.release(drafts);
        }
        if (atomic === "all" && fileErrors()) merging.reject();
        return merging.finish(
          historyDetail(sheet.format, households.rejected, members.rejected, collector),
        );
      });
      for (const k of ["created", "updated", "unchanged", "rejected"] as const) {
        households[k] += merged.households[k];
        members[k] += merged.members[k];
      }
      const allRejected = atomic === "all" && (fileErrors() || households.rejected > 0);
      if (allRejected) {
        households.created = households.updated = households.unchanged = 0;
        households.rejected = total;
        members.created = members.updated = members.unchanged = 0;
        members.rejected = totalMembers;
      }
      progress("done", 1, collector.rows);
      return report(file, sheet, collector, {
        dryRun,
        atomic,
        committed: merged.committed && !allRejected && !dryRun,
        households,
        members,
        started,
      });
    } finally {
      sheet.close();
    }
  }

  /** The import holding the whole file's households until the merge (any row order). */
  async function importWhole(
    actor: Actor,
    path: string,
    options: ImportOptions,
    county: string | null,
    started: number,
  ): Promise<ImportReport> {
    const atomic = options.atomic ?? "household";
    const dryRun = options.dryRun ?? false;
    const file = options.fileName ?? basename(path);
    const progress = (phase: ImportProgress["phase"], fraction: number, rows: number) =>
      options.onProgress?.({ phase, fraction: Math.min(1, fraction), rows });

    let bytesFraction = 0;
    const { sheet, collector } = await openCollector(path, (f) => {
      bytesFraction = f;
    });
    try {
      for await (const chunk of sheet.chunks)
        for (const row of chunk) {
          collector.add(row);
          if (collector.rows % 2000 === 0) progress("reading", bytesFraction * 0.7, collector.rows);
        }
    } catch (e) {
      sheet.close();
      throw unreadable(e);
    }
    progress("checking", 0.7, collector.rows);
    const drafts = await collector.finish(regionResolver(actor, county, repo));
    const accepted = drafts.filter((d) => d.errors === 0);
    const refused = drafts.filter((d) => d.errors > 0);
    const fileErrors = () => collector.problems.some((p) => p.severity === "error");
    const meta = { source: "import", sourceRef: file } as const;

    progress("merging", 0.75, collector.rows);
    // The refused households' database problems first, so that the history counts them all.
    if (refused.length > 0) {
      const dry = await registry.merge(actor, refused.map(NationalCollector.toInput), meta, {
        dryRun: true,
      });
      addDatabaseProblems(collector, refused, dry.outcomes);
    }
    const refusedMembers = refused.reduce((n, d) => n + d.members.length, 0);
    const merged = await registry.merge(actor, accepted.map(NationalCollector.toInput), meta, {
      dryRun: dryRun || (atomic === "all" && fileErrors()),
      atomic,
      onProgress: (done, total) =>
        progress("merging", 0.75 + (total > 0 ? (0.25 * done) / total : 0), collector.rows),
      auditDetail: historyDetail(sheet.format, refused.length, refusedMembers, collector),
    });
    addOutcomes(collector, accepted, merged.outcomes);

    const households = { ...merged.households };
    const members = { ...merged.members };
    households.rejected += refused.length;
    members.rejected += refusedMembers;
    const allRejected = atomic === "all" && (fileErrors() || merged.households.rejected > 0);
    if (allRejected) {
      households.created = households.updated = households.unchanged = 0;
      households.rejected = drafts.length;
      members.created = members.updated = members.unchanged = 0;
      members.rejected = drafts.reduce((n, d) => n + d.members.length, 0);
    }
    progress("done", 1, collector.rows);
    return report(file, sheet, collector, {
      dryRun,
      atomic,
      committed: merged.committed && !allRejected && !dryRun,
      households,
      members,
      started,
    });
  }

  /** The merge's problems and missing members, at the households' rows. */
  function addOutcomes(
    collector: NationalCollector,
    drafts: readonly HouseholdDraft[],
    outcomes: readonly MergeOutcome[],
  ) {
    for (const o of outcomes) {
      const d = drafts[o.index]!;
      for (const p of o.problems) collector.addHouseholdProblem(d, p);
      for (const missing of o.missingMembers) {
        collector.addHouseholdProblem(
          d,
          {
            code: "member_missing",
            field: "householdNumber",
            message: `系统中该户还有成员${missing.name}（证件号码 ${missing.idNumber}），本文件中没有。该成员不会被删除；如已去世、迁出，请在系统中办理减员`,
          },
          "warning",
        );
      }
    }
  }

  /**
   * Households refused for their own faults are checked against the database too (in a dry
   * run), so one report shows an ID number that belongs to another household as well.
   */
  function addDatabaseProblems(
    collector: NationalCollector,
    refused: readonly HouseholdDraft[],
    outcomes: readonly MergeOutcome[],
  ) {
    for (const o of outcomes) {
      for (const p of o.problems)
        if (DATABASE_CODES.has(p.code)) collector.addHouseholdProblem(refused[o.index]!, p);
    }
  }

  function report(
    file: string,
    sheet: Pick<OpenedSheet, "format" | "headerRow" | "headers">,
    collector: NationalCollector,
    r: {
      dryRun: boolean;
      atomic: Atomicity;
      committed: boolean;
      households: Counts;
      members: Counts;
      started: number;
    },
  ): ImportReport {
    return {
      file,
      format: sheet.format,
      dryRun: r.dryRun,
      atomic: r.atomic,
      committed: r.committed,
      headerRow: sheet.headerRow,
      rows: collector.rows,
      households: r.households,
      members: r.members,
      errors: sortProblems(collector.problems, sheet.headers).map((p) => ({
        ...p,
        town: collector.townOf(p.household),
      })),
      extraColumns: collector.extraHeaders,
      seconds: (performance.now() - r.started) / 1000,
    };
  }

  // ─── export ──────────────────────────────────────────────────────────────────

  const HOUSEHOLD_DEFS = HOUSEHOLD_FIELDS;
  const MEMBER_DEFS = MEMBER_FIELDS;

  function valuesOf(defs: readonly FieldDef[], row: Record<string, unknown>) {
    const v: Record<string, unknown> = {};
    for (const d of defs) v[d.key] = fieldValue(d, row[d.column]);
    v.extra = typeof row.extra === "string" && row.extra !== "" ? JSON.parse(row.extra) : null;
    return v;
  }

  /**
   * Writes the households of a region with their active members in the national format, two
   * title rows above the header. Reads page by page (keyset on village and id), so memory does
   * not grow with the region. ID numbers and phones are written in full: exporting needs the
   * unmask permission and is audited.
   */
  async function exportNational(
    actor: Actor,
    options: ExportOptions,
    out: Writable,
  ): Promise<ExportResult> {
    return (await planExport(actor, options)).write(out);
  }

  /**
   * Checks an export (permissions, the region in scope) before any byte is written, and names
   * its file; `write` then streams it.
   */
  async function planExport(
    actor: Actor,
    options: ExportOptions,
  ): Promise<{ fileName: string; write: (out: Writable) => Promise<ExportResult> }> {
    assertCan(actor, "household.read");
    assertCan(actor, "household.unmask");
    const region = await repo.region(options.region);
    if (!region || !inScope(actor, options.region))
      throw notFound(`区划 ${options.region} 不存在或不在您的管辖范围内`, {
        field: "region",
        code: "region_not_found",
      });
    const at = now();
    const fileName = `${TITLE}_${region.name}_${chinaDate(at).replaceAll("-", "")}.${options.format}`;
    return {
      fileName,
      write: (out) => writeExport(actor, options, region.name, at, fileName, out),
    };
  }

  async function writeExport(
    actor: Actor,
    options: ExportOptions,
    regionName: string,
    at: Date,
    fileName: string,
    out: Writable,
  ): Promise<ExportResult> {
    // Audited before the first byte: ID numbers leave the system even if the download breaks.
    await audit(db, actor, at.toISOString(), "household.export", {
      targetType: "region",
      targetId: options.region,
      regionCode: options.region,
      detail: { format: options.format, file: fileName },
    });
    const range = scopeRange(options.region);
    const path = await repo.regions(ancestorCodes(options.region));
    const regionTitle = [...path.map((r) => r.name), regionName].join("");
    const columns = exportColumns(await repo.extraKeys(range));
    const names = new Map<string, { county: string; town: string; village: string }>();
    const counties = new Map<string, CountyRegions | null>();

    const writer = await nationalWriter(options.format, out, columns, [
      TITLE,
      `导出范围：${regionTitle}（${options.region}）　导出日期：${chinaDate(at)}`,
    ]);

    let rows = 0;
    let households = 0;
    let after: Keyset | null = null;
    for (;;) {
      const page = await repo.householdPage(range, after, EXPORT_PAGE);
      if (page.length === 0) break;
      const last = page.at(-1)!;
      after = { villageCode: String(last.village_code), id: Number(last.id) };
      await nameVillages(
        page.map((h) => String(h.village_code)),
        names,
        counties,
      );
      const members = await repo.activeMembers(page.map((h) => Number(h.id)));
      const assistance = deps.assistanceColumns
        ? await deps.assistanceColumns(page.map((h) => Number(h.id)))
        : new Map<number, Record<string, string>>();
      const byHousehold = new Map<number, Record<string, unknown>[]>();
      for (const m of members) {
        const id = Number(m.household_id);
        const list = byHousehold.get(id) ?? [];
        list.push(m);
        byHousehold.set(id, list);
      }
      for (const row of page) {
        const list = byHousehold.get(Number(row.id)) ?? [];
        if (list.length === 0) continue;
        households++;
        const h = valuesOf(HOUSEHOLD_DEFS, row);
        const cells = assistance.get(Number(row.id));
        if (cells) h.extra = { ...((h.extra as Record<string, unknown> | null) ?? {}), ...cells };
        const where = names.get(String(row.village_code))!;
        for (const memberRow of list) {
          const m = valuesOf(MEMBER_DEFS, memberRow);
          // The household's measures answer for its assistance columns, not a member's old text.
          const mExtra = m.extra as Record<string, unknown> | null;
          if (cells && mExtra) for (const k of Object.keys(cells)) delete mExtra[k];
          writer.row(nationalRow(columns, h, m, where, options.format));
          rows++;
        }
      }
      await writer.drain();
      if (page.length < EXPORT_PAGE) break;
    }
    await writer.finish();
    return { rows, households, fileName };
  }

  /** County, town and village names of villages, through the county's name index. */
  async function nameVillages(
    codes: string[],
    names: Map<string, { county: string; town: string; village: string }>,
    counties: Map<string, CountyRegions | null>,
  ) {
    for (const code of new Set(codes)) {
      if (names.has(code)) continue;
      const county = code.slice(0, 6);
      if (!counties.has(county)) {
        const row = await repo.region(county);
        counties.set(county, row ? new CountyRegions(row, await repo.below(county)) : null);
      }
      const regions = counties.get(county);
      names.set(
        code,
        regions
          ? { county: regions.name, ...regions.names(code) }
          : { county: "", town: "", village: code },
      );
    }
  }

  // ─── annotated workbook ──────────────────────────────────────────────────────

  /**
   * The uploaded file again, as xlsx, with the cells at fault filled (red: errors, yellow:
   * warnings) and commented, and a 问题说明 column that lists each row's problems.
   */
  async function annotate(path: string, problems: readonly RowProblem[], out: Writable) {
    const sheet = await openSheet(path);
    const byRow = new Map<number, RowProblem[]>();
    for (const p of problems) {
      const list = byRow.get(p.row) ?? [];
      list.push(p);
      byRow.set(p.row, list);
    }
    const columnIndex = new Map<string, number>();
    sheet.headers.forEach((hdr, i) => {
      if (hdr !== "" && !columnIndex.has(hdr)) columnIndex.set(hdr, i);
    });
    const width = Math.max(sheet.headers.length, 1);
    const writer = await xlsxWriter(out, {
      sheetName: "问题标注",
      frozenRows: sheet.headerRow,
      columns: [
        ...sheet.headers.map((hdr) => ({ width: Math.min(30, Math.max(8, hdr.length * 2 + 2)) })),
        { width: 80 },
      ],
    });
    const plain = (cells: Cell[]): OutValue[] =>
      cells.map((c) => (typeof c === "boolean" ? cellText(c) : c));
    try {
      for (const t of sheet.titleRows) writer.row(plain(t.cells), { number: t.number });
      writer.row([...sheet.headers, "问题说明"], { number: sheet.headerRow, bold: true });
      for await (const row of sheet.rows) {
        const list = byRow.get(row.number);
        if (!list) {
          writer.row(plain(row.cells), { number: row.number });
          continue;
        }
        const marks = new Map<number, CellMark>();
        for (const p of list) {
          const i = columnIndex.get(p.column);
          if (i === undefined) continue;
          const mark = marks.get(i);
          marks.set(i, {
            severity: mark?.severity === "error" || p.severity === "error" ? "error" : "warning",
            note: mark ? `${mark.note}\n${p.message}` : p.message,
          });
        }
        const cells: OutValue[] = plain(row.cells);
        while (cells.length < width) cells.push(null);
        const note = list
          .map((p) => `${p.severity === "warning" ? "【提示】" : ""}${p.column}：${p.message}`)
          .join("；\n");
        marks.set(width, {
          severity: list.some((p) => p.severity === "error") ? "error" : "warning",
          note: list.map((p) => p.code).join(", "),
        });
        writer.row([...cells, note], { number: row.number, marks });
        await writer.drain();
      }
    } finally {
      sheet.close();
    }
    await writer.finish();
  }

  // ─── jobs (web imports) ──────────────────────────────────────────────────────

  const jobs = new Map<string, ImportJob>();
  const workDir = deps.workDir ?? join(tmpdir(), "fangpin-imports");
  const JOB_TTL_MS = 24 * 3_600_000;

  function view(job: ImportJob): ImportJobView {
    return {
      id: job.id,
      fileName: job.fileName,
      status: job.status,
      dryRun: job.dryRun,
      atomic: job.atomic,
      confirmed: job.confirmed,
      progress: job.progress,
      createdAt: job.createdAt,
      finishedAt: job.finishedAt,
      report: job.report,
      error: job.error,
    };
  }

  function jobOf(actor: Actor, id: string): ImportJob {
    const job = jobs.get(id);
    // Someone else's job looks missing, like a record outside one's scope.
    if (!job || job.actorKey !== actorKey(actor))
      throw notFound(`导入任务 ${id} 不存在或已过期`, { code: "import_not_found" });
    return job;
  }

  function run(actor: Actor, job: ImportJob) {
    job.status = "running";
    job.finishedAt = null;
    job.error = null;
    job.progress = { phase: "reading", fraction: 0, rows: 0 };
    job.running = importNational(actor, job.path, {
      dryRun: job.dryRun,
      atomic: job.atomic,
      county: job.county ?? undefined,
      fileName: job.fileName,
      onProgress: (p) => {
        job.progress = p;
      },
    })
      .then((report) => {
        job.report = report;
        job.status = "done";
      })
      .catch((e: unknown) => {
        job.status = "failed";
        job.error =
          e instanceof AppError
            ? { kind: e.kind, code: e.code ?? null, message: e.message }
            : {
                kind: "unexpected_state",
                code: "internal",
                message: "导入时发生内部错误，请稍后重试",
              };
      })
      .finally(() => {
        job.finishedAt = now().toISOString();
      });
  }

  async function sweepJobs() {
    const limit = now().getTime() - JOB_TTL_MS;
    for (const [id, job] of jobs) {
      if (job.status !== "running" && Date.parse(job.createdAt) < limit) {
        jobs.delete(id);
        await rm(job.path, { force: true });
      }
    }
    // Files of jobs from an earlier process.
    try {
      for (const name of await readdir(workDir)) {
        const file = join(workDir, name);
        const id = name.replace(/\.upload$/, "");
        if (!jobs.has(id) && (await stat(file)).mtimeMs < limit) await rm(file, { force: true });
      }
    } catch {
      // No folder yet.
    }
  }

  /**
   * Imports that wrote to the registry, newest first (导入记录): the `household.import` audit
   * entries, written in each import's own transaction, of importers within the user's region.
   * Checks without writing (dry runs) and refused files wrote nothing and are not listed.
   */
  async function history(
    actor: Actor,
    query: { limit: number; before?: number },
  ): Promise<{ items: ImportHistoryItem[]; next: number | null }> {
    assertCan(actor, "household.read");
    let q = db
      .selectFrom("audit_log as a")
      .leftJoin("users as u", "u.id", "a.actor_id")
      .select([
        "a.id",
        "a.at",
        "a.actor_name",
        "u.display_name",
        "a.region_code",
        "a.target_id",
        "a.detail",
      ])
      .where("a.action", "=", "household.import")
      .orderBy("a.id", "desc")
      .limit(query.limit + 1);
    if (actor.regionCode) {
      const [lo, hi] = scopeRange(actor.regionCode);
      q = q.where("a.region_code", ">=", lo).where("a.region_code", "<", hi);
    }
    if (query.before !== undefined) q = q.where("a.id", "<", query.before);
    const rows = await q.execute();
    const items = rows.slice(0, query.limit).map(historyItem);
    return { items, next: rows.length > query.limit ? items.at(-1)!.id : null };
  }

  return {
    importNational,
    exportNational,
    planExport,
    annotate,
    history,

    /**
     * Stores an upload and starts checking it (a dry run unless `dryRun` is false). The job runs
     * in the background; poll `job` for progress and the report.
     */
    async startImport(
      actor: Actor,
      upload: { body: Readable; fileName: string; maxBytes?: number },
      options: { dryRun?: boolean; atomic?: Atomicity; county?: string },
    ): Promise<ImportJobView> {
      assertCan(actor, "household.create");
      assertCan(actor, "household.update");
      if (options.county !== undefined) await contextCounty(actor, options.county);
      await sweepJobs();
      await mkdir(workDir, { recursive: true });
      const id = randomUUID();
      const path = join(workDir, `${id}.upload`);
      const max = upload.maxBytes ?? 1024 * 1024 * 1024;
      let bytes = 0;
      try {
        await pipeline(
          upload.body,
          async function* (source: AsyncIterable<Buffer>) {
            for await (const chunk of source) {
              bytes += chunk.length;
              if (bytes > max)
                throw invalid(
                  `文件超过 ${Math.round(max / 1024 / 1024)} MB，请分乡镇导出后分别导入`,
                  {
                    code: "file_too_large",
                  },
                );
              yield chunk;
            }
          },
          createWriteStream(path),
        );
      } catch (e) {
        await rm(path, { force: true });
        throw e;
      }
      if (bytes === 0) {
        await rm(path, { force: true });
        throw invalid("上传的文件是空的", { code: "file_empty" });
      }
      const job: ImportJob = {
        id,
        actorKey: actorKey(actor),
        fileName: upload.fileName,
        path,
        dryRun: options.dryRun ?? true,
        atomic: options.atomic ?? "household",
        county: options.county ?? null,
        confirmed: false,
        status: "running",
        progress: { phase: "reading", fraction: 0, rows: 0 },
        createdAt: now().toISOString(),
        finishedAt: null,
        report: null,
        error: null,
        running: null,
      };
      jobs.set(id, job);
      run(actor, job);
      return view(job);
    },

    job(actor: Actor, id: string): ImportJobView {
      return view(jobOf(actor, id));
    },

    /** Waits for a job to finish (tests, CLI-like callers). */
    async settled(actor: Actor, id: string): Promise<ImportJobView> {
      const job = jobOf(actor, id);
      await job.running;
      return view(job);
    },

    /** Applies a file that a dry run has checked: the same file, imported for real. */
    confirm(actor: Actor, id: string): ImportJobView {
      const job = jobOf(actor, id);
      if (!job.dryRun || job.confirmed)
        throw new AppError("unexpected_state", "该导入已经执行过，不能再次确认", {
          code: "import_already_applied",
        });
      if (job.status !== "done")
        throw new AppError("unexpected_state", "请等待检查完成后再确认导入", {
          code: "import_not_checked",
        });
      job.dryRun = false;
      job.confirmed = true;
      job.report = null;
      run(actor, job);
      return view(job);
    },

    /** The annotated workbook of a finished job: checked now, written by `write`. */
    annotated(
      actor: Actor,
      id: string,
    ): { fileName: string; write: (out: Writable) => Promise<void> } {
      const job = jobOf(actor, id);
      const report = job.report;
      if (!report)
        throw new AppError("unexpected_state", "检查尚未完成，暂无标注文件", {
          code: "import_not_checked",
        });
      return {
        fileName: `${job.fileName.replace(/\.(xlsx|csv)$/i, "")}_问题标注.xlsx`,
        write: (out) => annotate(job.path, report.errors, out),
      };
    },
  };
}
export type ExchangeService = ReturnType<typeof createExchangeService>;

interface ImportJob {
  id: string;
  actorKey: string;
  fileName: string;
  path: string;
  dryRun: boolean;
  atomic: Atomicity;
  county: string | null;
  confirmed: boolean;
  status: "running" | "done" | "failed";
  progress: ImportProgress;
  createdAt: string;
  finishedAt: string | null;
  report: ImportReport | null;
  error: { kind: string; code: string | null; message: string } | null;
  running: Promise<void> | null;
}

export type ImportJobView = Omit<ImportJob, "actorKey" | "path" | "running" | "county">;

const actorKey = (actor: Actor) => `${actor.id ?? ""}:${actor.username}`;

/** Problems by row, then by the column's position in the file, then by code. */
function sortProblems(problems: RowProblem[], headers: readonly string[]): RowProblem[] {
  const position = new Map<string, number>();
  headers.forEach((h, i) => {
    if (!position.has(h)) position.set(h, i);
  });
  return [...problems].sort(
    (a, b) =>
      a.row - b.row ||
      (position.get(a.column) ?? 1e9) - (position.get(b.column) ?? 1e9) ||
      a.code.localeCompare(b.code),
  );
}
