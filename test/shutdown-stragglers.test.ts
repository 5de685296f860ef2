import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { lastUserText, startFakeLlmServer, type FakeLlmServer } from './support/fake-llm-server.js';
import { ask, bearer, login } from './support/speech-client.js';
import { startGateway, type RunningGateway } from './support/start-gateway.js';

/**
 * Shutdown does not wait on a client that stopped reading: a spoken answer still streaming to
 * a paused player is cut once the grace period is over, and the process stops.
 */
describe('shutdown with a download still open', () => {
  let llm: FakeLlmServer;
  let gw: RunningGateway;

  before(async () => {
    llm = await startFakeLlmServer({ apiKey: 'test-key' });
    llm.setReply((body) => `收到：${lastUserText(body)}。`);
    gw = await startGateway({
      llm,
      env: { TTS_BASE_URL: llm.baseUrl, TTS_API_KEY: 'test-key', SHUTDOWN_GRACE_MS: '200', USER_CHATS_PER_MINUTE: '0' },
    });
  });
  after(async () => {
    await gw.stop();
    await llm.close();
  });

  it('cuts a speech stream whose synthesis is still going once the grace is over, and stops', async () => {
    const user = await login(gw.url, 'straggler');
    const answerId = await ask(gw.url, user.sessionId, '你好');
    // the provider sends its audio in 400 parts 100 ms apart: 40 s, far beyond the grace period
    llm.speech.setPacing(400, 100);
    const url = new URL(`/wechat/speech/${answerId}`, gw.url);
    const ended = new Promise<{ bytes: number; complete: boolean }>((resolve, reject) => {
      const req = request(url, { headers: bearer(user.sessionId) }, (res) => {
        assert.equal(res.statusCode, 200);
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve({ bytes, complete: res.complete }));
        res.on('error', () => resolve({ bytes, complete: false }));
        res.on('close', () => resolve({ bytes, complete: res.complete }));
      });
      req.on('error', reject);
      req.end();
    });
    // wait until the stream is open (first bytes out), then stop the gateway
    for (let i = 0; i < 200 && llm.speech.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 300));
    await gw.stop();
    const { bytes, complete } = await ended;
    assert.equal(complete, false, 'the stream was cut, not completed');
    assert.ok(bytes < llm.speech.audio.length, `only part of the audio went out (${bytes} of ${llm.speech.audio.length} bytes)`);
  });
});
