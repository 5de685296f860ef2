import type { FastifyInstance } from 'fastify';
import { projectPath } from '../../project-dir.js';
import { staticPageHeaders } from './static-page-headers.js';

export interface ConsoleRouteOptions {
  /** folder with index.html, console.js…; default `<repo>/console` */
  root?: string;
  /** the mini-program kit whose Markdown converter and error texts the console reuses; default `<repo>/miniprogram/lib` */
  libRoot?: string;
}

/** miniprogram/lib files the console loads too: answers render and errors read as on the phone */
export const CONSOLE_SHARED_LIB = ['markdown-inline.js', 'markdown-nodes.js', 'error-text.js'] as const;

/**
 * The console renders model output, so it gets a strict CSP: scripts only from here (an
 * injected <script> cannot run), no inline style attributes (styles are set through CSSOM),
 * no framing. Sockets and fetches may go to another gateway (`?gateway=`), hence connect-src.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss: http: https:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders = staticPageHeaders({ csp: CSP });

/**
 * `GET /console/`: the browser console, static files from `console/` plus the two shared
 * files of the mini-program kit under `/console/lib/`. It uses only the public protocol
 * (WebSocket login, chat…) and the admin API with a token the developer types in, so serving
 * it adds no capability; still, serve.ts may skip it in production.
 *
 * @example
 * await registerConsoleRoute(fastify); // then open http://localhost:8000/console
 */
export async function registerConsoleRoute(app: FastifyInstance, options: ConsoleRouteOptions = {}): Promise<void> {
  const root = options.root ?? projectPath('console');
  const libRoot = options.libRoot ?? projectPath('miniprogram', 'lib');
  const shared = new Set<string>(CONSOLE_SHARED_LIB.map((name) => `/${name}`));
  // imported here, not at the top: a gateway with CONSOLE_ENABLED=false never loads it
  const { default: fastifyStatic } = await import('@fastify/static');

  // /console → /console/ (query kept), so the page's relative URLs resolve
  app.get('/console', (request, reply) => {
    const query = request.url.indexOf('?');
    return reply.redirect(`/console/${query >= 0 ? request.url.slice(query) : ''}`, 302);
  });
  await app.register(fastifyStatic, {
    root,
    prefix: '/console/',
    // another static registration elsewhere must not clash with ours
    decorateReply: false,
    index: 'index.html',
    dotfiles: 'deny',
    cacheControl: false,
    setHeaders: securityHeaders,
  });
  await app.register(fastifyStatic, {
    root: libRoot,
    prefix: '/console/lib/',
    decorateReply: false,
    index: false,
    cacheControl: false,
    // only the browser-safe shared files, not the rest of the kit
    allowedPath: (pathName) => shared.has(pathName),
    setHeaders: securityHeaders,
  });
}
