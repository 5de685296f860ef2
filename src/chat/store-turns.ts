import type { Logger } from 'pino';
import { AppError } from '../protocol/error-catalogue.js';
import { ConversationNotFoundError, type HistoryStore, type StoredMessage } from '../store/history-store.js';
import { storeCall } from '../store/store-call.js';
import { StoreError } from '../store/store-error.js';
import type { LostAnswer } from './answer-registry/answer-registry.js';
import { questionIdOf } from './question-id.js';

/**
 * The chat service's writes to a conversation. A run's conversation is fixed when it starts;
 * the user may delete it while the run goes on (from another request or device): the store
 * then says ConversationNotFoundError, which each write below turns into what fits.
 */

/** The conversation a question goes to: the one asked for (made current), else the current one. */
export async function conversationFor(history: HistoryStore, openid: string, requested: string | undefined): Promise<string> {
  if (requested === undefined) return storeCall(history.currentConversation(openid));
  if (await storeCall(history.openConversation(openid, requested))) return requested;
  throw new AppError('conversation_not_found');
}

/**
 * Stores a question in `conversationId`, or the current conversation when absent; resolves with
 * the conversation it went to. Deleted since the run started, it has nowhere to go: 404 to the asker.
 */
export async function storeQuestion(history: HistoryStore, openid: string, question: StoredMessage, conversationId: string | undefined): Promise<string> {
  return storeCall(history.append(openid, question, conversationId)).catch((error: unknown) => {
    if (error instanceof StoreError && error.cause instanceof ConversationNotFoundError) throw new AppError('conversation_not_found');
    throw error;
  });
}

/**
 * Stores an answer, never throwing: the client gets the answer anyway, and the operator learns
 * the store is failing — unless the user deleted the conversation meanwhile: nothing to keep.
 */
export async function storeAnswer(history: HistoryStore, openid: string, answer: StoredMessage, conversationId: string, log: Logger): Promise<void> {
  try {
    await history.append(openid, answer, conversationId);
  } catch (error) {
    if (error instanceof ConversationNotFoundError) log.info('conversation deleted while answering: answer not stored');
    else log.error({ error: String(error) }, 'could not store answer');
  }
}

/**
 * An answer whose instance died mid-way: its partial text is kept, as a failed answer, beside
 * its question (no question left: the user deleted the conversation, nothing to keep).
 */
export async function storeLostAnswer(history: HistoryStore, lost: LostAnswer): Promise<void> {
  if (lost.text === '' || lost.openid === '') return;
  const asked = await history.findMessage(lost.openid, questionIdOf(lost.id));
  if (!asked) return;
  const answer: StoredMessage = { id: lost.id, role: 'assistant', content: lost.text, status: 'failed', createdAt: Date.now() };
  await history.append(lost.openid, answer, asked.conversationId).catch((error: unknown) => {
    if (!(error instanceof ConversationNotFoundError)) throw error;
  });
}
