/** Department data: the upload sends the file as the request body (XHR, for upload progress). */
import { ApiError, type ApiErrorBody, api, SIGNED_OUT_EVENT, withQuery } from "../../api/client.ts";

export interface FeedDefinition {
  type: string;
  name: string;
  department: string;
}

export interface FeedLoadReport {
  loadId: number | null;
  feedType: string;
  file: string;
  committed: boolean;
  rows: number;
  matched: number;
  unmatched: number;
  ambiguous: number;
  rejected: number;
  facts: { created: number; unchanged: number; superseded: number };
  errors: { row: number; column: string; code: string; message: string }[];
  /** After a committed load: the households whose facts changed, re-evaluated at once. */
  signals?: { households: number; method: "households" | "sweep"; done: boolean };
}

export interface FeedLoad {
  id: number;
  feedType: string;
  fileName: string;
  loadedAt: string;
  actorName: string;
  rows: number;
  matched: number;
  unmatched: number;
  ambiguous: number;
  facts: { created: number; unchanged: number; superseded: number };
  /** Set when the load was withdrawn (撤销导入). */
  withdrawn: { at: string; by: string; reason: string } | null;
}

export interface FeedWithdrawal {
  loadId: number;
  feedType: string;
  ended: number;
  restored: number;
  households: number;
  signalsRefreshed: boolean;
}

export interface ComparisonReport {
  loadId: number;
  feedType: string;
  feedName: string;
  fileName: string;
  loadedAt: string;
  towns: { code: string; name: string; matched: number; anomalies: number }[];
  matched: {
    row: number;
    householdNumber: string;
    memberName: string;
    villageName: string;
    effectiveFrom: string;
    current: boolean;
  }[];
  unmatched: {
    row: number;
    outcome: "unmatched" | "ambiguous";
    reason: string;
    idNumber: string;
    name: string | null;
  }[];
  anomalies: {
    householdNumber: string;
    villageName: string;
    ruleId: string;
    ruleName: string;
    severity: string;
    sources: string | null;
  }[];
}

export interface Fact {
  id: number;
  feedType: string;
  feedName: string;
  memberName: string;
  effectiveFrom: string;
  effectiveTo: string | null;
  values: { key: string; label: string; value: string | number | null }[];
  source: { file: string; row: number; loadId: number };
  current: boolean;
  /** Its load was withdrawn (撤销导入). */
  withdrawn: boolean;
}

export const feedDefinitions = () => api.get<{ items: FeedDefinition[] }>("/api/feeds");
export const feedLoads = () => api.get<{ items: FeedLoad[] }>("/api/feed-loads");
export const withdrawFeedLoad = (id: number, reason: string) =>
  api.post<FeedWithdrawal>(`/api/feed-loads/${id}/withdraw`, { reason });
export const feedLoad = (id: number) => api.get<FeedLoad>(`/api/feed-loads/${id}`);
export const feedReport = (id: number) => api.get<ComparisonReport>(`/api/feed-loads/${id}/report`);
export const feedReportUrl = (id: number) => `/api/feed-loads/${id}/report.xlsx`;
export const householdFacts = (number: string) =>
  api.get<{ items: Fact[] }>(`/api/households/${encodeURIComponent(number)}/facts`);

/** Uploads a file of a feed type; `onProgress` gets the share of bytes sent (0–1). */
export function uploadFeed(
  type: string,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<FeedLoadReport> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", withQuery(`/api/feeds/${type}/loads`, { fileName: file.name }));
    xhr.setRequestHeader("accept", "application/json");
    xhr.setRequestHeader("content-type", "application/octet-stream");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, { kind: "network", message: "", code: "network" }));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: reported below by status
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as FeedLoadReport);
      const error = new ApiError(
        xhr.status,
        (body as { error?: ApiErrorBody } | null)?.error ?? {
          kind: "unexpected_state",
          message: "",
          code: `http_${xhr.status}`,
        },
      );
      if (error.isSignedOut) window.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT));
      reject(error);
    };
    xhr.send(file);
  });
}
