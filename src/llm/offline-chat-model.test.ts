import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { StreamPart } from './chat-model.js';
import { OfflineChatModel } from './offline-chat-model.js';

it('OfflineChatModel answers with a notice naming LLM_BASE_URL, then finishes', async () => {
  const model = new OfflineChatModel();
  assert.equal(model.online, false);
  assert.equal(model.name, 'offline');
  const parts: StreamPart[] = [];
  for await (const p of model.stream({ messages: [{ role: 'user', content: '你好' }], signal: new AbortController().signal })) {
    parts.push(p);
  }
  assert.equal(parts.length, 2);
  assert.ok(parts[0]?.type === 'text-delta' && parts[0].text.includes('离线模式') && parts[0].text.includes('LLM_BASE_URL'));
  assert.deepEqual(parts[1], { type: 'finish', reason: 'stop' });
});
