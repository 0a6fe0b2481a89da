/**
 * Imports and exports: the upload sends the file itself as the request body (no multipart), the
 * rest goes through the shared API client.
 */
import { ApiError, type ApiErrorBody, api, SIGNED_OUT_EVENT, withQuery } from "../../api/client.ts";

export interface ImportProblem {
  row: number;
  column: string;
  code: string;
  message: string;
  household: string;
  severity: "error" | "warning";
  town: string;
}

export interface Counts {
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

export interface ImportReport {
  file: string;
  dryRun: boolean;
  atomic: "household" | "all";
  committed: boolean;
  rows: number;
  households: Counts;
  members: Counts;
  errors: ImportProblem[];
  extraColumns: string[];
}

export interface ImportJob {
  id: string;
  fileName: string;
  status: "running" | "done" | "failed";
  dryRun: boolean;
  atomic: "household" | "all";
  confirmed: boolean;
  progress: { phase: string; fraction: number; rows: number };
  report: ImportReport | null;
  error: { kind: string; code: string | null; message: string } | null;
}

/** Uploads a file and starts checking it (a dry run). */
export async function startImport(
  file: File,
  options: { atomic: "household" | "all" },
): Promise<ImportJob> {
  let res: Response;
  try {
    res = await fetch(
      withQuery("/api/imports", { dryRun: "true", atomic: options.atomic, fileName: file.name }),
      {
        method: "POST",
        credentials: "same-origin",
        headers: { accept: "application/json", "content-type": "application/octet-stream" },
        body: file,
      },
    );
  } catch {
    throw new ApiError(0, { kind: "network", message: "", code: "network" });
  }
  const body = (await res.json().catch(() => null)) as ImportJob | { error?: ApiErrorBody } | null;
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
  return body as ImportJob;
}

export const importJob = (id: string, signal?: AbortSignal) =>
  api.get<ImportJob>(`/api/imports/${id}`, undefined, signal);

export const confirmImport = (id: string) => api.post<ImportJob>(`/api/imports/${id}/confirm`);

/** An import that wrote to the registry (导入记录). */
export interface ImportHistoryItem {
  id: number;
  at: string;
  /** User name, and the name shown for them (null when the user is gone). */
  actor: string;
  actorName: string | null;
  region: string | null;
  file: string | null;
  format: "xlsx" | "csv" | null;
  households: Counts;
  members: Counts;
  problems: number | null;
}

export const importHistory = (query: { limit: number; before?: number }, signal?: AbortSignal) =>
  api.get<{ items: ImportHistoryItem[]; next: number | null }>(
    "/api/import-history",
    { limit: String(query.limit), ...(query.before ? { before: String(query.before) } : {}) },
    signal,
  );

export const annotatedUrl = (id: string) => `/api/imports/${id}/annotated.xlsx`;

export const exportUrl = (region: string, format: "xlsx" | "csv") =>
  withQuery("/api/exports/national", { region, format });

/** Turns the assistance columns kept from national imports in a region into measures. */
export const measuresFromImports = (region: string) =>
  api.post<{ measures: number; households: number }>("/api/assistance/measures/import-national", {
    region,
  });
