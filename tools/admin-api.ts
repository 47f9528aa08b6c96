import type { CopyRecord } from '@/sync/reconcile/copy-plan';

/** A task as `GET /api/v1/tasks/:id` shows it (the fields the tools read). */
export interface TaskView {
  id: string;
  name: string;
  status: string;
  owner: string | null;
  sourceReachable: boolean | null;
  targetReachable: boolean | null;
  desired: number;
  applied: number;
  lagMs: number | null;
  lastError: string | null;
  hold: { wouldDelete: number; total: number } | null;
}

/** A ledger row of `GET /api/v1/tasks/:id/instances`: a copy as the ledger records it. */
export type LedgerCopy = CopyRecord;

export interface DistroView {
  initialized: boolean;
  initState: string;
  members: Array<{ id: string; state: string }>;
}

export class AdminApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * The admin API of one region, asked through whichever of its nodes answers first (`bases` is
 * read on every call, so nodes that are down are skipped).
 */
export class AdminApi {
  constructor(
    private readonly bases: () => string[],
    private readonly token: string,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let last: unknown = new Error('no node of the region is running');
    for (const base of this.bases()) {
      let res: Response;
      try {
        res = await fetch(`${base}/api/v1${path}`, {
          method,
          headers: {
            authorization: `Bearer ${this.token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(5000),
        });
      } catch (err) {
        last = err;
        continue; // this node is down: ask the next
      }
      const text = await res.text();
      if (res.status >= 500) {
        last = new AdminApiError(`${method} ${path}: ${res.status} ${text}`, res.status);
        continue;
      }
      if (res.status >= 400) throw new AdminApiError(`${method} ${path}: ${res.status} ${text}`, res.status);
      return (text ? JSON.parse(text) : undefined) as T;
    }
    throw last;
  }

  task(id: string): Promise<TaskView> {
    return this.request<TaskView>('GET', `/tasks/${id}`);
  }

  /** Every ledger row of a task, page by page. */
  async ledger(taskId: string): Promise<LedgerCopy[]> {
    const rows: LedgerCopy[] = [];
    for (let page = 1; ; page++) {
      const answer = await this.request<{ total: number; items: LedgerCopy[] }>(
        'GET',
        `/tasks/${taskId}/instances?page=${page}&pageSize=500`,
      );
      rows.push(...answer.items);
      if (answer.items.length < 500 || rows.length >= answer.total) return rows;
    }
  }
}

/** `GET /api/v1/distro` of one node, or undefined when it does not answer. */
export async function distroOf(base: string, token: string): Promise<DistroView | undefined> {
  try {
    const res = await fetch(`${base}/api/v1/distro`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(2000),
    });
    return res.ok ? ((await res.json()) as DistroView) : undefined;
  } catch {
    return undefined;
  }
}
