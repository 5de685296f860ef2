import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { AnswerListener, AnswerRun } from '../../chat/answer-run.js';
import type { UserLimitStatus } from '../../limits/usage-limits.js';
import { sessionTag, type Session } from '../../auth/session-service.js';
import type { ClientMessage, RequestId } from '../../protocol/client-messages.js';
import { CloseCode } from '../../protocol/close-codes.js';
import { AppError } from '../../protocol/error-catalogue.js';
import { deltaFrameText } from '../../protocol/delta-frame-text.js';
import { parseClientMessage } from '../../protocol/parse-client-message.js';
import {
  cancelResponseFrame,
  clearResponseFrame,
  connectedFrame,
  deltaFrame,
  errorFrame,
  loginData,
  loginErrorFrame,
  loginResponseFrame,
  pongFrame,
  progressFrame,
  retractFrame,
  transcriptFrame,
  suggestionsFrame,
  type ServerFrame,
} from '../../protocol/server-frame.js';
import { toAppError } from '../../protocol/to-app-error.js';
import { answerProcessingFrame, answerResponseFrame } from '../answer-frames.js';
import { conversationReply } from '../conversation-replies.js';
import { logIn } from '../log-in.js';
import { startChat } from '../start-chat.js';
import { MessageRateLimit } from './message-rate-limit.js';
import { sendBounded } from './send-bounded.js';
import { writeTogether } from './write-together.js';
import { SessionLease } from './session-lease.js';
import type { WsConnectionDeps, WsShared } from './ws-connection-deps.js';

/**
 * One WebSocket client: its login state, its timers and its message router. Answers belong
 * to the session, so when this socket closes they are detached (and finish or are cancelled
 * after a grace period), not dropped.
 *
 * After any await the socket may have closed (and `onClose` already detached everything).
 * Sending stays safe (`send` drops frames for a closed socket); starting or following a run,
 * or taking a session, is not: those paths check `closed` after their await.
 */
