import type { Logger } from 'pino';
import type { TokenUsage } from '../llm/chat-model.js';
import { LimitExceededError, type LimitKind } from './limit-exceeded-error.js';
import type { RateLimiter, RateRule } from './rate-limiter.js';

/** The configured limits; 0 = unlimited (config/config-schema.ts `limits`). */
export interface LimitSettings {
  userChatsPerMinute: number;
  userTokensPerDay: number;
  ipLoginsPerMinute: number;
  ipConnectionsPerMinute: number;
  /** seconds of voice questions transcribed per user per day (USER_ASR_SECONDS_PER_DAY); absent or 0 = unlimited */
  userAsrSecondsPerDay?: number;
  /** POST /wechat/upload per user per minute (optional so older callers keep compiling; absent = unlimited) */
  userUploadsPerMinute?: number;
  /** bytes of uploads stored per user per day (Asia/Shanghai); absent = unlimited */
  userUploadBytesPerDay?: number;
  /** characters of spoken answers synthesized per user per day (USER_TTS_CHARS_PER_DAY); absent = unlimited */
  userTtsCharsPerDay?: number;
}

/** A user's limits and what is left now; `*Left` is null when the limit is off (0). */
export interface UserLimitStatus {
  chatsPerMinute: number;
  chatsLeft: number | null;
  tokensPerDay: number;
  tokensLeft: number | null;
}

const MINUTE = 60_000;
/**
 * Token quotas reset at midnight Asia/Shanghai (UTC+8, no daylight saving): our users are in
 * China, and "今日额度" must mean their day, not UTC's (which would reset at 08:00 there).
 */
const SHANGHAI_DAY: Omit<RateRule, 'limit'> = { windowMs: 24 * 3_600_000, offsetMs: 8 * 3_600_000 };

/**
 * The gateway's usage policy over a RateLimiter: who may chat, log in, connect, and how many
 * model tokens a user may spend a day. Transports call it at their edge; the chat service
 * knows nothing of it.
 *
 * Fail-open: when the limiter's backend (Redis) fails, every check allows and one warning is
 * logged until it answers again. Limits protect the operator's budget from abuse; refusing
 * every chat during a Redis blip would turn that protection into an outage, while the
 * process-wide model concurrency cap (LLM_MAX_CONCURRENCY) still bounds spend meanwhile.
 */
