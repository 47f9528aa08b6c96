import { setTimeout as sleep } from 'node:timers/promises';
import type { Effect, History, InstanceKey, OpKind, OpRecord, Outcome } from './history';

/**
 * Seeded, bounded writers. Each writer owns its own instances (distinct ips), so the operations on one
 * instance are sequential and their real-time order is known. A writer registers new v1 instances,
 * updates (PUT, or POST again with new values) and deregisters its earlier ones, and sometimes
 * registers a deregistered one again. Each operation goes to the next node round-robin; one that is
 * not acknowledged is retried on the following node, as a client with several server addresses does,
 * up to once per node, and a node that timed out or refused the connection is skipped for `avoidMs`. An instance with an operation that was not acknowledged is left alone (no
 * different operation) until that operation can no longer take effect (History.applyDeadline), so its
 * later history stays strictly ordered.
 */

export interface WriterTarget {
  name: string;
  base: string;
}

export interface LoadOptions {
  seed: number;
  writers: number;
  services: string[];
  /** Pause between two operations of a writer, uniform in [min, max] ms. */
  thinkMs: [number, number];
  /** Per-request timeout. */
  timeoutMs: number;
  /** See History.applyDeadline. */
  graceMs: number;
  /** Pause before retrying on the next node. */
  retryDelayMs: number;
  /** How long a writer skips a node that timed out or refused a connection. */
  avoidMs: number;
  /** Most instances one writer creates. */
  maxKeysPerWriter: number;
}

export interface LoadStats {
  operations: number;
  attempts: Record<Exclude<Outcome, 'pending'>, number>;
  /** Operations not acknowledged by any node. */
  gaveUp: number;
}

export interface Load {
  stats: LoadStats;
  /** Stops the writers after their current operation (with its retries) and resolves when all are idle. */
  stop(): Promise<LoadStats>;
}

/** mulberry32: a small, good-enough seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable 32-bit hash of a string (FNV-1a), to derive one seed per scenario and writer. */
export function hashSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

interface Owned {
  key: InstanceKey;
  /** What the writer last had acknowledged, or unknown after an operation nobody acknowledged. */
  belief: 'present' | 'absent' | 'unknown';
  ops: OpRecord[];
}

