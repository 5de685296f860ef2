import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService } from '../../auth/session-service.js';
import type { Speech } from '../../compose/create-speech.js';
import type { CachedSpeech } from '../../media/speech-cache.js';
import type { SpeechFlight } from '../../media/speech-flight.js';
import { AppError } from '../../protocol/error-catalogue.js';
import { replyError } from './reply-error.js';
import { parseRange } from './parse-range.js';

export interface SpeechRouteOptions {
  sessions: SessionService;
  /** undefined = TTS_BASE_URL unset: both routes answer 501 `tts_not_configured` */
  speech: Speech | undefined;
}

interface Params {
  answerId: string;
}

/** Answer ids are UUIDs today; anything outside this shape cannot be one (and never reaches a store). */
const ANSWER_ID = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * Spoken answers (docs/media.md §语音播报):
 * - `GET /wechat/speech/{answer_id}` with `Authorization: Bearer <session_id>`, or with
 *   `?t=<token>` from the route below (InnerAudioContext cannot send headers): the answer's
 *   MP3. The first play streams as the provider synthesizes (chunked, no length); a replay
 *   comes from the cache with its length and honours `Range` (players seek with it).
 * - `POST /wechat/speech/{answer_id}/url` (Bearer): `{data: {url, expires_at}}`, a relative URL
 *   playing that answer without headers until `expires_at` (TTS_URL_TTL_SECONDS).
 * Only the answer's owner gets either: another user's id reads exactly like an unknown one (404).
 * Request logs stay at warn here: the URL carries a play token.
 */
export function registerSpeechRoute(app: FastifyInstance, options: SpeechRouteOptions): void {
  const { sessions, speech } = options;

  const bearerOpenid = async (request: FastifyRequest): Promise<string> => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!match) throw new AppError('not_logged_in');
    return (await sessions.authenticate(match[1]!)).openid;
  };

  app.get<{ Params: Params; Querystring: { t?: unknown } }>(
    '/wechat/speech/:answerId',
    { logLevel: 'warn', exposeHeadRoute: false },
    async (request, reply) => {
      try {
        if (!speech) throw new AppError('tts_not_configured');
        const { answerId } = request.params;
        if (!ANSWER_ID.test(answerId)) throw new AppError('answer_not_found');
        const token = request.query.t;
        let openid: string;
        if (token !== undefined) {
          const verdict = typeof token === 'string' ? speech.signer.verify(token, answerId) : 'invalid';
          if (verdict === 'invalid') throw new AppError('speech_url_invalid');
          if (verdict === 'expired') throw new AppError('speech_url_expired');
          openid = verdict.openid;
        } else {
          openid = await bearerOpenid(request);
        }
        const audio = await speech.service.play(openid, answerId);
        if (audio.kind === 'cached') return serveCached(request, reply, audio.audio);
        return streamLive(reply, audio.flight);
      } catch (error) {
        return replyError(reply, error);
      }
    },
  );

  app.post<{ Params: Params }>('/wechat/speech/:answerId/url', async (request, reply) => {
    try {
      if (!speech) throw new AppError('tts_not_configured');
      const { answerId } = request.params;
      if (!ANSWER_ID.test(answerId)) throw new AppError('answer_not_found');
      const openid = await bearerOpenid(request);
      // an URL only for an answer that can be played: the player then never meets a 404 or 409
      await speech.service.prepare(openid, answerId);
      const { token, expiresAt } = speech.signer.sign(answerId, openid);
      return reply.send({
        code: 0,
        message: '成功',
        data: { url: `/wechat/speech/${encodeURIComponent(answerId)}?t=${token}`, expires_at: expiresAt },
      });
    } catch (error) {
      return replyError(reply, error);
    }
  });
}

const AUDIO_HEADERS = { 'content-type': 'audio/mpeg', 'cache-control': 'private, no-store', 'x-content-type-options': 'nosniff' };

/** A finished recording: whole (200, with length) or the one byte range asked for (206). */
function serveCached(request: FastifyRequest, reply: FastifyReply, audio: CachedSpeech): FastifyReply {
  const range = parseRange(request.headers.range, audio.bytes);
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${audio.bytes}`);
    return replyError(reply, new AppError('bad_range'));
  }
  reply.headers({ ...AUDIO_HEADERS, 'accept-ranges': 'bytes' });
  if (!range) return reply.header('content-length', audio.bytes).send(audio.open());
  return reply
    .code(206)
    .header('content-range', `bytes ${range.start}-${range.end}/${audio.bytes}`)
    .header('content-length', range.end - range.start + 1)
    .send(audio.open(range));
}

/**
 * A recording being synthesized: nothing is sent until its first bytes arrive, so a provider
 * that fails at once gets a proper error reply; once bytes went out, a failure can only abort
 * the connection (the player sees a broken download, not a short "complete" file).
 */
function streamLive(reply: FastifyReply, flight: SpeechFlight): Promise<void> {
  return new Promise<void>((resolve) => {
    const raw = reply.raw;
    let started = false;
    let unsubscribe = () => {};
    const finish = () => {
      unsubscribe();
      resolve();
    };
    raw.on('close', () => {
      // gone before the first bytes: nothing to send (the synthesis goes on into the cache)
      if (!started && !reply.sent) reply.hijack();
      finish();
    });
    unsubscribe = flight.subscribe({
      data(bytes) {
        if (raw.destroyed) return;
        if (!started) {
          started = true;
          reply.hijack();
          raw.writeHead(200, { ...AUDIO_HEADERS, 'accept-ranges': 'none', ...corsHeaders(reply.getHeaders()) });
        }
        raw.write(bytes);
      },
      end() {
        if (started) raw.end();
        finish();
      },
      error(error) {
        if (started) raw.destroy();
        else void replyError(reply, error);
        finish();
      },
    });
  });
}

/** Hijacked replies skip Fastify's onSend hooks: carry over the CORS headers already set. */
function corsHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('access-control-') && value !== undefined) out[name] = String(value);
  }
  return out;
}