export class WsConnection {
  private session: Session | undefined;
  /** the session as the store last confirmed it: most messages need no store read */
  private readonly lease = new SessionLease();
  private loginTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly attached = new Map<AnswerRun, AnswerListener>();
  private closed = false;
  private flooding = false;
  private readonly rate: MessageRateLimit;
  /** stops waiting for the last answer's follow-up suggestions (a new question drops them) */
  private dropSuggestions: (() => void) | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: WsConnectionDeps,
    private readonly log: Logger,
    private readonly shared: WsShared,
    /** the client's address (request.ip: X-Forwarded-For only with TRUST_PROXY) */
    private readonly ip: string,
    /** the TCP socket under `socket`, when frames may be written to it directly (send-bounded.ts) */
    private readonly tcp?: Socket,
  ) {
    this.rate = new MessageRateLimit(deps.limits.maxMessagesPerSecond);
  }

  /** bytes queued for this socket that the client has not read yet */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  start(): void {
    this.send(connectedFrame());
    this.loginTimer = this.timer(this.deps.limits.loginTimeoutMs, CloseCode.LOGIN_TIMEOUT, 'login timeout');
    this.resetIdle();
    this.socket.on('message', (data, isBinary) => {
      // frames already received after the close still arrive: ignore them
      if (this.flooding) return;
      if (!this.rate.tryTake()) return this.closeFlooding();
      this.resetIdle();
      if (isBinary) return this.send(errorFrame(new AppError('binary_not_supported')));
      void this.handle(data.toString()).catch((error: unknown) => {
        this.log.error({ error: String(error) }, 'message handler failed');
        this.send(errorFrame(new AppError('internal_error')));
      });
    });
    this.socket.on('close', (code) => this.onClose(code));
    this.socket.on('error', (error) => this.log.warn({ error: String(error) }, 'socket error'));
  }

  private closeFlooding(): void {
    this.flooding = true;
    this.log.warn({ perSecond: this.deps.limits.maxMessagesPerSecond }, 'too many messages: closing socket');
    this.close(CloseCode.TOO_MANY_MESSAGES, 'too many messages');
  }

  /** Server-initiated close (shutdown, policy). */
  close(code: number, reason: string): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason);
    }
  }

  private async handle(text: string): Promise<void> {
    const parsed = parseClientMessage(text);
    if (!parsed.ok) return this.send(errorFrame(parsed.error, parsed.requestId));
    const message = parsed.message;
    const rid = message.request_id;
    if (message.type === 'ping') return this.send(pongFrame(rid));
    if (message.type === 'login') return this.login(message.code, message.session_id, rid);
    const session = await this.requireSession(rid);
    if (!session) return;
    // The socket may have closed while the session store answered: nobody can receive a reply,
    // and a run attached now would never be detached. Only a cancel still acts (stops the model).
    if (this.closed && message.type !== 'cancel') return;
    switch (message.type) {
      case 'chat':
        return this.chat(session, message);
      case 'history':
      case 'conversations':
      case 'delete_conversation':
      case 'feedback': {
        const asker = { openid: session.openid, ownerKey: session.sessionId };
        return this.reply(conversationReply(this.deps.conversations, asker, message, this.deps.limits.historyLimit), rid);
      }
      case 'clear':
        await this.deps.chat.clear({ openid: session.openid, ownerKey: session.sessionId });
        return this.send(clearResponseFrame(rid));
      case 'resume':
        return this.resume(session, message.id, message.from_index, rid);
      case 'cancel': {
        // the answer may run on another instance: cancelling its mirror asks the owner
        const run = await this.deps.chat.findRun(session.sessionId);
        const match = run && (message.id === undefined || message.id === run.id);
        if (match) run.cancel();
        return this.send(cancelResponseFrame(run?.id ?? null, Boolean(match), rid));
      }
    }
  }

  /** Sends a request's reply, or the error it failed with (404, 503…) echoing its request_id. */
  private async reply(pending: Promise<ServerFrame>, rid: RequestId): Promise<void> {
    try {
      this.send(await pending);
    } catch (error) {
      this.send(errorFrame(toAppError(error), rid));
    }
  }

  private async login(code: string | undefined, sessionId: string | undefined, rid: RequestId): Promise<void> {
    let session: Session;
    let limits: UserLimitStatus | undefined;
    try {
      const credential = code !== undefined ? { code } : { sessionId: sessionId! };
      ({ session, limits } = await logIn({ sessions: this.deps.sessions, limits: this.deps.usageLimits, metrics: this.deps.metrics }, this.ip, credential));
    } catch (error) {
      return this.send(loginErrorFrame(toAppError(error), rid));
    }
    if (this.closed) return;
    // the answer in flight may run on another instance (Redis): it is then mirrored here
    const pending = await this.deps.chat.findRun(session.sessionId).catch((error: unknown) => {
      this.log.warn({ error: String(error) }, 'could not look up the answer in flight');
      return undefined;
    });
    if (this.closed) return;
    // A re-login on this socket keeps following its own answer as it was asked for (stream,
    // request_id); answers of another session stop being delivered here.
    this.detachAll(pending);
    // suggestions for an answer of the previous login are not this session's
    this.stopWaitingForSuggestions();
    this.session = session;
    this.lease.clear();
    this.shared.unauthenticated.delete(this);
    clearTimeout(this.loginTimer);
    // a cleared timer kept in a field still costs its memory on every idle socket
    this.loginTimer = undefined;
    this.log.info({ openid: session.openid, session: sessionTag(session.sessionId), resumed: !code }, 'logged in');
    const data = loginData(session, limits);
    // A reconnecting client still gets the answer it was waiting for (its final frame, with
    // the chat's request_id); `resume` replays the deltas it missed and streams the rest.
    if (pending) {
      data.pending_answer = { id: pending.id, next_index: pending.deltas.length };
      if (!this.attached.has(pending)) this.follow(pending, false, this.shared.chatRequestIds.get(pending) ?? pending.requestId);
    }
    this.send(loginResponseFrame(data, rid));
  }

  private async chat(session: Session, message: Extract<ClientMessage, { type: 'chat' }>): Promise<void> {
    const rid = message.request_id;
    // naming a conversation is an extension too: such a client is told where its answer went
    const extended = message.stream || rid !== undefined || message.conversation_id !== undefined;
    // suggestions still being made for the previous answer would arrive after this question
    this.stopWaitingForSuggestions();
    if (this.shared.draining) return this.send(errorFrame(new AppError('shutting_down'), rid));
    let run: AnswerRun | undefined;
    let transcript: string | undefined;
    try {
      const asker = { openid: session.openid, ownerKey: session.sessionId };
      const input = { query: message.query, useAutoRag: message.use_auto_rag, conversationId: message.conversation_id, images: message.images, audio: message.audio };
      // a socket closed while the limiter answered must not start a run nobody would detach
      const started = await startChat(this.deps.usageLimits, this.deps.chat, asker, input, () => !this.closed, rid, this.deps.media);
      ({ run, transcript } = started ?? {});
    } catch (error) {
      return this.send(errorFrame(toAppError(error), rid));
    }
    if (!run) return;
    if (this.closed) {
      // the socket left while the answer was being registered: it gets the grace period a
      // dropped socket gets, so the client can still come back for it
      const nobody: AnswerListener = {};
      run.attach(nobody);
      return run.detach(nobody, this.deps.limits.detachGraceMs);
    }
    if (rid !== undefined && !this.shared.chatRequestIds.has(run)) this.shared.chatRequestIds.set(run, rid);
    // a retry that joined an answer already streaming is sent its deltas now: one write for all
    if (message.stream && run.deltas.length > 0) writeTogether(this.tcp);
    this.send(answerProcessingFrame(run.id, extended, rid));
    // same tick as the attach below: the transcript always precedes the answer's first delta
    if (transcript !== undefined) this.send(transcriptFrame({ id: run.id, text: transcript }, rid));
    // a retry that joined an answer already streaming gets it from the start (same tick as
    // the attach: every index once); a new answer has no delta yet
    if (message.stream) for (const delta of run.deltasFrom(0)) this.send(deltaFrame(delta, rid));
    this.follow(run, message.stream, rid, extended);
  }

  /**
   * Replays deltas from `fromIndex` and streams the rest of an answer in flight, or sends the
   * stored final answer when it already ended. Replay and attach happen in one tick, so the
   * client sees every index exactly once.
   */
  private async resume(session: Session, id: string, fromIndex: number, rid: RequestId): Promise<void> {
    const asker = { openid: session.openid, ownerKey: session.sessionId };
    const run = await this.deps.chat.findRun(asker.ownerKey);
    if (this.closed) return;
    if (run && run.id === id) {
      writeTogether(this.tcp);
      for (const delta of run.deltasFrom(fromIndex)) this.send(deltaFrame(delta, rid));
      return this.follow(run, true, rid);
    }
    const ended = await this.deps.chat.findResult(asker, id);
    if (!ended) return this.send(errorFrame(new AppError('answer_not_found'), rid));
    this.send(answerResponseFrame(ended, session.sessionId, true, rid));
  }

  private follow(run: AnswerRun, stream: boolean, rid: RequestId, extended = true): void {
    const previous = this.attached.get(run);
    const deltaText = stream ? deltaFrameText(run.id, rid) : undefined;
    const listener: AnswerListener = {
      delta: deltaText && ((delta) => this.send(deltaText(delta.index, delta.delta))),
      progress: stream ? (progress) => this.send(progressFrame(progress, rid)) : undefined,
      // only a client that was shown deltas has anything to withdraw
      retract: stream ? (retraction) => this.send(retractFrame(retraction, rid)) : undefined,
      done: (result) => {
        this.attached.delete(run);
        this.send(answerResponseFrame(result, this.session?.sessionId ?? null, extended, rid));
        // seed clients get the seed's frames only; the suggester decides which answers get any
        if (extended && result.status === 'complete') this.waitForSuggestions(run, rid);
      },
    };
    // an answer that ended before this listener could attach: its final frame carries the whole text
    if (run.result) return listener.done!(run.result);
    this.attached.set(run, listener);
    run.attach(listener);
    // attach before detaching the old listener, so the run never looks abandoned
    if (previous) run.detach(previous, this.deps.limits.detachGraceMs);
  }

  /** `chat_suggestions` for `run`, if they come before the next question (chat/suggestions/). */
  private waitForSuggestions(run: AnswerRun, rid: RequestId): void {
    this.stopWaitingForSuggestions();
    const stop = run.followUps.wait((suggestions) => {
      if (this.dropSuggestions === stop) this.dropSuggestions = undefined;
      this.send(suggestionsFrame(suggestions, rid));
    });
    this.dropSuggestions = stop;
  }

  private stopWaitingForSuggestions(): void {
    this.dropSuggestions?.();
    this.dropSuggestions = undefined;
  }

  /**
   * The socket's session, re-checked so an expired one is refused with session_expired: from
   * the lease while it holds (never past the record's expiry), else from the store.
   */
  private async requireSession(rid: RequestId): Promise<Session | undefined> {
    if (!this.session) {
      this.send(errorFrame(new AppError('not_logged_in'), rid));
      return undefined;
    }
    const leased = this.lease.current(this.session.sessionId);
    if (leased) return leased;
    try {
      const { session, expiresAt } = await this.deps.sessions.confirm(this.session.sessionId);
      // a re-login while the store answered: the new session is not this one
      if (this.session?.sessionId === session.sessionId) this.lease.grant(session, expiresAt);
      return session;
    } catch (error) {
      const appError = toAppError(error);
      this.lease.clear();
      if (appError.reason === 'session_expired') this.session = undefined;
      this.send(errorFrame(appError, rid));
      return undefined;
    }
  }

  private send(message: ServerFrame | string): void {
    if (!sendBounded(this.socket, message, this.deps.limits, this.shared, this.tcp)) {
      this.log.warn({ buffered: this.socket.bufferedAmount }, 'client not reading: dropping it');
    }
  }

  private resetIdle(): void {
    // one timer for the socket's life, re-armed in place: no timer and closure per message
    if (this.idleTimer) this.idleTimer.refresh();
    else this.idleTimer = this.timer(this.deps.limits.idleTimeoutMs, CloseCode.IDLE_TIMEOUT, 'idle timeout');
  }

  private timer(ms: number, code: number, reason: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      // A client waiting for an answer is not idle, even if it sends nothing meanwhile.
      if (code === CloseCode.IDLE_TIMEOUT && this.attached.size > 0) return this.resetIdle();
      this.log.info({ reason }, 'closing socket');
      this.close(code, reason);
    }, ms);
    timer.unref();
    return timer;
  }

  private detachAll(keep?: AnswerRun): void {
    for (const [run, listener] of this.attached) {
      if (run === keep) continue;
      run.detach(listener, this.deps.limits.detachGraceMs);
      this.attached.delete(run);
    }
  }

  private onClose(code: number): void {
    this.closed = true;
    this.shared.unauthenticated.delete(this);
    clearTimeout(this.loginTimer);
    clearTimeout(this.idleTimer);
    this.detachAll();
    this.stopWaitingForSuggestions();
    this.log.info({ code }, 'socket closed');
  }
}
