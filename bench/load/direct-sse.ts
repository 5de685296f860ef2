/**
 * The baseline client: reads the fake model's SSE stream itself, with nothing in between, timed
 * like a gateway client (request → first delta, gaps between deltas). What the gateway adds is
 * the difference between the two, measured in the same process, in interleaved rounds.
 */
import { performance } from 'node:perf_hooks';
import { checkDeltas } from './delta-integrity.js';
import type { ChatSample } from './load-protocol.js';

export async function directChat(baseUrl: string, expected: string, keepGaps: boolean): Promise<ChatSample> {
  const start = performance.now();
  const deltas: { delta: string }[] = [];
  const gaps: number[] = [];
  let ttfd = NaN;
  let last = start;
  let maxGap = 0;
  try {
    const response = await fetch(`${baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'bench', stream: true, messages: [{ role: 'user', content: '基准测试的问题' }] }),
    });
    if (!response.ok || !response.body) throw new Error(`model answered ${response.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      const at = performance.now();
      buffer += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end).replace(/^data: /, '');
        buffer = buffer.slice(end + 2);
        if (event === '[DONE]') continue;
        const delta = (JSON.parse(event) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content;
        if (!delta) continue;
        if (Number.isNaN(ttfd)) ttfd = at - start;
        else {
          maxGap = Math.max(maxGap, at - last);
          if (keepGaps) gaps.push(at - last);
        }
        last = at;
        deltas.push({ delta });
      }
    }
  } catch (error) {
    return { ttfd, maxGap, deltas: deltas.length, total: performance.now() - start, violations: [], error: String(error), ...(keepGaps && { gaps }) };
  }
  const text = deltas.map((d) => d.delta).join('');
  return { ttfd, maxGap, deltas: deltas.length, total: performance.now() - start, violations: checkDeltas({ deltas, finalText: text, expected }), ...(keepGaps && { gaps }) };
}
