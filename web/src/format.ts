/**
 * Dates and times as China reads them (UTC+8), whatever the browser's zone: the server stores
 * UTC instants, and a county's staff mean China's day.
 */
import { chinaDate } from "../../src/core/dates.ts";

/** Today in China as YYYY-MM-DD. */
export function chinaToday(): string {
  return chinaDate(new Date());
}

/** The China date of an ISO timestamp; a bare date is returned as it is. */
export function dateOf(iso: string | null | undefined): string {
  if (!iso) return "";
  return iso.length === 10 ? iso : chinaDate(new Date(iso));
}

/** A timestamp as China's date and time (YYYY-MM-DD HH:mm). */
export function chinaDateTime(iso: string): string {
  const at = new Date(new Date(iso).getTime() + 8 * 3_600_000).toISOString();
  return `${at.slice(0, 10)} ${at.slice(11, 16)}`;
}
