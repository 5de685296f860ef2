import type { Asker, ChatService, StartedAnswer } from '../chat/chat-service.js';
import { IMAGE_ONLY_QUESTION, type ChatMedia } from '../chat/chat-media.js';
import type { UsageLimits } from '../limits/usage-limits.js';
import { TranscribeError } from '../media/transcribe-error.js';
import type { RequestId } from '../protocol/client-messages.js';
import { AppError } from '../protocol/error-catalogue.js';
import type { StoredAttachment } from '../store/history-store.js';

/** A chat as a client sends it: typed (`query`), with photos (`images`), or spoken (`audio`). */
export interface ChatAsk {
  query?: string | undefined;
  useAutoRag: boolean;
  /** continue this conversation of the asker's; absent = the current one */
  conversationId?: string | undefined;
  /** upload ids of the user's images */
  images?: string[] | undefined;
  /** upload id of the user's recording: its transcript becomes the question */
  audio?: string | undefined;
}

export interface StartedChat extends StartedAnswer {
  /** a voice question's text: the transport sends it as `chat_transcript` before the answer */
  transcript?: string;
}

/**
 * A chat as every transport starts it: the user's minute and day limits first, then the
 * answer, whose model tokens count against the day once it ends. Resolves once the question is
 * stored (the transport acknowledges it then: never a question that could still be lost).
 * Throws what the client should see (LimitExceededError, AppError, StoreError, TranscribeError).
 * `stillWanted` is asked after the limiter's answer (it may wait on Redis) and after a
 * transcription: a client that left meanwhile gets no run (undefined). A retried request (same
 * `requestId`) joins its answer (`joined`): its tokens were counted once, and the answer is not
 * the retry's to cancel.
 *
 * Photos and recordings (`media`) are checked before anything is stored: an unknown upload, a
 * failed transcription or an empty transcript stores nothing. The transcript then goes through
 * `chat.start` exactly like a typed question (length limit, content security).
 */
export async function startChat(
  limits: UsageLimits,
  chat: ChatService,
  asker: Asker,
  input: ChatAsk,
  stillWanted: () => boolean = () => true,
  requestId?: RequestId,
  media?: ChatMedia,
): Promise<StartedChat | undefined> {
  await limits.admitChat(asker.openid);
  if (!stillWanted()) return undefined;
  const ask = input;
  const attachments: StoredAttachment[] = [];
  let query = ask.query ?? '';
  let transcript: string | undefined;
  if (ask.images?.length) {
    if (!media) throw new AppError('vision_not_configured');
    attachments.push(...(await media.checkImages(asker.openid, ask.images)));
    if (query.trim() === '') query = IMAGE_ONLY_QUESTION;
  }
  if (ask.audio !== undefined) {
    if (!media) throw new TranscribeError('not_configured', 'no media support wired');
    // a second question while one is answered would be refused after its transcription: refuse it before paying for one
    if (requestId === undefined && chat.activeRun(asker.ownerKey)) throw new AppError('chat_in_progress');
    await limits.admitTranscription(asker.openid);
    const heard = await media.transcribe(asker.openid, ask.audio, new AbortController().signal);
    await limits.recordTranscription(asker.openid, heard.seconds);
    if (heard.text === '') throw new TranscribeError('empty', 'the recording has no speech the service recognised');
    attachments.push(heard.attachment);
    query = transcript = heard.text;
    if (!stillWanted()) return undefined;
  }
  const question = { query, useAutoRag: ask.useAutoRag, conversationId: ask.conversationId, ...(attachments.length > 0 && { attachments }) };
  const started = await chat.start(asker, question, requestId);
  if (!started.joined && attachments.length > 0) media?.asked(asker.openid, started.run.id, attachments);
  if (!started.joined) limits.recordAnswer(asker.openid, started.run.done);
  return transcript === undefined ? started : { ...started, transcript };
}
