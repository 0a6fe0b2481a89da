/**
 * Cases as the web client reads them (see src/modules/cases/cases.schema.ts): work lists, a
 * case with its steps, log, objections and attachments; opening, moving and batching cases;
 * notice batches. Attachments go up as the file itself (no multipart).
 */
import { ApiError, type ApiErrorBody, api, SIGNED_OUT_EVENT, withQuery } from "../api/client.ts";

export interface CaseListItem {
  case: string;
  type: string;
  typeName: string;
  state: string;
  status: "active" | "paused" | "completed" | "rejected" | "withdrawn";
  household: string;
  headName: string | null;
  villageCode: string;
  villageName: string | null;
  step: string | null;
  stepName: string | null;
  deadline: string | null;
  overdue: boolean;
  greenChannel: boolean;
  openedAt: string;
}

export interface CaseStep {
  step: string;
  kind: string;
  name: string;
  state: "done" | "active" | "pending";
  actor: string | null;
  at: string | null;
  roles: string[];
  dueOn: string | null;
}

export interface Objection {
  id: number;
  receipt: string;
  content: string;
  objector: string | null;
  receivedAt: string;
  status: "open" | "resolved";
  outcome: "upheld" | "dismissed" | null;
  resolution: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
}

export interface Attachment {
  id: number;
  kind: string;
  name: string;
  mime: string;
  size: number;
  step: string | null;
  uploadedAt: string;
  uploadedBy: string;
}

export interface CaseLogEntry {
  step: string;
  action: string;
  actor: string;
  at: string;
  comment: string | null;
  data: unknown;
}

export interface CaseDetail extends CaseListItem {
  townName: string | null;
  category: string | null;
  riskFactors: string[];
  details: Record<string, unknown>;
  leadSource: string;
  leadDate: string;
  assistanceStartedOn: string | null;
  decidedOn: string | null;
  completedAt: string | null;
  policyId: string;
  steps: CaseStep[];
  notice: { batch: number; startsOn: string; endsOn: string; over: boolean } | null;
  log: CaseLogEntry[];
  objections: Objection[];
  attachments: Attachment[];
  version: number;
  /** advance, send_back, reject, withdraw, attach, resolve_objection */
  can: string[];
}

export interface CaseQuery {
  region?: string;
  type?: string;
  status?: "open" | "closed" | "all";
  step?: string;
  mine?: "true";
  overdue?: "true";
  household?: string;
  limit?: number;
  after?: string;
}

export interface GuardReport {
  ok: boolean;
  reasons: string[];
  results: { id: string; ok: boolean | null; message: string }[];
}

/** What a step records (visit, consent, deliberation); every field optional. */
export interface StepData {
  visitedOn?: string;
  findings?: string;
  signedOn?: string;
  signedBy?: string;
  date?: string;
  attendees?: number;
  votesFor?: number;
  votesAgainst?: number;
  abstentions?: number;
  meeting?: string;
}

export interface OpenCaseBody {
  householdNumber: string;
  type: string;
  category?: string;
  riskFactors?: string[];
  eliminationMethod?: string;
  targetVillage?: string;
  deregistrationReason?: string;
  leadSource?: string;
  leadDate?: string;
  greenChannel?: boolean;
  assistanceStartedOn?: string;
  verification?: { id: number; version: number };
  comment?: string;
}

export interface NoticeBatchItem {
  id: number;
  kind: "notice" | "announcement";
  caseType: string;
  villageCode: string;
  title: string;
  startsOn: string;
  endsOn: string;
  active: boolean;
}

export interface NoticeBatchView {
  id: number;
  kind: "notice" | "announcement";
  caseType: string;
  villageCode: string;
  villageName: string | null;
  title: string;
  startsOn: string;
  endsOn: string;
  days: number;
  entries: { seq: number; headName: string; size: number; change: string; risks: string | null }[];
}

const one = (n: string) => `/api/cases/${encodeURIComponent(n)}`;

