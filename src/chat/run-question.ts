import type { Logger } from 'pino';
import type { StreamPart, TokenUsage, ToolCall } from '../llm/chat-model.js';
import type { AnswerRun } from './answer-run.js';
import { DeltaCoalescer } from './delta-coalescer.js';
import type { Question } from './strategies/answer-strategy.js';

/** What a strategy sees of a run: the question, and the ways to reach the client. */
export function runQuestion(
  run: AnswerRun,
  asked: Pick<Question, 'query' | 'turns' | 'useAutoRag'>,
  /** settles once the question is stored: no text reaches the run before (a rejection ends the call) */
  ready: Promise<unknown>,
  log: Logger,
  coalesceMs: number,
  /** sees every piece of text as it reaches the client (the answer's content check) */
  onText?: (text: string) => void,
): Question {
  return {
    ...asked,
    signal: run.signal,
    log,
    stream: (parts) => streamIntoRun(run, parts, ready, coalesceMs, onText),
    searching: (query) => run.emitProgress('searching', query),
    hasText: () => run.text !== '',
  };
}

/**
 * Sends one model call's text into the run as it comes — coalesced into deltas of at most one
 * per `coalesceMs` — and returns what the call ended with: its usage and any tool calls.
 */
async function streamIntoRun(
  run: AnswerRun,
  parts: AsyncIterable<StreamPart>,
  ready: Promise<unknown>,
  coalesceMs: number,
  onText: ((text: string) => void) | undefined,
): Promise<{ usage?: TokenUsage; toolCalls: ToolCall[] }> {
  const coalescer = new DeltaCoalescer(coalesceMs, (text) => run.emitDelta(text));
  let usage: TokenUsage | undefined;
  let toolCalls: ToolCall[] = [];
  let stored = false;
  try {
    // The request is sent by the first next(); the first part waits for the question's commit
    // (settled long before a model answers). Throwing here ends the call: for-await closes it.
    for await (const part of parts) {
      if (!stored) {
        await ready;
        stored = true;
      }
      if (part.type === 'text-delta') {
        run.text += part.text;
        coalescer.push(part.text);
        onText?.(part.text);
      } else if (part.type === 'tool-calls') {
        toolCalls = part.calls;
      } else {
        usage = part.usage;
      }
    }
    return { usage, toolCalls };
  } finally {
    coalescer.flush();
    coalescer.dispose();
  }
}
