import type { Logger } from 'pino';
import { bindLogger } from '../../observability/bind-logger.js';
import type { KbHit } from '../../knowledge-base/knowledge-base.js';
import type { AnswerRun } from '../answer-run.js';
import { checkWithPolicy, type ModerationPolicy } from '../moderation-policy.js';
import type { SuggestionRequest, SuggestionSource } from './suggestion-source.js';

/** What the chat service reports once an answer ended (its `afterAnswer` hook). */
export interface FinishedAnswer {
  run: AnswerRun;
  /** the question, as stored */
  query: string;
  /** the knowledge-base passages the answer was grounded on */
  passages: KbHit[];
}

export interface FollowUpSuggesterDeps {
  /** tried in order; the first that yields suggestions wins, a failing one hands over to the next */
  sources: SuggestionSource[];
  /** the whole generation's deadline (checks included), ms */
  timeoutMs: number;
  logger: Logger;
  /** model slots (the answers' ConcurrencyGate): a generated source runs only when one is free now */
  slots?: { tryEnter(): (() => void) | null };
  /** content security: generated suggestions that fail it are dropped; absent = no check */
  moderation?: ModerationPolicy;
}

/**
 * The after-answer hook that produces `chat_suggestions`. It runs after the answer's final frame
 * went out and its model slot was returned, only for a complete answer (never a cancelled,
 * failed, refused or withdrawn one) that somebody waits suggestions for. Nothing it does
 * reaches the client as an error: a failure, garbage or the deadline means no suggestions and
 * a debug line.
 */
export class FollowUpSuggester {
  constructor(private readonly deps: FollowUpSuggesterDeps) {}

  /**
   * Starts generating in the background and returns at once; never throws. The promise
   * settles (never rejects) once the suggestions were offered: callers need not wait for it.
   */
  afterAnswer(finished: FinishedAnswer): Promise<void> {
    const { run } = finished;
    const result = run.result;
    const eligible = result?.status === 'complete' && !run.retracted && result.text.trim() !== '';
    const log = bindLogger(this.deps.logger, { answerId: run.id });
    if (!eligible || !run.followUps.wanted) {
      log.debug({ status: result?.status, wanted: run.followUps.wanted }, 'no follow-up suggestions for this answer');
      run.followUps.offer([]);
      return Promise.resolve();
    }
    const request: SuggestionRequest = {
      question: finished.query,
      answer: result.text,
      cited: finished.passages.map(({ chunkId, docId, title, headingPath }) => ({ chunkId, docId, title, headingPath })),
    };
    const deadline = AbortSignal.timeout(this.deps.timeoutMs);
    const wanted = run.followUps.signal;
    return this.generate(request, run.openid, { wanted, deadline }, log).then(
      (suggestions) => {
        if (suggestions.length === 0) log.debug('no follow-up suggestions');
        run.followUps.offer(suggestions);
      },
      (error: unknown) => {
        log.debug({ error: String(error) }, 'no follow-up suggestions');
        run.followUps.offer([]);
      },
    );
  }

  /**
   * The first source's suggestions that are not empty. Generated sources stop at the deadline
   * (the knowledge base, in memory, still answers after it); everything stops once nobody waits.
   */
  private async generate(request: SuggestionRequest, openid: string, signals: { wanted: AbortSignal; deadline: AbortSignal }, log: Logger): Promise<string[]> {
    const both = AbortSignal.any([signals.wanted, signals.deadline]);
    for (const source of this.deps.sources) {
      if (signals.wanted.aborted) return [];
      if (source.generated && signals.deadline.aborted) continue;
      const release = source.generated ? this.deps.slots?.tryEnter() : undefined;
      if (release === null) {
        log.debug({ source: source.name }, 'no free model slot for suggestions');
        continue;
      }
      let suggestions: string[];
      try {
        suggestions = await source.suggest(request, source.generated ? both : signals.wanted);
        if (source.generated) suggestions = await this.checked(suggestions, openid, both, log);
      } catch (error) {
        log.debug({ source: source.name, error: String(error) }, 'suggestion source failed');
        continue;
      } finally {
        release?.();
      }
      if (suggestions.length > 0) {
        log.debug({ source: source.name, count: suggestions.length }, 'follow-up suggestions');
        return suggestions;
      }
      log.debug({ source: source.name }, 'suggestion source had none');
    }
    return [];
  }

  /**
   * Generated suggestions through content security: all three in one check (WeChat's quota is
   * small), and only when that flags something, each alone so the others survive.
   */
  private async checked(suggestions: string[], openid: string, signal: AbortSignal, log: Logger): Promise<string[]> {
    const policy = this.deps.moderation;
    if (!policy || suggestions.length === 0) return suggestions;
    const passes = async (text: string) => (await checkWithPolicy(policy, { text, openid, scene: 'answer', signal }, log)).ok && !signal.aborted;
    if (await passes(suggestions.join('\n'))) return suggestions;
    if (suggestions.length === 1) return [];
    const verdicts = await Promise.all(suggestions.map(passes));
    return suggestions.filter((_, i) => verdicts[i]);
  }
}
