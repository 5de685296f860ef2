import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { AppError } from '../protocol/error-catalogue.js';
import type { StoredMessage } from '../store/history-store.js';
import { SpeechService, type SpeechServiceDeps } from './speech-service.js';

const answer = (extra: Partial<StoredMessage>): StoredMessage => ({ id: 'a1', role: 'assistant', content: '退货请在七天内申请。', status: 'complete', createdAt: 1, ...extra });

/** prepare() reads the answer and the voice settings: nothing is synthesized, cached or counted. */
function service(found: StoredMessage | undefined): SpeechService {
  const unused = new Proxy({}, { get: () => assert.fail('prepare must not synthesize, cache or count') });
  return new SpeechService({
    tts: { model: 'tts-1', voice: 'alloy', format: 'mp3' } as SpeechServiceDeps['tts'],
    cache: unused as SpeechServiceDeps['cache'],
    limits: unused as SpeechServiceDeps['limits'],
    findAnswer: async () => found,
    maxCharsPerRequest: 500,
    maxConcurrency: 1,
    logger: pino({ level: 'silent' }),
  });
}

const reason = (error: unknown) => (error instanceof AppError ? error.reason : String(error));

test('a complete, unflagged answer can be spoken', async () => {
  const prepared = await service(answer({})).prepare('o', 'a1');
  assert.equal(prepared.text, '退货请在七天内申请。');
});

test('an answer content security flagged later (a risky photo) is not spoken, whatever its status', async () => {
  await assert.rejects(service(answer({ flagged: { label: 'image:20002' } })).prepare('o', 'a1'), (e) => reason(e) === 'speech_unavailable');
});

test('stopped, failed and withdrawn answers are not spoken; questions and unknown ids are not found', async () => {
  for (const status of ['cancelled', 'failed', 'retracted'] as const) {
    await assert.rejects(service(answer({ status })).prepare('o', 'a1'), (e) => reason(e) === 'speech_unavailable');
  }
  await assert.rejects(service(answer({ role: 'user' })).prepare('o', 'a1'), (e) => reason(e) === 'answer_not_found');
  await assert.rejects(service(undefined).prepare('o', 'a1'), (e) => reason(e) === 'answer_not_found');
});
