/**
 * 年度收入结转 — annual income records. Closing year Y records every in-scope household's
 * current income (its five components, net income computed as the rules compute h.netIncome,
 * household size and the reported per-capita figure) as its record for Y; running it again
 * updates the records that changed and leaves the others. A backfill derives a year's records
 * from the registry history instead — each household as it was at the end of Y (China time) —
 * for households that have no record of Y yet (or only a backfilled one). Rules read the record
 * of the year before the evaluation date's as h.lastYear… (core/rules/context.ts).
 *
 * Every run is one transaction, logged in income_closings and the audit log. When it writes
 * records that today's rules read (year = this year − 1), the households it changed are
 * re-evaluated inside it (`onChanged`, as registry writes do), so their signals are current
 * when it commits; snapshots read the records again when they see the new run.
 */
import type { Kysely } from "kysely";
import { chinaDate, endOfChinaDay } from "../../core/dates.ts";
import { invalid, notFound } from "../../core/errors.ts";
import { activeMembers, type HouseholdEvent, parseEvent, replay } from "../../core/household.ts";
import { COUNT_ALL_TRANSFERS, netIncome } from "../../core/income.ts";
import { lastYearOf } from "../../core/rules/context.ts";
import type { DB } from "../../db/schema.ts";
import { audit } from "../audit/index.ts";
import { assertCan, scopeRange } from "../auth/auth.policy.ts";
import type { Actor } from "../auth/auth.schema.ts";
import { createIncomeRepository, type IncomeRecordRow } from "./income.repository.ts";

export interface IncomeDeps {
  db: Kysely<DB>;
  now: () => Date;
  /** Re-evaluates households inside the transaction (monitoring's `reevaluate`). */
  onChanged?: (
    trx: Kysely<DB>,
    households: readonly { id: number; villageCode: string }[],
  ) => Promise<void>;
}

export type IncomeRunKind = "close_year" | "backfill";

export interface IncomeRunResult {
  id: number;
  year: number;
  kind: IncomeRunKind;
  region: string | null;
  /** Households looked at. */
  households: number;
  created: number;
  updated: number;
  unchanged: number;
  /**
   * Households left alone: deregistered ones; for a backfill also those not yet on the
   * registry at the end of the year and those whose record was closed by hand.
   */
  skipped: number;
  /** Households re-evaluated because today's rules read the year. */
  reevaluated: number;
}

export interface IncomeRecordView {
  year: number;
  wageIncome: number | null;
  businessIncome: number | null;
  propertyIncome: number | null;
  transferIncome: number | null;
  businessCosts: number | null;
  netIncome: number | null;
  size: number;
  /** Per-capita net income in fen as the rules compute it (net ÷ size), rounded; null if unknown. */
  perCapitaIncome: number | null;
  reportedPerCapitaIncome: number | null;
  source: IncomeRunKind;
  recordedAt: string;
  recordedBy: string;
}

/** Households read per query. */
const CHUNK = 1000;
/** The first year a record may be made for (the monitoring mechanism dates from 2020). */
const FIRST_YEAR = 2000;

type Values = Omit<
  IncomeRecordRow,
  "household_id" | "year" | "source" | "closing_id" | "recorded_at" | "recorded_by"
>;

/** The compared part of a record: what the household's income was. */
const COMPARED = [
  "village_code",
  "wage_income",
  "business_income",
  "property_income",
  "transfer_income",
  "business_costs",
  "net_income",
  "size",
  "reported_per_capita",
] as const;

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function valuesOf(c: {
  village_code: string;
  size: number;
  wage_income: number | null;
  business_income: number | null;
  property_income: number | null;
  transfer_income: number | null;
  business_costs: number | null;
  per_capita_income: number | null;
}): Values {
  const parts = {
    wageIncome: num(c.wage_income),
    businessIncome: num(c.business_income),
    propertyIncome: num(c.property_income),
    transferIncome: num(c.transfer_income),
    businessCosts: num(c.business_costs),
  };
  return {
    village_code: c.village_code,
    wage_income: parts.wageIncome,
    business_income: parts.businessIncome,
    property_income: parts.propertyIncome,
    transfer_income: parts.transferIncome,
    business_costs: parts.businessCosts,
    // As sql.ts computes h.netIncome: every transfer counts; NULL when nothing was surveyed.
    net_income: netIncome(parts, COUNT_ALL_TRANSFERS),
    size: Number(c.size),
    reported_per_capita: num(c.per_capita_income),
  };
}

