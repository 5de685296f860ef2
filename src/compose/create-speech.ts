import { createHmac, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import type { UsageLimits } from '../limits/usage-limits.js';
import { FileSpeechCache } from '../media/file-speech-cache.js';
import { SpeechService } from '../media/speech-service.js';
import { SpeechUrlSigner } from '../media/speech-url-signer.js';
import { OpenAiSpeechSynthesizer } from '../media/tts/openai-speech-synthesizer.js';
import type { StoredMessage } from '../store/history-store.js';

export interface Speech {
  service: SpeechService;
  signer: SpeechUrlSigner;
  close(): Promise<void>;
}

/**
 * Spoken answers when TTS_BASE_URL is set (undefined otherwise: the route answers 501
 * `tts_not_configured`). Recordings go to DATA_DIR/speech; the play-URL key is TTS_URL_SECRET,
 * else derived from WECHAT_APP_SECRET (the same on every instance, and never leaves the
 * server; a derived key reveals nothing of it), else a random key kept in DATA_DIR.
 */
export async function createSpeech(
  config: Readonly<Config>,
  deps: { findAnswer(openid: string, answerId: string): Promise<StoredMessage | undefined>; limits: UsageLimits; logger: Logger },
): Promise<Speech | undefined> {
  const { tts } = config;
  if (!tts.baseUrl) return undefined;
  const dir = join(config.dataDir, 'speech');
  const cache = await FileSpeechCache.open({ dir, maxAgeMs: tts.cacheDays * 86_400_000 });
  const synthesizer = new OpenAiSpeechSynthesizer({ baseUrl: tts.baseUrl, apiKey: tts.apiKey, model: tts.model, voice: tts.voice, timeoutMs: tts.timeoutMs });
  const service = new SpeechService({
    tts: synthesizer,
    cache,
    findAnswer: deps.findAnswer,
    limits: deps.limits,
    maxCharsPerRequest: tts.maxCharsPerRequest,
    maxConcurrency: tts.maxConcurrency,
    logger: deps.logger.child({ module: 'speech' }),
  });
  const signer = new SpeechUrlSigner(await urlKey(config, dir), tts.urlTtlSeconds * 1000);
  return { service, signer, close: () => cache.close() };
}

/** The play-URL key for a TTS_URL_SECRET (exported for tests that forge an expired URL). */
export function urlKeyFromSecret(secret: string): Buffer {
  return createHmac('sha256', secret).update('speech-url-key').digest();
}

export async function urlKey(config: Readonly<Config>, dir: string): Promise<Buffer> {
  if (config.tts.urlSecret) return urlKeyFromSecret(config.tts.urlSecret);
  if (config.wechat.appSecret) return createHmac('sha256', config.wechat.appSecret).update('wechat-ai-gateway speech-url-key v1').digest();
  return persistedRandomKey(join(dir, 'url-key'));
}

/**
 * A random 32-byte key in `path`, created once: link() of a complete temporary file is atomic
 * and fails when the key exists, so workers starting together all end up with the same key.
 */
async function persistedRandomKey(path: string): Promise<Buffer> {
  const existing = await readFile(path).catch(() => undefined);
  if (existing?.length === 32) return existing;
  await mkdir(join(path, '..'), { recursive: true });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, randomBytes(32), { mode: 0o600 });
  try {
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return readFile(path);
}
