import { randomUUID } from 'node:crypto';
import type { StoredMessage } from './history-store.js';

/** Helpers shared by the HistoryStore contract suites. */

export function openid(): string {
  return `o_${randomUUID()}`;
}

export function msg(
  id: string,
  role: StoredMessage['role'] = 'user',
  extra: Partial<StoredMessage> = {},
): StoredMessage {
  return { id, role, content: `content of ${id}`, status: 'complete', createdAt: 1_700_000_000_000, ...extra };
}

export function ids(messages: StoredMessage[]): string[] {
  return messages.map((m) => m.id);
}
