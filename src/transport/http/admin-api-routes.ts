import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { AdminQueryNotSupportedError, BadCursorError, type AdminStore } from '../../admin/admin-store.js';
import { AppError } from '../../protocol/error-catalogue.js';
import { dayLabel, shanghaiDay } from '../../admin/shanghai-day.js';
import {
  conversationParams,
  conversationsQuery,
  exportQuery,
  feedbackQuery,
  noQuery,
  parseAdminQuery,
  usageQuery,
  usageRange,
} from './admin-api-query.js';
import { exportStream } from './admin-export.js';
import { conversationWire, countsWire, messageWire, ratedAnswerWire } from './admin-wire.js';
import { bearerGuard } from './bearer-guard.js';
import { replyError } from './reply-error.js';
import { StoreError } from '../../store/store-error.js';

export interface AdminApiRoutesOptions {
  store: AdminStore;
  /** ADMIN_TOKEN. Unset or empty: no route, every /admin/api/* answers 404 `not_found` like any unknown path. */
  adminToken?: string | undefined;
}

const ok = <D>(data: D) => ({ code: 0, message: 'ok', data });

/** A backend failure (Redis gone, disk error) is 503 `store_unavailable`; the store's own refusals pass as they are. */
function storeCall<T>(pending: Promise<T>): Promise<T> {
  return pending.catch((error: unknown) => {
    if (error instanceof BadCursorError || error instanceof AdminQueryNotSupportedError) throw error;
    throw new StoreError(`admin store failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
}

/**
 * The operators' JSON API, a Fastify plugin (encapsulated: its guard and error handler stay
 * inside /admin/api). Every request needs `Authorization: Bearer <ADMIN_TOKEN>` (401
 * `admin_unauthorized` otherwise, compared in constant time). docs/admin.md documents it.
 *
 * - `GET /admin/api/conversations?q&openid&from&to&limit&cursor` — newest activity first
 * - `GET /admin/api/conversations/:id` — every message with status, usage, model, sources, flags, rating
 * - `GET /admin/api/usage?from&to&top` — per Asia/Shanghai day and per user
 * - `GET /admin/api/feedback?rating&from&to&limit&cursor` — rated answers with question and cited passages
 * - `GET /admin/api/export?format=jsonl|csv&from&to` — every message, streamed
 *
 * @example
 * await app.register(adminApiRoutes, { store: adminStore, adminToken: config.adminToken });
 * // curl -H "Authorization: Bearer $ADMIN_TOKEN" 'https://…/admin/api/conversations?q=退货'
 */
export async function adminApiRoutes(app: FastifyInstance, options: AdminApiRoutesOptions): Promise<void> {
  // Off: no route at all, so a scanner cannot tell an admin API from any unknown path.
  if (!options.adminToken) return;
  const { store } = options;
  app.addHook('onRequest', bearerGuard(options.adminToken, 'admin'));
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof BadCursorError) return replyError(reply, new AppError('admin_bad_request', 'cursor 无效：请使用上一页返回的 next_cursor'));
    if (error instanceof AdminQueryNotSupportedError) return replyError(reply, new AppError('not_supported_on_redis', `当前存储（Redis）不支持：${error.what}`));
    // Fastify's own refusals (a malformed body, a bad content type) go to the app's handler, which speaks the envelope.
    if (!(error instanceof AppError) && typeof (error as { statusCode?: unknown }).statusCode === 'number') throw error;
    if (!(error instanceof AppError)) request.log.error({ error: String(error), cause: String((error as Error).cause ?? '') }, 'admin api failed');
    return replyError(reply, error);
  });

  app.get('/admin/api/conversations', async (request) => {
    const query = parseAdminQuery(conversationsQuery, request.query);
    const page = await storeCall(store.listConversations(query));
    return ok({
      items: page.items.map(conversationWire),
      ...(page.nextCursor !== undefined && { next_cursor: page.nextCursor }),
      ...(page.truncated !== undefined && { truncated: page.truncated }),
      ...(page.indexing && { indexing: true }),
    });
  });

  // A wildcard, not `:id`: Fastify answers a parameter over 100 characters itself (414, English,
  // outside the envelope); here an overlong id is our own 400.
  app.get<{ Params: { '*': string } }>('/admin/api/conversations/*', async (request) => {
    const { id } = parseAdminQuery(conversationParams, { id: request.params['*'] });
    parseAdminQuery(noQuery, request.query);
    const detail = await storeCall(store.getConversation(id));
    if (!detail) throw new AppError('admin_not_found');
    return ok({
      conversation_id: detail.conversationId,
      openid: detail.openid,
      title: detail.title,
      created_at: detail.createdAt,
      updated_at: detail.updatedAt,
      message_count: detail.messages.length,
      messages: detail.messages.map(messageWire),
    });
  });

  app.get('/admin/api/usage', async (request) => {
    const query = parseAdminQuery(usageQuery, request.query);
    const range = usageRange(query);
    const report = await storeCall(store.usage(range, query.top));
    return ok({
      from: range.from,
      to: range.to,
      first_day: dayLabel(shanghaiDay(range.from)),
      last_day: dayLabel(shanghaiDay(range.to)),
      totals: countsWire(report.totals),
      days: report.days.map((d) => ({ day: d.day, ...countsWire(d) })),
      users: report.users.map((u) => ({ openid: u.openid, ...countsWire(u) })),
      ...(report.truncated !== undefined && { truncated: report.truncated }),
      ...(report.indexing && { indexing: true }),
    });
  });

  app.get('/admin/api/feedback', async (request) => {
    const query = parseAdminQuery(feedbackQuery, request.query);
    const page = await storeCall(store.listFeedback(query));
    return ok({ items: page.items.map(ratedAnswerWire), ...(page.nextCursor !== undefined && { next_cursor: page.nextCursor }) });
  });

  app.get('/admin/api/export', async (request, reply) => {
    const query = parseAdminQuery(exportQuery, request.query);
    // The first chunk is read before the headers go out, so a store that is down answers 503
    // instead of an empty attachment; a failure later can only cut the download short.
    const chunks = exportStream(store.exportMessages(query), query.format);
    const first = await storeCall(chunks.next());
    const stamp = new Date().toISOString().slice(0, 10);
    reply
      .header('content-type', query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="messages-${stamp}.${query.format}"`)
      .header('cache-control', 'no-store');
    return reply.send(Readable.from(rest(first, chunks)));
  });
}

/** The chunk already read, then the others as the socket takes them. */
async function* rest(first: IteratorResult<string>, chunks: AsyncGenerator<string>): AsyncGenerator<string> {
  if (first.done) return;
  yield first.value;
  yield* chunks;
}
