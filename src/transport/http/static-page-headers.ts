import type { FastifyReply } from 'fastify';

export interface StaticPageHeaderOptions {
  /** the page's Content-Security-Policy, each page its own (what it renders, where it connects) */
  csp: string;
  /** `X-Frame-Options` for browsers older than CSP's frame-ancestors; omitted when unset */
  frameOptions?: 'DENY' | 'SAMEORIGIN';
  /** `Cross-Origin-Opener-Policy`: a page opened from elsewhere keeps no handle on its opener; omitted when unset */
  openerPolicy?: 'same-origin';
}

/**
 * The headers of a page the gateway serves as static files (/admin/, /console/): its CSP, no
 * MIME sniffing (a text file cannot run as a script), no referrer (page URLs leave nothing
 * behind), and always revalidate (the files change with the gateway). For @fastify/static's
 * `setHeaders`.
 *
 * @example
 * await app.register(fastifyStatic, { root, prefix: '/admin/', setHeaders: staticPageHeaders({ csp: ADMIN_PAGE_CSP, frameOptions: 'DENY' }) });
 */
export function staticPageHeaders(options: StaticPageHeaderOptions): (reply: FastifyReply) => void {
  const { csp, frameOptions, openerPolicy } = options;
  return (reply) => {
    reply.header('content-security-policy', csp);
    if (frameOptions) reply.header('x-frame-options', frameOptions);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (openerPolicy) reply.header('cross-origin-opener-policy', openerPolicy);
    reply.header('cache-control', 'no-cache');
  };
}
