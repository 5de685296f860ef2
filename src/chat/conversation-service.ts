import { AppError } from '../protocol/error-catalogue.js';
import type { Feedback, FeedbackStore, Rating } from '../store/feedback-store.js';
import type { ConversationPage, HistoryStore, StoredMessage } from '../store/history-store.js';
import { storeCall } from '../store/store-call.js';
import type { AnswerRun } from './answer-run.js';
import type { Asker } from './chat-service.js';

export interface ConversationServiceDeps {
  history: HistoryStore;
  feedback: FeedbackStore;
  /** the chat service's view of answers in flight (deleting a conversation cancels its answer) */
  answers: {
    findRun(ownerKey: string): Promise<AnswerRun | undefined>;
    conversationOf(run: AnswerRun): Promise<string | undefined>;
  };
}

/** One conversation's messages, oldest first, with the user's ratings of its answers. */
export interface ConversationView {
  conversationId: string;
  messages: StoredMessage[];
  ratings: Map<string, Feedback>;
}

/**
 * What a user does with their conversations besides asking: list them, read one, delete one,
 * rate answers. Every id a client sends is checked to be the user's own; another user's id
 * reads exactly like an unknown one (404), so nobody learns that it exists.
 */
export class ConversationService {
  constructor(private readonly deps: ConversationServiceDeps) {}

  list(openid: string, page: { limit: number; before?: string | undefined }): Promise<ConversationPage> {
    return storeCall(this.deps.history.listConversations(openid, page.before === undefined ? { limit: page.limit } : { limit: page.limit, before: page.before }));
  }

  /**
   * The last `limit` messages of a conversation (default: the current one, which reading does
   * not change). Throws conversation_not_found for an id that is not the user's.
   */
  async read(openid: string, limit: number, conversationId?: string): Promise<ConversationView> {
    const { history } = this.deps;
    const id = conversationId ?? (await storeCall(history.currentConversation(openid)));
    const messages = await storeCall(history.listRecent(openid, limit, id));
    // [] is also what an unknown id reads: only the current conversation can be empty
    if (messages.length === 0 && conversationId !== undefined && (await storeCall(history.currentConversation(openid))) !== conversationId) {
      throw new AppError('conversation_not_found');
    }
    const answers = messages.filter((m) => m.role === 'assistant').map((m) => m.id);
    const ratings = answers.length === 0 ? new Map<string, Feedback>() : await storeCall(this.deps.feedback.ratingsOf(openid, answers));
    return { conversationId: id, messages, ratings };
  }

  /**
   * Deletes a conversation, its messages and its ratings for good. The session's answer in
   * flight in it is cancelled first (its partial text is stored, then deleted with the rest).
   * An answer another session of the user is generating in it ends without being stored.
   */
  async delete(asker: Asker, conversationId: string): Promise<void> {
    const run = await this.deps.answers.findRun(asker.ownerKey);
    if (run && !run.result && (await this.deps.answers.conversationOf(run)) === conversationId) {
      run.cancel();
      await run.done;
    }
    // ratings first: a failure after them leaves a conversation without ratings, never ratings without a conversation
    await storeCall(this.deps.feedback.deleteConversation(asker.openid, conversationId));
    if (!(await storeCall(this.deps.history.deleteConversation(asker.openid, conversationId)))) {
      throw new AppError('conversation_not_found');
    }
  }

  /**
   * Records (or changes) the user's rating of one of their answers, in any conversation.
   * A question's id, an unknown id or another user's answer: answer_not_found.
   */
  async rate(openid: string, answerId: string, rating: Rating, comment?: string): Promise<Feedback> {
    const found = await storeCall(this.deps.history.findMessage(openid, answerId));
    if (found?.message.role !== 'assistant') throw new AppError('answer_not_found');
    const text = comment?.trim();
    return storeCall(
      this.deps.feedback.rate({ openid, conversationId: found.conversationId, answerId, rating, ...(text ? { comment: text } : {}) }),
    );
  }
}
