/**
 * The baseline client: reads the fake model's SSE stream itself, with nothing in between, timed
 * like a gateway client (request → first delta, gaps between deltas). What the gateway adds is
 * the difference between the two, measured in the same process, in interleaved rounds.
 *
 * node:http with a keep-alive agent, not fetch: fetch's web streams cost several times the CPU
 * per chunk of the WS client's frame handling, and at 100+ streams that cost shows up in the
 * baseline's own gaps — a heavier baseline would flatter the gateway.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { checkDeltas } from './delta-integrity.js';
import type { ChatSample } from './load-protocol.js';

const agent = new http.Agent({ keepAlive: true });
const BODY = JSON.stringify({ model: 'bench', stream: true, messages: [{ role: 'user', content: '基准测试的问题' }] });

export function directChat(baseUrl: string, expected: string, keepGaps: boolean): Promise<ChatSample> {
  return new Promise((resolve) => {
    const start = performance.now();
    const deltas: { delta: string }[] = [];
    const gaps: number[] = [];
    let ttfd = NaN;
    let last = start;
    let maxGap = 0;
    let buffer = '';
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      const total = performance.now() - start;
      const violations = error ? [] : checkDeltas({ deltas, finalText: deltas.map((d) => d.delta).join(''), expected });
      resolve({ ttfd, maxGap, deltas: deltas.length, total, violations, ...(keepGaps && { gaps }), ...(error && { error }) });
    };
    const req = http.request(`${baseUrl}/chat/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) } });
    req.on('error', (error) => finish(String(error)));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return finish(`model answered ${res.statusCode}`);
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buffer += chunk;
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
      });
      res.on('end', () => finish());
      res.on('error', (error) => finish(String(error)));
    });
    req.end(BODY);
  });
}
