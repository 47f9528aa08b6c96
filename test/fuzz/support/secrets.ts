import { encodeQuery, httpCall } from './http-probe';
/**
 * Marker secrets: every env secret of a tokened fuzz node and every cluster credential the fuzz
 * sends holds one, so any response, header or log line quoting a secret is found by a plain
 * substring search. The fuzz never puts a marker anywhere else (a description echoing it back
 * would be no leak).
 */
export const MARK = 'qZ7fuzzmark';

export const SECRETS = {
  ADMIN_TOKEN: `${MARK}-admin-token-x1`,
  DISTRO_TOKEN: `${MARK}-distro-token-x2`,
  REGISTRY_API_TOKEN: `${MARK}-registry-token-x3`,
  SECRET_KEY: `${MARK}-secret-key-0123456789abcdef`,
  NACOS_AUTH_SECRET: `${MARK}-nacos-signing-secret-0123456789`,
  NACOS_PASSWORD: `${MARK}-nacos-password-x4`,
  /** A cluster credential (password or token) the admin fuzz stores. */
  CLUSTER_CREDENTIAL: `${MARK}-cluster-cred-x5`,
  /** The first admin's password (ADMIN_PASSWORD) of the sign-in fuzz node. */
  ADMIN_PASSWORD: `${MARK}-admin-password-x6`,
} as const;

export const NACOS_USER = 'fuzzer';

/** Env of a node with every secret set to a marker (and Nacos auth on). */
export function tokenedEnv(): Record<string, string> {
  return {
    ADMIN_TOKEN: SECRETS.ADMIN_TOKEN,
    DISTRO_TOKEN: SECRETS.DISTRO_TOKEN,
    REGISTRY_API_TOKEN: SECRETS.REGISTRY_API_TOKEN,
    SECRET_KEY: SECRETS.SECRET_KEY,
    NACOS_AUTH_ENABLED: 'true',
    NACOS_AUTH_SECRET: SECRETS.NACOS_AUTH_SECRET,
    NACOS_AUTH_USERS: `${NACOS_USER}:${SECRETS.NACOS_PASSWORD}`,
  };
}

/** Env every fuzz node shares: no heartbeat expiry or connection drop inside a run (it would look like a state change). */
export const QUIET_ENV: Record<string, string> = {
  LOG_LEVEL: 'debug',
  NACOS_GRPC_PORT: '0',
  DISTRO_PORT: '0',
  NACOS_CLIENT_BEAT_UNHEALTHY_MS: '3600000',
  NACOS_CLIENT_BEAT_DELETE_MS: '3600000',
  DISTRO_CLIENT_EXPIRE_MS: '3600000',
  // The fuzz connection never answers the server's idle probes: it must not be dropped mid-run.
  NACOS_GRPC_DETECTION_IDLE_MS: '3600000',
};

/** Where `text` quotes a marker, as a short excerpt, or undefined. */
export function markerIn(text: string): string | undefined {
  const at = text.indexOf(MARK);
  if (at < 0) return undefined;
  return JSON.stringify(text.slice(Math.max(0, at - 60), at + 60));
}

/** Logs the fuzz user in to a node with Nacos auth on and returns its access token. */
export async function nacosLogin(base: string): Promise<string> {
  const login = await httpCall(base, {
    method: 'POST',
    path: '/nacos/v1/auth/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: encodeQuery([
      ['username', NACOS_USER],
      ['password', SECRETS.NACOS_PASSWORD],
    ]),
  });
  return (JSON.parse(login.text) as { accessToken: string }).accessToken;
}
