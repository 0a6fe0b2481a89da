/** The services of every module, wired to one database and one clock. */

import { chinaDate } from "../core/dates.ts";
import type { Database } from "../db/connect.ts";
import { createAssistanceService } from "../modules/assistance/index.ts";
import { createAuthService, createTokensService, SYSTEM_ACTOR } from "../modules/auth/index.ts";
import { createCasesService, type FileStore, localFileStore } from "../modules/cases/index.ts";
import { createDuplicatesService } from "../modules/duplicates/index.ts";
import { createExchangeService } from "../modules/exchange/index.ts";
import { createFeedsService, withSignalRefresh } from "../modules/feeds/index.ts";
import {
  createIncomeService,
  createMonitoringService,
  createSignalsService,
} from "../modules/monitoring/index.ts";
import {
  createPolicyService,
  createPolicyVersionsService,
  type PolicyService,
  type PublishedPolicies,
} from "../modules/policy/index.ts";
import { createRegionsService } from "../modules/regions/index.ts";
import { createRegistryService } from "../modules/registry/index.ts";

export interface ServiceDeps {
  database: Database;
  now?: () => Date;
  policies?: PolicyService;
  /** Where case attachments are kept (default: data/files, FANGPIN_FILES overrides). */
  files?: FileStore;
}

/** The clock: FANGPIN_NOW (an ISO date-time) fixes it, so deadlines can be tested. */
export function systemClock(): () => Date {
  const fixed = process.env.FANGPIN_NOW;
  if (!fixed) return () => new Date();
  const at = new Date(fixed);
  if (Number.isNaN(at.getTime())) throw new Error(`FANGPIN_NOW is not a date-time: ${fixed}`);
  return () => at;
}

export function createServices({
  database,
  now = systemClock(),
  policies: given,
  files = localFileStore(),
}: ServiceDeps) {
  const deps = { db: database.db, engine: database.engine, now };
  // Versions published in the web override shipped files of the same id.
  const published: PublishedPolicies = { files: [] };
  const policies = given ?? createPolicyService({ extra: () => published.files });
  const monitoring = createMonitoringService({ ...deps, policies });
  const registry = createRegistryService({ ...deps, onChanged: monitoring.reevaluate });
  const signals = createSignalsService({ ...deps, policies });
  const assistance = createAssistanceService({
    ...deps,
    policies,
    files,
    onChanged: monitoring.reevaluate,
  });
  const feedTypesOf = (region: string) =>
    policies.forRegion(region, Number(chinaDate(now()).slice(0, 4))).feeds;
  return {
    auth: createAuthService({ ...deps, feedTypesOf }),
    tokens: createTokensService({ ...deps, feedTypesOf }),
    regions: createRegionsService(deps),
    registry,
    policies,
    monitoring,
    signals,
    incomes: createIncomeService({ ...deps, onChanged: monitoring.reevaluate }),
    policyVersions: createPolicyVersionsService({ ...deps, policies, published }),
    exchange: createExchangeService({
      ...deps,
      registry,
      assistanceColumns: (ids) => assistance.nationalColumns(ids),
    }),
    cases: createCasesService({ ...deps, policies, registry, monitoring, signals, files }),
    assistance,
    // A committed load re-evaluates the households whose facts it changed (feeds.signals.ts).
    feeds: withSignalRefresh(createFeedsService({ ...deps, policies }), {
      db: database.db,
      reevaluate: monitoring.reevaluate,
      sweep: (county) => monitoring.sweep(SYSTEM_ACTOR, { region: county }),
      onError: (e) => console.error("部门数据导入后重新筛查失败（下次筛查时补上）：", e),
    }),
    duplicates: createDuplicatesService({ ...deps, policies, registry }),
  };
}
export type Services = ReturnType<typeof createServices>;
