import type { FastifyRequest } from 'fastify';

/** The cookie holding the session id: HTTP-only, SameSite=Strict, scoped to the admin API. */
export const SESSION_COOKIE = 'distro_sync_session';
/** The header a cookie-authenticated change must carry, with the token the login answered. */
export const CSRF_HEADER = 'x-csrf-token';

/** The session id the request's cookie carries, if any. */
export function sessionIdOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/**
 * Whether the request reached us over https: a TLS socket, or a proxy saying so in
 * X-Forwarded-Proto. Trusting the header is safe here: it can only add `Secure`, which at worst
 * keeps the cookie from being sent back over plain http.
 */
export function cameOverHttps(request: FastifyRequest): boolean {
  if ((request.raw.socket as { encrypted?: boolean }).encrypted === true) return true;
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

/** The Set-Cookie value that stores `sessionId` for `maxAgeSeconds` (or clears it with 0). */
export function sessionCookie(sessionId: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${sessionId}`,
    'Path=/',
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}
