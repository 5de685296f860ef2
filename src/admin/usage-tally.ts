import type { StoredMessage } from '../store/history-store.js';
import type { UsageCounts, UsageReport } from './admin-store.js';
import { dayLabel, shanghaiDay } from './shanghai-day.js';

interface Cell {
  questions: number;
  blocked: number;
  answers: number;
  failed: number;
  tokensIn: number;
  tokensOut: number;
}

/**
 * Usage counted message by message (for stores without a usage table), with the same rules as
 * the SQLite read model: errors per (day, user) are failed answers plus questions let through
 * that got no answer at all.
 */
export class UsageTally {
  readonly #cells = new Map<string, Cell>();

  add(openid: string, message: StoredMessage): void {
    const key = `${shanghaiDay(message.createdAt)}\u0000${openid}`;
    let cell = this.#cells.get(key);
    if (!cell) this.#cells.set(key, (cell = { questions: 0, blocked: 0, answers: 0, failed: 0, tokensIn: 0, tokensOut: 0 }));
    if (message.role === 'user') {
      cell.questions++;
      if (message.status === 'blocked') cell.blocked++;
    } else {
      cell.answers++;
      if (message.status === 'failed') cell.failed++;
      cell.tokensIn += message.usage?.promptTokens ?? 0;
      cell.tokensOut += message.usage?.completionTokens ?? 0;
    }
  }

  report(range: { from: number; to: number }, topUsers: number): UsageReport {
    const days = new Map<number, UsageCounts>();
    const users = new Map<string, UsageCounts>();
    for (const [key, cell] of this.#cells) {
      const [day, openid] = key.split('\u0000') as [string, string];
      const counts: UsageCounts = {
        chats: cell.questions,
        tokensIn: cell.tokensIn,
        tokensOut: cell.tokensOut,
        errors: cell.failed + Math.max(0, cell.questions - cell.blocked - cell.answers),
        blocked: cell.blocked,
      };
      addTo(days, Number(day), counts);
      addTo(users, openid, counts);
    }
    const first = shanghaiDay(range.from);
    const last = shanghaiDay(range.to);
    const report: UsageReport = { days: [], users: [], totals: zero() };
    for (let day = first; day <= last; day++) {
      const counts = days.get(day) ?? zero();
      report.days.push({ day: dayLabel(day), ...counts });
      addCounts(report.totals, counts);
    }
    report.users = [...users]
      .map(([openid, counts]) => ({ openid, ...counts }))
      .sort((a, b) => b.chats - a.chats || b.tokensIn + b.tokensOut - (a.tokensIn + a.tokensOut) || (a.openid < b.openid ? -1 : 1))
      .slice(0, topUsers);
    return report;
  }
}

function addTo<K>(map: Map<K, UsageCounts>, key: K, counts: UsageCounts): void {
  const sum = map.get(key);
  if (sum) addCounts(sum, counts);
  else map.set(key, { ...counts });
}

function addCounts(sum: UsageCounts, counts: UsageCounts): void {
  sum.chats += counts.chats;
  sum.tokensIn += counts.tokensIn;
  sum.tokensOut += counts.tokensOut;
  sum.errors += counts.errors;
  sum.blocked += counts.blocked;
}

function zero(): UsageCounts {
  return { chats: 0, tokensIn: 0, tokensOut: 0, errors: 0, blocked: 0 };
}
