/**
 * Asia/Shanghai calendar days (UTC+8, no daylight saving), the days the quota code counts in
 * (src/limits/usage-limits.ts): an operator in China reads "12月1日" as their day, not UTC's.
 */
const OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 24 * 3_600_000;

/** Day number (days since 1970-01-01 in Shanghai) of an instant. */
export function shanghaiDay(epochMs: number): number {
  return Math.floor((epochMs + OFFSET_MS) / DAY_MS);
}

/** The first millisecond of a day number. */
export function dayStart(day: number): number {
  return day * DAY_MS - OFFSET_MS;
}

/** `YYYY-MM-DD` of a day number. */
export function dayLabel(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The day number of `YYYY-MM-DD` (a Shanghai date). */
export function dayOfLabel(label: string): number {
  return Math.floor(Date.parse(`${label}T00:00:00Z`) / DAY_MS);
}
