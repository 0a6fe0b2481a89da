/**
 * The one way the web client talks to the server: JSON over fetch with the session cookie.
 * Failures become `ApiError`, carrying the server's `{error:{kind,message,field?,code?}}`.
 */

export interface ApiErrorBody {
  kind: string;
  message: string;
  field?: string;
  code?: string;
  /** Why a case was refused (each condition that does not hold). */
  reasons?: string[];
  detail?: Record<string, unknown>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly kind: string;
  readonly field: string | undefined;
  readonly code: string | undefined;
  readonly detail: Record<string, unknown> | undefined;
  readonly reasons: string[] | undefined;

  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.name = "ApiError";
    this.status = status;
    this.kind = body.kind;
    this.field = body.field;
    this.code = body.code;
    this.detail = body.detail;
    this.reasons = body.reasons;
  }

  /** Someone else wrote the household since it was read (HTTP 409, `version_conflict`). */
  get isVersionConflict(): boolean {
    // Other conflicts (an ID number already in another household) name their own code and field.
    return (
      this.code === "version_conflict" ||
      (this.status === 409 && this.kind === "conflict" && !this.code)
    );
  }

  get isSignedOut(): boolean {
    return this.status === 401 || this.code === "not_signed_in";
  }
}

/** Raised when the session ends; the session provider listens and shows the sign-in page. */
export const SIGNED_OUT_EVENT = "fangpin:signed-out";

type Query = Record<string, string | number | boolean | null | undefined>;

/** `/api/x` plus the non-empty parameters of `query`. */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "" || v === false) continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: "same-origin",
      headers:
        body === undefined
          ? { accept: "application/json" }
          : { accept: "application/json", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new ApiError(0, { kind: "network", message: "", code: "network" });
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const err = (json as { error?: ApiErrorBody } | null)?.error;
    const apiError = new ApiError(
      res.status,
      err ?? { kind: "unexpected_state", message: "", code: `http_${res.status}` },
    );
    if (apiError.isSignedOut && !path.startsWith("/api/auth/login")) {
      window.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT));
    }
    throw apiError;
  }
  return json as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) =>
    request<T>("GET", withQuery(path, query), undefined, signal),
  post: <T>(path: string, body: unknown = {}, signal?: AbortSignal) =>
    request<T>("POST", path, body, signal),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  put: <T>(path: string, body: unknown) => request<T>("PUT", path, body),
};

/** True when the promise was cancelled because the component no longer needs it. */
export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === "AbortError";
}
