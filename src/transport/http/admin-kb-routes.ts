import { basename } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError, type ErrorReason } from '../../protocol/error-catalogue.js';
import type { KnowledgeBase } from '../../knowledge-base/knowledge-base.js';
import { bearerGuard } from './bearer-guard.js';
import { replyError } from './reply-error.js';

export interface AdminKbRoutesOptions {
  kb: KnowledgeBase;
  /** ADMIN_TOKEN. Unset or empty: the API is off, /admin/kb answers 404 `not_found` like any unknown path. */
  adminToken?: string | undefined;
  /** Largest accepted upload, bytes. Default 20 MB. */
  maxUploadBytes?: number;
}

/** A refusal of this API's own (a KbError from the knowledge base goes through replyError → toAppError). */
function kbReply(reply: FastifyReply, reason: ErrorReason, message?: string): FastifyReply {
  return replyError(reply, new AppError(reason, message));
}

const ok = <D>(data: D) => ({ code: 0, message: 'ok', data });

/**
 * The knowledge-base admin API, a Fastify plugin (register it; it is encapsulated so its raw
 * body parser stays inside /admin/kb):
 *
 * - `POST   /admin/kb/documents?name=指南.pdf` — the file as the raw body (any content type;
 *   the name, or an `X-Filename` header percent-encoded, picks the parser). 201 added, 200
 *   replaced/unchanged; a bad file is 415/422 and leaves the knowledge base as it was.
 * - `GET    /admin/kb/documents` — documents and the chunk total.
 * - `DELETE /admin/kb/documents/:doc` — by document id or name; 404 when absent.
 * - `GET    /admin/kb/search?q=…&k=5` — ranked chunks with score and relevance.
 *
 * Every request needs `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time.
 *
 * @example
 * await app.register(adminKbRoutes, { kb, adminToken: config.adminToken });
 * // curl -H "Authorization: Bearer $ADMIN_TOKEN" --data-binary @faq.md 'https://…/admin/kb/documents?name=faq.md'
 */
export async function adminKbRoutes(app: FastifyInstance, options: AdminKbRoutesOptions): Promise<void> {
  const { kb } = options;
  const maxUploadBytes = options.maxUploadBytes ?? 20 * 1024 * 1024;

  // Off: no route at all, so /admin/* answers exactly as any unknown path does (`not_found`)
  // and a scanner learns nothing about an admin API or how to turn it on.
  if (!options.adminToken) return;
  app.addHook('onRequest', bearerGuard(options.adminToken, 'admin'));

  // Uploads arrive as raw bytes whatever their content type (JSON Q&A files included).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxUploadBytes }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: { statusCode?: number }, _request, reply) => {
    if (error.statusCode === 413) {
      return kbReply(reply, 'kb_too_large', `文件超过上限 ${(maxUploadBytes / 1048576).toFixed(0)} MB`);
    }
    if (error.statusCode && error.statusCode < 500) return kbReply(reply, 'kb_bad_request', String((error as Error).message));
    return replyError(reply, error);
  });

  app.post<{ Querystring: { name?: string } }>('/admin/kb/documents', { bodyLimit: maxUploadBytes }, async (request, reply) => {
    const header = request.headers['x-filename'];
    let name = request.query.name ?? (typeof header === 'string' ? safeDecode(header) : undefined);
    name = name && documentName(name);
    if (!name) return kbReply(reply, 'kb_bad_request', '缺少文件名：用 ?name=文件名.md 或 X-Filename 头指定');
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    try {
      const result = await kb.addBuffer(name, body, { source: name });
      return reply.code(result.status === 'added' ? 201 : 200).send(ok(result));
    } catch (error) {
      return replyError(reply, error);
    }
  });

  app.get('/admin/kb/documents', async () => {
    const documents = await kb.listDocuments();
    return ok({ documents, chunks: kb.size() });
  });

  app.delete<{ Params: { doc: string } }>('/admin/kb/documents/:doc', async (request, reply) => {
    const removed = await kb.removeDocument(request.params.doc);
    if (!removed) return kbReply(reply, 'kb_not_found', `没有找到文档 ${request.params.doc}`);
    return ok({ removed: request.params.doc, chunks: kb.size() });
  });

  app.get<{ Querystring: { q?: string; k?: string } }>('/admin/kb/search', async (request, reply) => {
    const query = request.query.q?.trim();
    if (!query) return kbReply(reply, 'kb_bad_request', '缺少查询参数 q');
    const k = Math.min(50, Math.max(1, Number(request.query.k) || 5));
    return ok({ query, hits: await kb.search(query, { k }) });
  });
}

/**
 * The upload's display name: its last path segment (no `../`), without control characters
 * (newlines or ANSI escapes would forge log lines; bidi overrides disguise the extension in
 * the console), at most 200 characters. `.`/`..` are no name.
 */
function documentName(raw: string): string | undefined {
  const name = basename(raw.replace(/\\/g, '/'))
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .trim()
    .slice(0, 200);
  return name === '.' || name === '..' ? undefined : name || undefined;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
