import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { NacosAuthConfig } from './nacos-auth.config';
import { secretsEqual } from '@/common/secret-compare';

export interface NacosLogin {
  accessToken: string;
  /** Seconds, as Nacos reports it. */
  tokenTtl: number;
  globalAdmin: boolean;
  username: string;
}

/** Why a naming call was refused; the messages are Nacos's own. */
export type AuthFailure = 'user not found!' | 'token invalid!' | 'token expired!';

function base64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

/**
 * Optional Nacos auth: users from config, HS256-signed access tokens with an expiry. There is no
 * default secret and no header that skips the check.
 */
@Injectable()
export class NacosAuthService {
  private readonly users: ReadonlyMap<string, string>;

  constructor(private readonly config: NacosAuthConfig) {
    this.users = new Map(config.users.map(({ username, password }) => [username, password]));
  }

  get enabled(): boolean {
    return this.config.enabled;
  }

  /** A token for valid credentials, undefined otherwise. */
  login(username: string | undefined, password: string | undefined, now: number = Date.now()): NacosLogin | undefined {
    // Without a secret nothing is signed: there is no default key.
    if (this.config.secret === undefined || !this.checkPassword(username, password)) return undefined;
    const ttlMs = this.config.tokenTtlMs;
    const payload = { sub: username, exp: Math.ceil((now + ttlMs) / 1000) };
    const unsigned = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(payload))}`;
    return {
      accessToken: `${unsigned}.${this.sign(unsigned)}`,
      tokenTtl: Math.floor(ttlMs / 1000),
      globalAdmin: true,
      username: username as string,
    };
  }

  /** Undefined when a naming call may proceed, else the reason it may not. */
  check(
    credentials: { accessToken?: string; username?: string; password?: string },
    now = Date.now(),
  ): AuthFailure | undefined {
    if (!this.enabled) return undefined;
    if (credentials.accessToken !== undefined) return this.verify(credentials.accessToken, now);
    if (credentials.username !== undefined && this.checkPassword(credentials.username, credentials.password)) {
      return undefined;
    }
    return 'user not found!';
  }

  private verify(token: string, now: number): AuthFailure | undefined {
    const parts = token.split('.');
    if (parts.length !== 3 || token.length > 4096) return 'token invalid!';
    const [header, payload, signature] = parts as [string, string, string];
    if (!secretsEqual(signature, this.sign(`${header}.${payload}`))) return 'token invalid!';
    let claims: { sub?: unknown; exp?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown; exp?: unknown };
    } catch {
      return 'token invalid!';
    }
    if (typeof claims.sub !== 'string' || !this.users.has(claims.sub)) return 'user not found!';
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return 'token expired!';
    return undefined;
  }

  private checkPassword(username: string | undefined, password: string | undefined): boolean {
    if (username === undefined || password === undefined) return false;
    const expected = this.users.get(username);
    // Compare against something even for an unknown user, so timing does not reveal user names.
    return secretsEqual(password, expected ?? `\u0000${password}`) && expected !== undefined;
  }

  private sign(data: string): string {
    return createHmac('sha256', this.config.secret ?? '')
      .update(data)
      .digest('base64url');
  }
}
