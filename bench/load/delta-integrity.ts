/**
 * Did a streamed answer arrive whole? Every streamed chat of the benchmark goes through this:
 * a dropped, duplicated or reordered delta, or a final text that is not the concatenation of
 * the deltas (or not the model's answer), is a violation and makes `npm run bench` exit non-zero.
 */

export interface ReceivedDelta {
  /** `data.index` of a gateway `chat_delta`; undefined for a client that sends none (the seed peer) */
  index?: number | undefined;
  delta: string;
}

export interface IntegrityInput {
  deltas: readonly ReceivedDelta[];
  /** `chat_response.data.msg`; undefined when the answer ended in an error (only order is checked then) */
  finalText?: string | undefined;
  /** what the model was scripted to say; undefined skips that comparison */
  expected?: string | undefined;
}

/** Human-readable problems, empty when the stream is intact. */
export function checkDeltas({ deltas, finalText, expected }: IntegrityInput): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  let highest = -1;
  for (const [position, { index }] of deltas.entries()) {
    if (index === undefined) continue;
    if (seen.has(index)) problems.push(`duplicated delta ${index} at position ${position}`);
    else if (index < highest) problems.push(`reordered delta ${index} after ${highest}`);
    seen.add(index);
    highest = Math.max(highest, index);
  }
  // Gaps below the highest index are drops; drops at the end show up as a text mismatch below.
  for (let i = 0; i < highest; i++) if (!seen.has(i)) problems.push(`dropped delta ${i}`);
  if (finalText !== undefined) {
    const joined = deltas.map((d) => d.delta).join('');
    if (joined !== finalText) problems.push(`deltas join to ${joined.length} chars, final text has ${finalText.length}`);
    if (expected !== undefined && finalText !== expected) problems.push(`final text differs from the model's answer (${finalText.length} vs ${expected.length} chars)`);
  }
  return problems;
}
