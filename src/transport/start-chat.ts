import type { Asker, ChatInput, ChatService, StartedAnswer } from '../chat/chat-service.js';
import type { UsageLimits } from '../limits/usage-limits.js';
import type { RequestId } from '../protocol/client-messages.js';

/**
 * A chat as every transport starts it: the user's minute and day limits first, then the
 * answer, whose model tokens count against the day once it ends. Resolves once the question is
 * stored (the transport acknowledges it then: never a question that could still be lost).
 * Throws what the client should see (LimitExceededError, AppError, StoreError). `stillWanted`
 * is asked after the limiter's answer (it may wait on Redis): a client that left meanwhile gets
 * no run (undefined). A retried request (same `requestId`) joins its answer (`joined`): its
 * tokens were counted once, and the answer is not the retry's to cancel.
 */
export async function startChat(
  limits: UsageLimits,
  chat: ChatService,
  asker: Asker,
  input: ChatInput,
  stillWanted: () => boolean = () => true,
  requestId?: RequestId,
): Promise<StartedAnswer | undefined> {
  await limits.admitChat(asker.openid);
  if (!stillWanted()) return undefined;
  const started = await chat.start(asker, input, requestId);
  if (!started.joined) limits.recordAnswer(asker.openid, started.run.done);
  return started;
}
