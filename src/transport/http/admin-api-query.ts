import { z } from 'zod';
import { AppError } from '../../protocol/error-catalogue.js';
import { dayOfLabel, dayStart, shanghaiDay } from '../../admin/shanghai-day.js';

/**
 * Query strings of /admin/api/*, validated strictly: an unknown or repeated parameter, a bad
 * date or a limit out of range is a 400 `admin_bad_request` naming the parameter, never a
 * silently ignored filter (an operator would read a wrong list as the truth).
 *
 * Dates (`from`, `to`) are one of:
 * - `YYYY-MM-DD`: an Asia/Shanghai calendar day — `from` its first millisecond, `to` its last,
 *   so `from=2026-12-01&to=2026-12-01` is that whole day;
 * - an ISO 8601 time with its zone: `2026-12-01T08:00:00+08:00`, `2026-12-01T00:00:00Z`;
 * - epoch milliseconds: `1764547200000`.
 * Both ends are inclusive.
 */

const DATE_HELP = '应为 YYYY-MM-DD（北京时间的日期）、带时区的 ISO 时间（如 2026-12-01T08:00:00+08:00）或毫秒时间戳';
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
/** 0 … year 9999 */
const MAX_EPOCH_MS = 253_402_300_799_999;

function dateParam(end: 'from' | 'to') {
  return z.string().transform((text, ctx) => {
    const day = DAY.exec(text);
    if (day) {
      const n = dayOfLabel(text);
      // 2026-02-30 parses as NaN or rolls over: reject unless it reads back the same
      if (Number.isFinite(n) && new Date(n * 86_400_000).toISOString().slice(0, 10) === text) {
        return end === 'from' ? dayStart(n) : dayStart(n + 1) - 1;
      }
    } else if (ISO_TIME.test(text)) {
      const ms = Date.parse(text);
      if (Number.isFinite(ms)) return ms;
    } else if (/^\d{1,15}$/.test(text) && Number(text) <= MAX_EPOCH_MS) {
      return Number(text);
    }
    ctx.addIssue({ code: 'custom', message: `${end} 不是合法的时间：${DATE_HELP}` });
    return z.NEVER;
  });
}

function intParam(name: string, min: number, max: number, fallback: number) {
  return z
    .string()
    .regex(/^\d{1,6}$/, { message: `${name} 应为 ${min}–${max} 的整数` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `${name} 应为 ${min}–${max} 的整数` })
    .default(fallback);
}

const range = { from: dateParam('from').optional(), to: dateParam('to').optional() };
const cursor = z.string().min(1).max(300, { message: 'cursor 无效' }).optional();

export const conversationsQuery = z
  .object({
    q: z.string().trim().min(1, { message: 'q 不能为空' }).max(100, { message: 'q 最多 100 个字符' }).optional(),
    openid: z.string().regex(/^[\w-]{1,128}$/, { message: 'openid 格式错误' }).optional(),
    limit: intParam('limit', 1, 100, 20),
    cursor,
    ...range,
  })
  .strict();

export const usageQuery = z.object({ ...range, top: intParam('top', 1, 100, 10) }).strict();

export const feedbackQuery = z
  .object({
    rating: z.enum(['up', 'down'], { message: 'rating 应为 up 或 down' }).optional(),
    limit: intParam('limit', 1, 100, 20),
    cursor,
    ...range,
  })
  .strict();

export const exportQuery = z
  .object({ format: z.enum(['jsonl', 'csv'], { message: 'format 应为 jsonl 或 csv' }).default('jsonl'), ...range })
  .strict();

/** Routes without query parameters still refuse unknown ones. */
export const noQuery = z.object({}).strict();

export const conversationParams = z.object({ id: z.string().min(1, { message: '缺少对话 id' }).max(200, { message: '对话 id 过长' }) });

/** The parsed query, or AppError `admin_bad_request` naming what is wrong (a `from` after its `to` too). */
export function parseAdminQuery<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') throw new AppError('admin_bad_request', `未知的查询参数：${issue.keys.join(', ')}`);
    const name = issue.path.join('.');
    const detail = issue.code === 'invalid_type' ? `${name} 只能出现一次，且必须是文本` : issue.message;
    throw new AppError('admin_bad_request', detail.startsWith(name) ? detail : `${name}：${detail}`);
  }
  const data = result.data as { from?: number; to?: number };
  if (data.from !== undefined && data.to !== undefined && data.from > data.to) {
    throw new AppError('admin_bad_request', 'from 不能晚于 to');
  }
  return result.data;
}

/** Longest usage report: a year and a month of days. */
export const MAX_USAGE_DAYS = 400;

/** The usage range: default the last 30 Asia/Shanghai days up to now; at most MAX_USAGE_DAYS days. */
export function usageRange(query: { from?: number; to?: number }, now = Date.now()): { from: number; to: number } {
  const to = query.to ?? now;
  const from = query.from ?? dayStart(shanghaiDay(to) - 29);
  if (from > to) throw new AppError('admin_bad_request', 'from 不能晚于 to');
  if (shanghaiDay(to) - shanghaiDay(from) + 1 > MAX_USAGE_DAYS) {
    throw new AppError('admin_bad_request', `用量统计一次最多 ${MAX_USAGE_DAYS} 天`);
  }
  return { from, to };
}