export class UsageLimits {
  private failing = false;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly settings: LimitSettings,
    private readonly logger: Logger,
    /** told of every refusal (the metrics), by limit */
    private readonly onRefused: (limit: LimitKind) => void = () => {},
  ) {}

  /**
   * Before a chat starts: refuses a user already past today's tokens (nothing consumed), then
   * takes one chat of this minute. Throws LimitExceededError.
   */
  async admitChat(openid: string): Promise<void> {
    const { userTokensPerDay, userChatsPerMinute } = this.settings;
    if (userTokensPerDay > 0 && userChatsPerMinute > 0) {
      // both limits on: one limiter call (one Redis round trip per chat, not two)
      const tokens = { key: `tokens:${openid}`, rule: { limit: userTokensPerDay, ...SHANGHAI_DAY } };
      const result = await this.guard(() => this.limiter.peekThenConsume(tokens, `chat:${openid}`, { limit: userChatsPerMinute, windowMs: MINUTE }));
      if (result && !result.gate.allowed) throw this.refuse('token_quota', result.gate.retryAfterSeconds);
      if (result?.taken && !result.taken.allowed) throw this.refuse('chat_rate', result.taken.retryAfterSeconds);
      return;
    }
    if (userTokensPerDay > 0) {
      const tokens = await this.guard(() => this.limiter.peek(`tokens:${openid}`, { limit: userTokensPerDay, ...SHANGHAI_DAY }));
      if (tokens && !tokens.allowed) throw this.refuse('token_quota', tokens.retryAfterSeconds);
    }
    await this.take('chat_rate', `chat:${openid}`, userChatsPerMinute);
  }

  /** Counts an answer's model tokens (prompt + completion) once it ends; answers without usage count nothing. */
  recordAnswer(openid: string, done: Promise<{ usage?: TokenUsage | undefined }>): void {
    const limit = this.settings.userTokensPerDay;
    if (limit === 0) return;
    void done.then(({ usage }) => {
      const tokens = usage ? usage.promptTokens + usage.completionTokens : 0;
      if (tokens > 0) return this.guard(() => this.limiter.add(`tokens:${openid}`, { limit, ...SHANGHAI_DAY }, tokens));
    });
  }

  /**
   * Before a voice question is transcribed: refuses a user whose transcription seconds for today
   * are used up (nothing consumed). Like tokens, the cost is known only afterwards.
   */
  async admitTranscription(openid: string): Promise<void> {
    const limit = this.settings.userAsrSecondsPerDay ?? 0;
    if (limit === 0) return;
    const seconds = await this.guard(() => this.limiter.peek(`asr:${openid}`, { limit, ...SHANGHAI_DAY }));
    if (seconds && !seconds.allowed) throw this.refuse('asr_quota', seconds.retryAfterSeconds);
  }

  /** Counts a transcribed recording's seconds (whatever its transcript: the provider charged them). */
  async recordTranscription(openid: string, seconds: number): Promise<void> {
    const limit = this.settings.userAsrSecondsPerDay ?? 0;
    if (limit === 0 || seconds <= 0) return;
    await this.guard(() => this.limiter.add(`asr:${openid}`, { limit, ...SHANGHAI_DAY }, seconds));
  }

  /**
   * Before a spoken answer is synthesized: takes `chars` of today's speech characters, or
   * refuses (nothing taken) when they do not fit. Cached replays never come here.
   */
  async admitSpeech(openid: string, chars: number): Promise<void> {
    const limit = this.settings.userTtsCharsPerDay ?? 0;
    if (limit === 0) return;
    const decision = await this.guard(() => this.limiter.consume(`tts:${openid}`, { limit, ...SHANGHAI_DAY }, chars));
    if (decision && !decision.allowed) throw this.refuse('tts_quota', decision.retryAfterSeconds);
  }

  /** Gives back what `admitSpeech` took for a synthesis that failed. */
  refundSpeech(openid: string, chars: number): void {
    const limit = this.settings.userTtsCharsPerDay ?? 0;
    if (limit === 0) return;
    void this.guard(() => this.limiter.add(`tts:${openid}`, { limit, ...SHANGHAI_DAY }, -chars));
  }

  /** A login that goes to WeChat (with a code) from `ip`. */
  admitLogin(ip: string): Promise<void> {
    return this.take('ip_login', `login:${ip}`, this.settings.ipLoginsPerMinute);
  }

  /** A new WebSocket from `ip`. */
  admitConnection(ip: string): Promise<void> {
    return this.take('ip_connection', `conn:${ip}`, this.settings.ipConnectionsPerMinute);
  }

  /**
   * An upload (POST /wechat/upload) by `openid`, before its body is read: refuses a user past
   * today's upload bytes (nothing consumed), then takes one upload of this minute.
   */
  async admitUpload(openid: string): Promise<void> {
    const bytesPerDay = this.settings.userUploadBytesPerDay ?? 0;
    if (bytesPerDay > 0) {
      const used = await this.guard(() => this.limiter.peek(`upload_bytes:${openid}`, { limit: bytesPerDay, ...SHANGHAI_DAY }));
      if (used && !used.allowed) throw this.refuse('upload_quota', used.retryAfterSeconds);
    }
    await this.take('upload_rate', `upload:${openid}`, this.settings.userUploadsPerMinute ?? 0);
  }

  /** Counts a stored upload's bytes against the user's day (known only once the file is in). */
  async recordUpload(openid: string, bytes: number): Promise<void> {
    const limit = this.settings.userUploadBytesPerDay ?? 0;
    if (limit > 0) await this.guard(() => this.limiter.add(`upload_bytes:${openid}`, { limit, ...SHANGHAI_DAY }, bytes));
  }

  /** The user's limits and what is left (login_response.data.limits); undefined while the backend fails. */
  async status(openid: string): Promise<UserLimitStatus | undefined> {
    const { userChatsPerMinute: chatsPerMinute, userTokensPerDay: tokensPerDay } = this.settings;
    const left = async (key: string, rule: RateRule) => (rule.limit > 0 ? (await this.limiter.peek(key, rule)).remaining : null);
    const counts = await this.guard(() =>
      Promise.all([
        left(`chat:${openid}`, { limit: chatsPerMinute, windowMs: MINUTE }),
        left(`tokens:${openid}`, { limit: tokensPerDay, ...SHANGHAI_DAY }),
      ]),
    );
    if (!counts) return undefined;
    return { chatsPerMinute, chatsLeft: counts[0], tokensPerDay, tokensLeft: counts[1] };
  }

  close(): Promise<void> {
    return this.limiter.close();
  }

  private async take(kind: LimitKind, key: string, limit: number): Promise<void> {
    if (limit === 0) return;
    const decision = await this.guard(() => this.limiter.consume(key, { limit, windowMs: MINUTE }));
    if (decision && !decision.allowed) throw this.refuse(kind, decision.retryAfterSeconds);
  }

  private refuse(kind: LimitKind, retryAfterSeconds: number): LimitExceededError {
    this.onRefused(kind);
    return new LimitExceededError(kind, retryAfterSeconds);
  }

  /** Runs a limiter call; a backend failure yields undefined (allow) and one warning per outage. */
  private async guard<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await call();
      if (this.failing) {
        this.failing = false;
        this.logger.info('rate limiter answers again: limits are enforced');
      }
      return result;
    } catch (error) {
      if (!this.failing) {
        this.failing = true;
        this.logger.warn({ error: String(error) }, 'rate limiter unavailable: limits are off until it answers (fail-open)');
      }
      return undefined;
    }
  }
}