/** The reasons of a refusal (`case_refused`), when the error carries them. */
export function refusalReasons(e: unknown): string[] | null {
  if (!(e instanceof ApiError)) return null;
  const reasons = e.reasons ?? (e.detail?.reasons as unknown);
  return Array.isArray(reasons) && reasons.length > 0 ? reasons.map(String) : null;
}

async function upload(caseNumber: string, file: File, kind: string): Promise<{ id: number }> {
  let res: Response;
  try {
    res = await fetch(withQuery(`${one(caseNumber)}/attachments`, { kind, name: file.name }), {
      method: "POST",
      credentials: "same-origin",
      headers: { accept: "application/json", "content-type": file.type || "application/pdf" },
      body: file,
    });
  } catch {
    throw new ApiError(0, { kind: "network", message: "", code: "network" });
  }
  const body = (await res.json().catch(() => null)) as { id: number } | { error?: ApiErrorBody };
  if (!res.ok) {
    const error = new ApiError(
      res.status,
      (body as { error?: ApiErrorBody } | null)?.error ?? {
        kind: "unexpected_state",
        message: "",
        code: `http_${res.status}`,
      },
    );
    if (error.isSignedOut) window.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT));
    throw error;
  }
  return body as { id: number };
}

export const casesApi = {
  list: (q: CaseQuery, signal?: AbortSignal) =>
    api.get<{ items: CaseListItem[]; next: string | null }>(
      "/api/cases",
      q as Record<string, string | number | undefined>,
      signal,
    ),
  get: (n: string, signal?: AbortSignal) => api.get<CaseDetail>(one(n), undefined, signal),
  check: (household: string, type: string, category?: string, signal?: AbortSignal) =>
    api.get<GuardReport>(
      `/api/households/${encodeURIComponent(household)}/case-check`,
      { type, category },
      signal,
    ),
  open: (body: OpenCaseBody) => api.post<CaseDetail>("/api/cases", body),
  advance: (n: string, body: { version: number; to?: string; comment?: string; data?: StepData }) =>
    api.post<CaseDetail>(`${one(n)}/advance`, body),
  sendBack: (n: string, body: { version: number; to?: string; reason: string }) =>
    api.post<CaseDetail>(`${one(n)}/send-back`, body),
  close: (n: string, as: "reject" | "withdraw", body: { version: number; reason: string }) =>
    api.post<CaseDetail>(`${one(n)}/${as}`, body),
  approveMany: (cases: string[], comment?: string) =>
    api.post<{ cases: string[] }>("/api/cases/approve", { cases, comment }),
  announceMany: (cases: string[], comment?: string) =>
    api.post<{ cases: string[] }>("/api/cases/announce", { cases, comment }),
  resolveObjection: (id: number, body: { outcome: "upheld" | "dismissed"; resolution: string }) =>
    api.post<{ case: CaseDetail | null }>(`/api/objections/${id}/resolve`, body),
  upload,
  attachmentUrl: (id: number) => `/api/attachments/${id}`,
  batches: (region: string | undefined, signal?: AbortSignal) =>
    api.get<{ items: NoticeBatchItem[] }>("/api/notice-batches", { region }, signal),
  batch: (id: number, signal?: AbortSignal) =>
    api.get<NoticeBatchView>(`/api/notice-batches/${id}`, undefined, signal),
  batchObjections: (id: number, signal?: AbortSignal) =>
    api.get<{ items: Objection[] }>(`/api/notice-batches/${id}/objections`, undefined, signal),
  postNotice: (body: {
    village: string;
    cases: string[];
    deliberationDate?: string;
    villagePhone?: string;
    townPhone?: string;
  }) => api.post<NoticeBatchView>("/api/notice-batches", body),
  printUrl: (batch: number) => `/api/notice-batches/${batch}/print`,
  publicUrl: (village: string) => `/notices/${village}`,
};
