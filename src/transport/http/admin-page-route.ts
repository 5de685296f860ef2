import type { FastifyInstance } from 'fastify';
import { projectPath } from '../../project-dir.js';
import { staticPageHeaders } from './static-page-headers.js';

export interface AdminPageRouteOptions {
  /** ADMIN_TOKEN. Unset or empty: no route at all, /admin/ answers 404 like any unknown path. */
  adminToken?: string | undefined;
  /** folder with index.html, admin.js…; default `<repo>/admin` */
  root?: string;
}

/**
 * The operators' page shows what strangers typed (questions) and what a model wrote (answers),
 * so it gets the strictest CSP of the gateway: scripts, styles, images and fetches only from
 * this origin (an injected <script> or <img onerror> cannot run, and nothing can be sent
 * elsewhere), no inline styles, no framing (clickjacking a delete button), no forms posting
 * away. Unlike /console it never talks to another gateway, hence connect-src 'self'.
 */
export const ADMIN_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** a page with the operators' data: no framing even for browsers without frame-ancestors, no opener handle */
const securityHeaders = staticPageHeaders({ csp: ADMIN_PAGE_CSP, frameOptions: 'DENY', openerPolicy: 'same-origin' });

/**
 * `GET /admin/`: the operators' page (static files from `admin/`), which signs in with the
 * ADMIN_TOKEN typed by the operator and then talks only to `/admin/api/*` and `/admin/kb/*`.
 * The files hold no secret, yet they exist only when the token is set, so a gateway without
 * an admin API does not advertise a page for it.
 *
 * Only the files present at start are routed (`wildcard: false`): no catch-all under
 * /admin/ that could shadow the API's routes or be walked with `../`.
 *
 * @example
 * await registerAdminPageRoute(fastify, { adminToken: config.adminToken }); // then open /admin/
 */
export async function registerAdminPageRoute(app: FastifyInstance, options: AdminPageRouteOptions): Promise<void> {
  if (!options.adminToken) return;
  const root = options.root ?? projectPath('admin');
  const { default: fastifyStatic } = await import('@fastify/static');

  // /admin → /admin/, so the page's relative URLs resolve (a query string is dropped: the page takes none)
  app.get('/admin', (_request, reply) => reply.redirect('/admin/', 302));
  await app.register(fastifyStatic, {
    root,
    prefix: '/admin/',
    decorateReply: false,
    wildcard: false,
    index: 'index.html',
    dotfiles: 'deny',
    cacheControl: false,
    setHeaders: securityHeaders,
  });
}