async function send(
  target: WriterTarget,
  kind: OpKind,
  key: InstanceKey,
  effect: Effect,
  timeoutMs: number,
): Promise<{ outcome: Exclude<Outcome, 'pending'>; detail: string }> {
  const params = new URLSearchParams({
    serviceName: key.service,
    ip: key.ip,
    port: String(key.port),
    ephemeral: 'true',
  });
  if (effect.present) {
    params.set('weight', String(effect.weight));
    params.set('metadata', JSON.stringify(effect.metadata));
  }
  const method = kind === 'register' ? 'POST' : kind === 'update' ? 'PUT' : 'DELETE';
  try {
    const response = await fetch(`${target.base}/nacos/v1/ns/instance?${params.toString()}`, {
      method,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.text()).replace(/\s+/g, ' ').slice(0, 160);
    if (response.status === 200 && body === 'ok') return { outcome: 'ok', detail: 'HTTP 200 ok' };
    const outcome = response.status >= 400 && response.status < 500 ? 'rejected' : 'failed';
    return { outcome, detail: `HTTP ${response.status} ${body}` };
  } catch (error) {
    const err = error as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError') return { outcome: 'timeout', detail: `no answer in ${timeoutMs} ms` };
    return { outcome: 'failed', detail: `${err.cause?.code ?? err.name}: ${err.cause?.message ?? err.message}` };
  }
}

export function startLoad(targets: WriterTarget[], history: History, options: LoadOptions): Load {
  const stats: LoadStats = {
    operations: 0,
    attempts: { ok: 0, rejected: 0, failed: 0, timeout: 0 },
    gaveUp: 0,
  };
  let running = true;

  async function writer(w: number): Promise<void> {
    const random = prng(options.seed ^ Math.imul(w + 1, 0x9e3779b9));
    const between = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
    const owned: Owned[] = [];
    let cursor = w % targets.length;
    // a node that timed out or refused is skipped for a while (unless all are), as a client with a server list does
    const avoidUntil = new Map<string, number>();
    const nextTarget = (): WriterTarget => {
      for (let i = 0; i < targets.length; i++) {
        const target = targets[cursor++ % targets.length];
        if ((avoidUntil.get(target.name) ?? 0) <= history.now()) return target;
      }
      return targets[cursor++ % targets.length];
    };
    let created = 0;

    const busy = (o: Owned): boolean =>
      o.ops.some(
        (op) =>
          op.outcome !== 'ok' &&
          op.outcome !== 'rejected' &&
          history.applyDeadline(op, options.graceMs) >= history.now(),
      );
    const pick = (filter: (o: Owned) => boolean): Owned | undefined => {
      const choices = owned.filter((o) => filter(o) && !busy(o));
      return choices.length ? choices[Math.floor(random() * choices.length)] : undefined;
    };
    const newEffect = (): Effect => ({
      present: true,
      weight: between(1, 100),
      // the metadata names the writer's operation, so a stale value in a report says which write it was
      metadata: { writer: `w${w}`, write: `${w}-${stats.operations + 1}-${between(0, 1e6)}` },
    });

    async function perform(o: Owned, kind: OpKind, effect: Effect): Promise<void> {
      stats.operations++;
      for (let attempt = 1; attempt <= targets.length; attempt++) {
        const target = nextTarget();
        const op = history.invoke(w, kind, o.key, effect, target.name, attempt);
        o.ops.push(op);
        const { outcome, detail } = await send(target, kind, o.key, effect, options.timeoutMs);
        history.complete(op, outcome, detail);
        stats.attempts[outcome]++;
        if (outcome === 'timeout' || (outcome === 'failed' && !detail.startsWith('HTTP')))
          avoidUntil.set(target.name, history.now() + options.avoidMs);
        if (outcome === 'ok') {
          o.belief = effect.present ? 'present' : 'absent';
          return;
        }
        if (outcome === 'rejected') {
          // e.g. an update of an instance that node does not hold: nothing applied, no retry
          o.belief = 'unknown';
          return;
        }
        await sleep(options.retryDelayMs);
      }
      o.belief = 'unknown';
      stats.gaveUp++;
    }

    while (running) {
      const r = random();
      let chosen: Owned | undefined;
      let kind: OpKind = 'register';
      if (r >= 0.45 && r < 0.7) {
        chosen = pick((o) => o.belief === 'present');
        kind = random() < 0.5 ? 'update' : 'register';
      } else if (r >= 0.7 && r < 0.9) {
        chosen = pick((o) => o.belief === 'present');
        kind = 'deregister';
      } else if (r >= 0.9) {
        chosen = pick((o) => o.belief !== 'present');
        kind = chosen?.belief === 'unknown' && random() < 0.5 ? 'deregister' : 'register';
      }
      if (!chosen) {
        if (created >= options.maxKeysPerWriter) {
          chosen = pick(() => true);
          kind = chosen?.belief === 'present' ? 'update' : 'register';
        } else {
          created++;
          const key: InstanceKey = {
            service: options.services[between(0, options.services.length - 1)],
            ip: `172.${16 + w}.${Math.floor(created / 250)}.${(created % 250) + 1}`,
            port: between(1024, 65000),
          };
          chosen = { key, belief: 'absent', ops: [] };
          owned.push(chosen);
          kind = 'register';
        }
      }
      if (chosen) await perform(chosen, kind, kind === 'deregister' ? { present: false } : newEffect());
      await sleep(between(options.thinkMs[0], options.thinkMs[1]));
    }
  }

  const done = Promise.all(Array.from({ length: options.writers }, (_, w) => writer(w)));
  return {
    stats,
    async stop() {
      running = false;
      await done;
      return stats;
    },
  };
}
