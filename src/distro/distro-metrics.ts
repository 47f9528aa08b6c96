import { Counter, Gauge } from 'prom-client';
import type { Metrics } from '@/observability';
import type { DistroRuntime } from './distro-routing';
import type { DistroObserver } from './distro-types';
import type { StandInObserver } from './peer-forwarder';

const STATES = ['UP', 'SUSPICIOUS', 'DOWN'] as const;

/** Distro's Prometheus metrics, fed by the engine (observer) and read from the runtime at scrape time. */
export class DistroMetrics implements DistroObserver, StandInObserver {
  private runtime: DistroRuntime | undefined;
  private readonly syncRpcs: Counter<'peer' | 'result'>;
  private readonly syncBytes: Counter<'peer'>;
  private readonly syncFailures: Counter<'peer'>;
  private readonly verifyRpcs: Counter<'peer'>;
  private readonly mismatches: Counter<'peer'>;
  private readonly snapshotSeconds: Gauge;
  private readonly standInWrites: Counter<'peer'>;
  readonly refused: Counter<'reason'>;
  /** Parts of peers' clients left out because they break the text rule. */
  readonly rejectedRecords: Counter<'peer'>;

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    this.syncRpcs = new Counter({
      name: 'distro_sync_rpcs_total',
      help: 'Distro sync calls to a peer by result',
      labelNames: ['peer', 'result'],
      registers,
    });
    this.syncBytes = new Counter({
      name: 'distro_sync_bytes_total',
      help: 'Bytes of Distro sync requests sent to a peer',
      labelNames: ['peer'],
      registers,
    });
    this.syncFailures = new Counter({
      name: 'distro_sync_failures_total',
      help: 'Failed Distro sync calls to a peer (retried with backoff)',
      labelNames: ['peer'],
      registers,
    });
    this.verifyRpcs = new Counter({
      name: 'distro_verify_rpcs_total',
      help: 'Distro verify calls sent to a peer',
      labelNames: ['peer'],
      registers,
    });
    this.mismatches = new Counter({
      name: 'distro_verify_mismatches_total',
      help: 'Clients a peer lacked or held at another revision in verify',
      labelNames: ['peer'],
      registers,
    });
    this.snapshotSeconds = new Gauge({
      name: 'distro_snapshot_duration_seconds',
      help: 'Duration of the start-up snapshot load',
      registers,
    });
    this.refused = new Counter({
      name: 'distro_refused_total',
      help: 'Peer calls refused: unauthenticated calls, unknown senders, invalid payloads',
      labelNames: ['reason'],
      registers,
    });
    this.rejectedRecords = new Counter({
      name: 'distro_records_rejected_total',
      help: 'Publications, tombstones or clients from a peer left out because they break the text rule (names printable, metadata without NUL); the rest of the batch is applied',
      labelNames: ['peer'],
      registers,
    });
    this.standInWrites = new Counter({
      name: 'distro_standin_writes_total',
      help: 'Nacos HTTP writes and beats handled here as a stand-in because the responsible peer did not answer or is SUSPICIOUS/DOWN',
      labelNames: ['peer'],
      registers,
    });
    // prom-client calls collect() with the metric as `this`; the runtime is read through this getter.
    const runtime = (): DistroRuntime | undefined => this.runtime;
    new Gauge({
      name: 'distro_members',
      help: 'Distro peers by state',
      labelNames: ['state'],
      registers,
      collect() {
        const peers = runtime()?.members.peers() ?? [];
        for (const state of STATES) this.set({ state }, peers.filter((p) => p.state === state).length);
      },
    });
    new Gauge({
      name: 'distro_seconds_since_last_sync',
      help: 'Seconds since the last successful sync call to a peer (absent before the first)',
      labelNames: ['peer'],
      registers,
      collect() {
        this.reset();
        const current = runtime();
        if (!current) return;
        for (const peer of current.members.peers()) {
          const at = current.engine.lastSyncAt(peer.id);
          if (at !== undefined) this.set({ peer: peer.id }, (Date.now() - at) / 1000);
        }
      },
    });
    new Gauge({
      name: 'distro_initialized',
      help: '1 once the Distro snapshot is loaded (or the node runs standalone)',
      registers,
      collect() {
        this.set(runtime()?.engine.initialized() === false ? 0 : 1);
      },
    });
  }

  attach(runtime: DistroRuntime | undefined): void {
    this.runtime = runtime;
  }

  syncSent(peer: string, ok: boolean, bytes: number): void {
    this.syncRpcs.inc({ peer, result: ok ? 'ok' : 'failed' });
    if (ok) this.syncBytes.inc({ peer }, bytes);
    else this.syncFailures.inc({ peer });
  }

  verifyRpc(peer: string): void {
    this.verifyRpcs.inc({ peer });
  }

  verifyMismatches(peer: string, count: number): void {
    this.mismatches.inc({ peer }, count);
  }

  snapshotLoaded(_peer: string, seconds: number): void {
    this.snapshotSeconds.set(seconds);
  }

  standInWrite(peer: string): void {
    this.standInWrites.inc({ peer });
  }
}
