import type { Session, SessionService } from '../auth/session-service.js';
import type { UsageLimits, UserLimitStatus } from '../limits/usage-limits.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { toAppError } from '../protocol/to-app-error.js';

export interface LogInDeps {
  sessions: SessionService;
  limits: UsageLimits;
  metrics?: GatewayMetrics | undefined;
}

/**
 * A login as every transport does it: a `code` counts against the IP's login rate (it calls
 * WeChat) and is exchanged; a `session_id` resumes for free (a reconnect storm after a
 * restart must not lock users out). Returns the session and the user's limits; the outcome is
 * counted either way. Throws what the client should see (mapped by toAppError).
 */
export async function logIn(
  deps: LogInDeps,
  ip: string,
  credential: { code: string } | { sessionId: string },
): Promise<{ session: Session; limits: UserLimitStatus | undefined }> {
  try {
    let session: Session;
    if ('code' in credential) {
      await deps.limits.admitLogin(ip);
      session = await deps.sessions.login(credential.code);
    } else {
      session = await deps.sessions.authenticate(credential.sessionId);
    }
    const limits = await deps.limits.status(session.openid);
    deps.metrics?.login('ok');
    return { session, limits };
  } catch (error) {
    deps.metrics?.login(toAppError(error).reason);
    throw error;
  }
}
