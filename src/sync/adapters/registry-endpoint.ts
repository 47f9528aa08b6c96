/** What a check of a registry found. */
export interface ReachabilityReport {
  reachable: boolean;
  latencyMs: number;
  version?: string;
  /** The wire protocol the adapter speaks to the registry (`grpc` or `http-v1` for nacos clusters). */
  protocol?: string;
  /** Kinds with layouts (zookeeper, etcd): the layout read, its root (zookeeper), whether it holds services, and counts. */
  layout?: string;
  root?: string;
  layoutFound?: boolean;
  services?: number;
  instances?: number;
  /** etcd: keys under the layout's prefix that are not registrations of it. */
  otherKeys?: number;
  /** zookeeper: the session timeout the server granted, how long copies outlive a dead holder. */
  sessionTimeoutMs?: number;
  error?: string;
}

/** What every registry a task reads or writes has, in either role. */
export interface RegistryEndpoint {
  /**
   * Asks the registry one cheap question. Never rejects: a registry that does not answer is
   * `reachable: false` with the reason in `error`. Used by the admin API's check and the task's
   * detail page, never by the reconciler.
   */
  check(): Promise<ReachabilityReport>;
  /**
   * Stops every watch and timer (beats, polls) of this instance and releases its connections.
   * Idempotent. Copies written stay in the target until their TTL: closing is not withdrawing.
   */
  close(): Promise<void>;
}

/**
 * Times `probe` as a check: reachable with what the probe reports, or unreachable with the
 * reason `describe` gives for its error (the error's message unless told).
 */
export async function timedCheck(
  probe: () => Promise<Omit<ReachabilityReport, 'reachable' | 'latencyMs'>>,
  describe: (err: unknown) => string = (err) => (err as Error).message,
  unreachable: Pick<ReachabilityReport, 'protocol'> = {},
): Promise<ReachabilityReport> {
  const started = Date.now();
  try {
    const report = await probe();
    return { reachable: true, latencyMs: Date.now() - started, ...report };
  } catch (err) {
    return { reachable: false, latencyMs: Date.now() - started, error: describe(err), ...unreachable };
  }
}