const same = (a: Values, b: Record<string, unknown>) =>
  COMPARED.every((k) => (k === "village_code" ? a[k] === b[k] : num(a[k]) === num(b[k])));

export function createIncomeService({ db, now, onChanged }: IncomeDeps) {
  function checkYear(year: number): void {
    const current = Number(chinaDate(now()).slice(0, 4));
    if (!Number.isInteger(year) || year < FIRST_YEAR || year > current)
      throw invalid(`年度应为 ${FIRST_YEAR}–${current} 之间的年份（不能结转未来年度）`, {
        field: "year",
        code: "income_year_invalid",
      });
  }

  function regionOf(actor: Actor, region: string | undefined): string | null {
    // County staff close years (年度收入结转); asked before the region is.
    assertCan(actor, "income.close");
    const r = region ?? actor.regionCode;
    if (r && !/^\d{2,12}$/.test(r))
      throw invalid("区划代码应为数字", { field: "region", code: "region_invalid" });
    if (r && actor.regionCode && !r.startsWith(actor.regionCode))
      throw notFound(`区划 ${r} 不在您的管辖范围内`, { code: "region_not_found" });
    return r ?? null;
  }

  /**
   * One run over the households of a region: `derive` gives the values to record for a chunk
   * of households (null: skip the household), given their current records of the year.
   */
  async function run(
    actor: Actor,
    kind: IncomeRunKind,
    year: number,
    region: string | null,
    derive: (
      repo: ReturnType<typeof createIncomeRepository>,
      chunk: Awaited<ReturnType<ReturnType<typeof createIncomeRepository>["householdsAfter"]>>,
      existing: Map<number, Record<string, unknown>>,
    ) => Promise<Map<number, Values | null>>,
  ): Promise<IncomeRunResult> {
    checkYear(year);
    const range: [string, string] = region ? scopeRange(region) : ["", "\uffff"];
    const at = now().toISOString();
    const rulesRead = year === lastYearOf(chinaDate(now()));
    return db.transaction().execute(async (trx) => {
      const repo = createIncomeRepository(trx);
      const closing = await repo.insertClosing({
        year,
        kind,
        region_code: region,
        actor_id: actor.id,
        actor_name: actor.username,
        at,
        households: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        skipped: 0,
      });
      const counts = { households: 0, created: 0, updated: 0, unchanged: 0, skipped: 0 };
      let reevaluated = 0;
      let after = 0;
      for (;;) {
        const chunk = await repo.householdsAfter(range, after, CHUNK);
        if (chunk.length === 0) break;
        after = Number(chunk.at(-1)!.id);
        const ids = chunk.map((h) => Number(h.id));
        const existing = new Map(
          (await repo.recordsOf(year, ids)).map((r) => [
            Number(r.household_id),
            r as unknown as Record<string, unknown>,
          ]),
        );
        const values = await derive(repo, chunk, existing);
        const inserts: IncomeRecordRow[] = [];
        const changed: { id: number; villageCode: string }[] = [];
        for (const h of chunk) {
          const id = Number(h.id);
          counts.households++;
          const v = values.get(id) ?? null;
          if (!v) {
            counts.skipped++;
            continue;
          }
          const row: IncomeRecordRow = {
            household_id: id,
            year,
            ...v,
            source: kind,
            closing_id: closing,
            recorded_at: at,
            recorded_by: actor.username,
          };
          const old = existing.get(id);
          if (!old) {
            inserts.push(row);
            counts.created++;
          } else if (same(v, old) && old.source === kind) {
            counts.unchanged++;
            continue;
          } else {
            await repo.updateRecord(row);
            counts.updated++;
          }
          changed.push({ id, villageCode: h.village_code });
        }
        await repo.insertRecords(inserts);
        if (rulesRead && changed.length > 0 && onChanged) {
          await onChanged(trx, changed);
          reevaluated += changed.length;
        }
        if (chunk.length < CHUNK) break;
      }
      await repo.finishClosing(closing, counts);
      await audit(trx, actor, at, kind === "close_year" ? "income.close_year" : "income.backfill", {
        targetType: "region",
        targetId: region ?? "all",
        regionCode: region ?? undefined,
        detail: { year, ...counts },
      });
      return { id: closing, year, kind, region, ...counts, reevaluated };
    });
  }

  return {
    /** 年度收入结转: records every in-scope household's current income as year `year`. */
    async closeYear(
      actor: Actor,
      input: { year: number; region?: string },
    ): Promise<IncomeRunResult> {
      const region = regionOf(actor, input.region);
      return run(actor, "close_year", input.year, region, async (_repo, chunk) => {
        const out = new Map<number, Values | null>();
        for (const h of chunk)
          out.set(Number(h.id), h.household_type === "deregistered" ? null : valuesOf(h));
        return out;
      });
    },

    /**
     * Derives the records of `year` from the registry history: each household as it was at
     * the end of that year. A record made by closing the year is never replaced; households
     * created after the year are skipped.
     */
    async backfill(
      actor: Actor,
      input: { year: number; region?: string },
    ): Promise<IncomeRunResult> {
      const region = regionOf(actor, input.region);
      const before = endOfChinaDay(`${input.year}-12-31`);
      return run(actor, "backfill", input.year, region, async (repo, chunk, existing) => {
        const wanted = chunk
          .map((h) => Number(h.id))
          .filter((id) => existing.get(id)?.source !== "close_year");
        const events = new Map<number, HouseholdEvent[]>();
        for (const e of await repo.eventsBefore(wanted, before)) {
          const id = Number(e.household_id);
          const list = events.get(id) ?? [];
          list.push(parseEvent(e.data));
          events.set(id, list);
        }
        const out = new Map<number, Values | null>();
        for (const id of wanted) {
          const state = replay(events.get(id) ?? []);
          if (!state || state.household.householdType === "deregistered") continue;
          const v = state.household;
          out.set(
            id,
            valuesOf({
              village_code: v.villageCode ?? "",
              size: activeMembers(state).length,
              wage_income: v.wageIncome,
              business_income: v.businessIncome,
              property_income: v.propertyIncome,
              transfer_income: v.transferIncome,
              business_costs: v.businessCosts,
              per_capita_income: v.perCapitaIncome,
            }),
          );
        }
        return out;
      });
    },

    /** The latest runs within the actor's scope, newest first. */
    async closings(actor: Actor, limit = 20) {
      assertCan(actor, "signal.read");
      const rows = await createIncomeRepository(db).closings(
        actor.regionCode ? scopeRange(actor.regionCode) : null,
        limit,
      );
      return rows.map((r) => ({
        id: Number(r.id),
        year: Number(r.year),
        kind: r.kind,
        region: r.region_code,
        at: r.at,
        actor: r.actor_name,
        households: Number(r.households),
        created: Number(r.created),
        updated: Number(r.updated),
        unchanged: Number(r.unchanged),
        skipped: Number(r.skipped),
      }));
    },

    /** A household's records, newest year first (the caller has checked it may read it). */
    async recordsOf(householdId: number): Promise<IncomeRecordView[]> {
      const rows = await createIncomeRepository(db).recordsOfHousehold(householdId);
      return rows.map((r) => {
        const net = num(r.net_income);
        const size = Number(r.size);
        return {
          year: Number(r.year),
          wageIncome: num(r.wage_income),
          businessIncome: num(r.business_income),
          propertyIncome: num(r.property_income),
          transferIncome: num(r.transfer_income),
          businessCosts: num(r.business_costs),
          netIncome: net,
          size,
          perCapitaIncome: net === null || size === 0 ? null : Math.round(net / size),
          reportedPerCapitaIncome: num(r.reported_per_capita),
          source: r.source,
          recordedAt: r.recorded_at,
          recordedBy: r.recorded_by,
        };
      });
    },
  };
}
export type IncomeService = ReturnType<typeof createIncomeService>;
