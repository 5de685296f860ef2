import type { Database } from 'better-sqlite3';
import type { TimeRange, UsageCounts, UsageReport } from '../admin-store.js';
import { dayLabel, shanghaiDay } from '../shanghai-day.js';

interface CountsRow {
  chats: number;
  tokens_in: number;
  tokens_out: number;
  errors: number;
  blocked: number;
}

// Errors per (day, user): failed answers, plus questions that were let through but got no
// answer at all (a model that failed before its first word stores no answer).
const SUMS = `SUM(questions) AS chats, SUM(tokens_in) AS tokens_in, SUM(tokens_out) AS tokens_out,
  SUM(failed + MAX(0, questions - blocked - answers)) AS errors, SUM(blocked) AS blocked`;

/** The usage report from admin_usage (kept by the indexer), whole Asia/Shanghai days. */
export function sqliteUsage(db: Database, range: Required<TimeRange>, topUsers: number): UsageReport {
  const first = shanghaiDay(range.from);
  const last = shanghaiDay(range.to);
  const byDay = new Map(
    db
      .prepare<[number, number], CountsRow & { day: number }>(
        `SELECT day, ${SUMS} FROM admin_usage WHERE day BETWEEN ? AND ? GROUP BY day`,
      )
      .all(first, last)
      .map((row) => [row.day, counts(row)]),
  );
  const days: UsageReport['days'] = [];
  for (let day = first; day <= last; day++) days.push({ day: dayLabel(day), ...(byDay.get(day) ?? zero()) });
  const users = db
    .prepare<[number, number, number], CountsRow & { openid: string }>(
      `SELECT openid, ${SUMS} FROM admin_usage WHERE day BETWEEN ? AND ? GROUP BY openid
       ORDER BY chats DESC, tokens_in + tokens_out DESC, openid LIMIT ?`,
    )
    .all(first, last, topUsers)
    .map((row) => ({ openid: row.openid, ...counts(row) }));
  const totals = zero();
  for (const day of days) {
    totals.chats += day.chats;
    totals.tokensIn += day.tokensIn;
    totals.tokensOut += day.tokensOut;
    totals.errors += day.errors;
    totals.blocked += day.blocked;
  }
  return { days, users, totals };
}

function counts(row: CountsRow): UsageCounts {
  return { chats: row.chats, tokensIn: row.tokens_in, tokensOut: row.tokens_out, errors: row.errors, blocked: row.blocked };
}

function zero(): UsageCounts {
  return { chats: 0, tokensIn: 0, tokensOut: 0, errors: 0, blocked: 0 };
}
