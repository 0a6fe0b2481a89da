/**
 * Dates. People in fangpin think in China Standard Time (UTC+8, no daylight saving): "as of
 * 2026-03-01" means until the end of that day in Beijing. Timestamps are stored as UTC ISO.
 */
const CST_OFFSET_MS = 8 * 3_600_000;

/** Today's date in China (YYYY-MM-DD). */
export function chinaDate(at: Date): string {
  return new Date(at.getTime() + CST_OFFSET_MS).toISOString().slice(0, 10);
}

/** The first instant after the end of a Chinese calendar day, as a UTC ISO timestamp. */
export function endOfChinaDay(date: string): string {
  const start = Date.parse(`${date}T00:00:00.000Z`) - CST_OFFSET_MS;
  return new Date(start + 86_400_000).toISOString();
}

export const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
export const ISO_MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
