/**
 * The monitoring API as the web client reads it (see src/modules/monitoring/*.schema.ts and
 * policy.routes.ts): signals, verification tasks, sweeps, the policy and its drafts.
 */
import { api } from "../api/client.ts";

export type Severity = "high" | "medium" | "low";
export type Outcome = "case_opened" | "already_monitored" | "dismissed";

export interface Verification {
  id: number;
  status: "open" | "done";
  assignedRegion: string | null;
  assignedRegionName: string | null;
  deadline: string;
  overdue: boolean;
  outcome: string | null;
  outcomeReason: string | null;
  version: number;
}

export interface Signal {
  id: number;
  householdNumber: string;
  headName: string | null;
  villageCode: string;
  villageName: string | null;
  townName: string | null;
  rule: string;
  name: string;
  code: string;
  category: string;
  severity: string;
  message: string;
  evidence: Record<string, unknown>;
  status: string;
  openedAt: string;
  deadline: string | null;
  resolvedAt: string | null;
  resolution: string | null;
  verification: Verification | null;
}

export interface HouseholdSignal {
  id: number;
  rule: string;
  name: string;
  code: string;
  category: string;
  severity: string;
  message: string;
  evidence: Record<string, unknown>;
  openedAt: string;
  deadline: string | null;
}

export interface SignalSummary {
  open: number;
  overdue: number;
  byRule: { rule: string; name: string; category: string; severity: string; open: number }[];
  byRegion: { code: string; name: string | null; open: number; overdue: number }[];
}

export interface SweepResult {
  households: number;
  signals: { opened: number; resolved: number; open: number };
  byRule: Record<string, number>;
  ms: number;
}

/** A run of 年度收入结转 or of the backfill from history. */
export interface IncomeRunResult {
  id: number;
  year: number;
  kind: "close_year" | "backfill";
  region: string | null;
  households: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  reevaluated: number;
}

/** One year's income record of a household (money in fen). */
export interface IncomeRecord {
  year: number;
  netIncome: number | null;
  size: number;
  perCapitaIncome: number | null;
  source: "close_year" | "backfill";
  recordedAt: string;
}

export type SignalSort = "opened" | "severity" | "deadline";

export interface TaskEvent {
  at: string;
  actor: string;
  kind: string;
  data: unknown;
}

export interface SignalQuery {
  region?: string;
  rule?: string;
  category?: string;
  severity?: string;
  status?: "open" | "resolved";
  overdue?: "true";
  olderThanDays?: number;
  sort?: SignalSort;
  limit?: number;
  after?: string;
}

export type ParamValue = number | string | boolean;

export interface PolicyRule {
  id: string;
  code: string | null;
  name: string;
  category: string;
  severity: string;
  when: string;
  message: string;
  evidence: Record<string, string>;
  verify: boolean;
  source: string | null;
}

export interface Policy {
  id: string;
  chain: string[];
  region: string | null;
  year: number;
  parameters: Record<string, ParamValue>;
  deadlines: Record<string, number>;
  quotas: Record<string, number>;
  measures: { code: string; name: string; category: string; development: boolean }[];
  rules: PolicyRule[];
}

export interface RuleError {
  /** "" when the file as a whole is wrong. */
  rule: string;
  /** `when`, `evidence.<name>`, or the file's field. */
  part: string;
  message: string;
  /** Offset in that part's source. */
  position: number;
}

export type CheckResult = { ok: true } | { ok: false; errors: RuleError[] };

/** A rule in a draft: an existing rule's changed parts, or a whole new rule. */
export type DraftRule = Partial<Omit<PolicyRule, "code" | "source">> & { id: string };

export interface PreviewHousehold {
  householdNumber: string;
  headName: string | null;
  villageName: string | null;
  rules: string[];
}

export interface PreviewRegion {
  code: string;
  name: string | null;
  gained: number;
  lost: number;
}

export interface PreviewResult {
  region: string;
  /** Households in the preview. */
  households: number;
  rules: {
    id: string;
    name: string;
    before: number;
    after: number;
    gained: number;
    lost: number;
  }[];
  /** Households flagged by any rule, before and after. */
  total: { before: number; after: number; gained: number; lost: number };
  /** Households gaining (losing) at least one rule, by town, and by village within a town. */
  byRegion: PreviewRegion[];
  byVillage: PreviewRegion[];
  gainedHouseholds: number;
  lostHouseholds: number;
  /** The first households gaining (losing) a rule. */
  gained: PreviewHousehold[];
  lost: PreviewHousehold[];
  ms: number;
}

export interface PolicyVersion {
  id: number;
  policyId: string;
  regionCode: string | null;
  year: number;
  version: number;
  status: "draft" | "published";
  createdAt: string;
  createdBy: string;
  publishedAt: string | null;
  publishedBy: string | null;
}

export interface PublishResult {
  version: PolicyVersion;
  sweep: { households: number; signals: { opened: number; resolved: number; open: number } };
}

export const monitoringApi = {
  signals: (q: SignalQuery, signal?: AbortSignal) =>
    api.get<{ items: Signal[]; next: string | null }>(
      "/api/signals",
      q as Record<string, string | number | undefined>,
      signal,
    ),
  summary: (region: string | undefined, signal?: AbortSignal) =>
    api.get<SignalSummary>("/api/signals/summary", { region }, signal),
  householdSignals: (no: string, signal?: AbortSignal) =>
    api.get<{ items: HouseholdSignal[] }>(
      `/api/households/${encodeURIComponent(no)}/signals`,
      undefined,
      signal,
    ),
  householdIncomes: (no: string, signal?: AbortSignal) =>
    api.get<{ items: IncomeRecord[] }>(
      `/api/households/${encodeURIComponent(no)}/incomes`,
      undefined,
      signal,
    ),
  sweep: (region?: string) => api.post<SweepResult>("/api/sweeps", { region }),
  closeIncomeYear: (body: { year: number; region?: string }) =>
    api.post<IncomeRunResult>("/api/incomes/close-year", body),
  backfillIncomeYear: (body: { year: number; region?: string }) =>
    api.post<IncomeRunResult>("/api/incomes/backfill", body),
  assign: (taskId: number, body: { version: number; region: string }) =>
    api.post<{ ok: true }>(`/api/verifications/${taskId}/assign`, body),
  recordOutcome: (taskId: number, body: { version: number; outcome: Outcome; reason?: string }) =>
    api.post<{ ok: true }>(`/api/verifications/${taskId}/outcome`, body),
  taskHistory: (taskId: number) =>
    api.get<{ items: TaskEvent[] }>(`/api/verifications/${taskId}/history`),
  policy: (region: string | undefined, signal?: AbortSignal) =>
    api.get<Policy>("/api/policy", { region }, signal),
  check: (yaml: string, signal?: AbortSignal) =>
    api.post<CheckResult>("/api/policy/check", { yaml }, signal),
  preview: (body: {
    region?: string;
    parameters?: Record<string, ParamValue>;
    rules?: DraftRule[];
    yaml?: string;
  }) => api.post<PreviewResult>("/api/policy/preview", body),
  saveDraft: (yaml: string) => api.post<PolicyVersion>("/api/policy/drafts", { yaml }),
  publish: (versionId: number) =>
    api.post<PublishResult>(`/api/policy/drafts/${versionId}/publish`, {}),
};
