import { printableViolation } from '@/common/text-rule';
import type { ServiceKey } from '@/registry';

/**
 * How the instances of one cluster are checked, as Nacos's cluster `healthChecker` describes it (the
 * JSON of `AbstractHealthChecker`'s subtypes): `TCP` connects to the port, `HTTP` asks for `path`
 * with `headers` (`Name:value|Name2:value2`) and expects `expectedResponseCode`, `NONE` checks
 * nothing and lets the health API set health by hand.
 */
export type HealthCheckerSpec =
  { type: 'TCP' } | { type: 'NONE' } | { type: 'HTTP'; path: string; headers: string; expectedResponseCode: number };

export type HealthCheckType = HealthCheckerSpec['type'];

/** A cluster's checker with the port it checks (Nacos's ClusterMetadata). */
export interface ClusterChecker {
  healthChecker: HealthCheckerSpec;
  /** Port checked when `useInstancePort` is false (Nacos's `checkPort`, default 80). */
  checkPort: number;
  /** Check each instance's own port (Nacos's `useInstancePort4Check`, default true). */
  useInstancePort: boolean;
  metadata: Record<string, string>;
}

export interface StoredClusterChecker extends ClusterChecker {
  key: ServiceKey;
  cluster: string;
}

/** A cluster nobody configured is checked over TCP on each instance's port, as in Nacos. */
export const DEFAULT_CLUSTER_CHECKER: ClusterChecker = Object.freeze({
  healthChecker: Object.freeze({ type: 'TCP' as const }),
  checkPort: 80,
  useInstancePort: true,
  metadata: Object.freeze({}) as Record<string, string>,
});

/** The checkers Nacos's `GET /health/checkers` lists, with their defaults (MYSQL is not served here). */
export const CHECKER_TYPES: Readonly<Record<HealthCheckType, HealthCheckerSpec>> = {
  TCP: { type: 'TCP' },
  HTTP: { type: 'HTTP', path: '', headers: '', expectedResponseCode: 200 },
  NONE: { type: 'NONE' },
};

const MAX_PATH = 2048;
const MAX_HEADERS = 4096;

/** A refused `healthChecker` value; its message names what is wrong. */
export class CheckerSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckerSpecError';
  }
}

/**
 * Reads a `healthChecker` param as Nacos's HealthCheckerFactory does: a JSON object whose `type`
 * picks the checker (case as Nacos writes it, `TCP`, `HTTP`, `NONE`; `MYSQL` is refused, no MySQL
 * check runs here). Fields the type does not have are ignored, missing ones take Nacos's defaults.
 */
export function parseHealthChecker(raw: string): HealthCheckerSpec {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new CheckerSpecError("Param 'healthChecker' is not valid JSON.");
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CheckerSpecError("Param 'healthChecker' must be a JSON object with a type.");
  }
  const spec = parsed as Record<string, unknown>;
  const type = typeof spec.type === 'string' ? spec.type.toUpperCase() : undefined;
  switch (type) {
    case 'TCP':
      return { type: 'TCP' };
    case 'NONE':
      return { type: 'NONE' };
    case 'HTTP':
      return {
        type: 'HTTP',
        path: httpPath(spec.path),
        headers: httpHeaders(spec.headers),
        expectedResponseCode: responseCode(spec.expectedResponseCode),
      };
    case 'MYSQL':
      throw new CheckerSpecError('healthChecker type MYSQL is not supported here; use TCP, HTTP or NONE.');
    case undefined:
    default:
      throw new CheckerSpecError('healthChecker type must be TCP, HTTP or NONE.');
  }
}

function httpPath(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string' || value.length > MAX_PATH || value.includes(' ') || printableViolation(value)) {
    throw new CheckerSpecError(
      `healthChecker path must be a URL path of at most ${MAX_PATH} printable characters without spaces.`,
    );
  }
  return value;
}

function httpHeaders(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string' || value.length > MAX_HEADERS || printableViolation(value)) {
    throw new CheckerSpecError(
      `healthChecker headers must be text of at most ${MAX_HEADERS} characters: Name:value|Name2:value2.`,
    );
  }
  return value;
}

function responseCode(value: unknown): number {
  if (value === undefined || value === null) return 200;
  const code = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 100 || code > 599) {
    throw new CheckerSpecError('healthChecker expectedResponseCode must be an HTTP status 100-599.');
  }
  return code;
}

/**
 * Nacos's `Http.getCustomHeaders`: `Name:value` pairs split on `|`, each trimmed; a pair that does not
 * split into exactly two parts is skipped. Names a request could not carry are skipped too.
 */
export function customHeaders(headers: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers.trim() === '') return out;
  for (const pair of headers.split('|')) {
    const parts = pair.split(':');
    if (parts.length !== 2) continue;
    const name = parts[0].trim();
    const value = parts[1].trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Key of one cluster of one service, for maps. */
export function clusterKey(key: ServiceKey, cluster: string): string {
  return `${key.namespace}\u0000${key.group}\u0000${key.name}\u0000${cluster}`;
}
