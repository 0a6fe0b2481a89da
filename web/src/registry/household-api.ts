/** The registry's read and write requests; every write carries the version it was based on. */
import { api } from "../api/client.ts";
import type { HistoryEntry, HouseholdDetail } from "../api/types.ts";

const base = (no: string) => `/api/households/${encodeURIComponent(no)}`;

interface Write {
  version: number;
  reason?: string;
}

export const householdApi = {
  detail: (no: string, opts: { unmask?: boolean; asOf?: string | null }, signal?: AbortSignal) =>
    api.get<HouseholdDetail>(
      base(no),
      { unmask: opts.unmask ? "1" : undefined, asOf: opts.asOf ?? undefined },
      signal,
    ),
  history: (no: string, opts: { unmask?: boolean }, signal?: AbortSignal) =>
    api.get<{ items: HistoryEntry[] }>(
      `${base(no)}/history`,
      { unmask: opts.unmask ? "1" : undefined },
      signal,
    ),
  update: (no: string, body: Write & { changes: Record<string, unknown> }) =>
    api.patch<HouseholdDetail>(base(no), body),
  addMember: (no: string, body: Write & { member: Record<string, unknown> }) =>
    api.post<HouseholdDetail>(`${base(no)}/members`, body),
  updateMember: (
    no: string,
    memberId: number,
    body: Write & { changes: Record<string, unknown> },
  ) => api.patch<HouseholdDetail>(`${base(no)}/members/${memberId}`, body),
  changeHead: (no: string, body: Write & { memberId: number; formerHeadRelationship: string }) =>
    api.post<HouseholdDetail>(`${base(no)}/head`, body),
  removeMember: (
    no: string,
    memberId: number,
    body: { version: number; reason: string; on?: string; note?: string },
  ) => api.post<HouseholdDetail>(`${base(no)}/members/${memberId}/remove`, body),
};

/** The optional 修改原因 as the API wants it: absent when blank. */
export function reasonOf(text: unknown): string | undefined {
  return typeof text === "string" && text.trim() !== "" ? text.trim() : undefined;
}
