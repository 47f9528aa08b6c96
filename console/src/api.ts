/** The admin API as the console calls it: the session cookie goes by itself, changes carry the CSRF token. */

export type Role = 'viewer' | 'operator' | 'admin';

export interface Me {
  username: string | null;
  role: Role;
  via: string;
  csrfToken?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;
let onUnauthorized: () => void = () => undefined;

export function useSession(me: Me | null, unauthorized: () => void): void {
  csrfToken = me?.csrfToken;
  onUnauthorized = unauthorized;
}

/** The message of an error answer: Nest's `message` (a string or a list of field problems), or the status. */
function messageOf(status: number, body: unknown): string {
  if (body && typeof body === 'object' && 'message' in body) {
    const m = body.message;
    if (Array.isArray(m)) return m.map(String).join('; ');
    if (typeof m === 'string' && m) return m;
  }
  if (typeof body === 'string' && body.trim()) return body.trim();
  return `the server answered ${status}`;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'the node did not answer (is it running? is the network up?)');
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // a plain-text answer stays text
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/auth/login')) onUnauthorized();
    let message = messageOf(res.status, parsed);
    const retry = res.headers.get('Retry-After');
    if (res.status === 429 && retry) message += ` (try again in ${retry} s)`;
    throw new ApiError(res.status, message);
  }
  return parsed as T;
}

export const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function can(me: Me | null, role: Role): boolean {
  return me !== null && RANK[me.role] >= RANK[role];
}

// ---- shapes of the answers the pages read -------------------------------------------------------

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export interface Cluster {
  id: string;
  name: string;
  kind: string;
  addresses: string[];
  namespace: string | null;
  username: string | null;
  hasCredentials: boolean;
  description: string | null;
  layout: string | null;
  prefix: string | null;
}

export interface ClusterCheck {
  reachable: boolean;
  latencyMs: number;
  version?: string;
  protocol?: string;
  layout?: string;
  layoutFound?: boolean;
  services?: number;
  instances?: number;
  error?: string;
}

export interface Hold {
  since: string;
  wouldDelete: number;
  total: number;
  expiresAt: string;
}

export interface Task {
  id: string;
  name: string;
  sourceClusterId: string;
  targetClusterId: string;
  namespace: string;
  groupName: string;
  serviceName: string;
  exclude: string[];
  maxDeleteRatio: number;
  status: 'running' | 'paused' | 'deleting';
  owner: string | null;
  sourceReachable: boolean | null;
  targetReachable: boolean | null;
  desired: number;
  applied: number;
  lastReconcileAt: string | null;
  lagMs: number | null;
  lastError: string | null;
  hold: Hold | null;
  rejected: Array<{ service: string; address: string; refusedBy: string; reason: string }>;
  rejectedCount: number;
  nextAttemptAt: string | null;
}

export interface Copy {
  namespace: string;
  groupName: string;
  serviceName: string;
  clusterName: string;
  ip: string;
  port: number;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  metadata: Record<string, string>;
  writtenAt?: string;
}

export interface TaskDiff {
  counts: { add: number; update: number; remove: number };
  truncated: boolean;
  diff: { add: Copy[]; update: Copy[]; remove: Copy[] };
}

export interface TaskEvent {
  id: string;
  kind: string;
  actor: string;
  message: string;
  createdAt: string;
  taskName?: string | null;
}

export interface DistroMember {
  id: string;
  state: string;
  lastContact?: string;
  lastError?: string;
  failures: number;
  queueDepth: number;
  peerInitialized?: boolean;
}

export interface DistroStatus {
  clustered: boolean;
  self: string;
  initialized: boolean;
  initState: string;
  members: DistroMember[];
  ownedClients: number;
  replicatedClients: number;
  tombstones: number;
}

export interface Worker {
  id: string;
  hostname: string;
  pid: number;
  version: string;
  startedAt: string;
  lastHeartbeatAt: string;
  leases: string[];
}

export interface ServiceList {
  namespaces: string[];
  namespace: string;
  services: Array<{ group: string; name: string; instances: number; copies: number }>;
  total: number;
  counts: { namespaces: number; services: number; instances: number };
}

export interface BrowsedInstance {
  ip: string;
  port: number;
  clusterName: string;
  weight: number;
  healthy: boolean;
  enabled: boolean;
  ephemeral: boolean;
  metadata: Record<string, string>;
  copyOf: { sourceCluster: string; taskId: string } | null;
}
