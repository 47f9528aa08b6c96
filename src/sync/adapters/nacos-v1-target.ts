import { batchError, forEachBounded } from '@/common/bounded';
import { DEFAULT_GROUP, formatServiceKey } from '@/registry';
import type { ServiceKey } from '@/registry';
import type { CopyRecord } from '../reconcile/copy-plan';
import { SYNC_TASK_KEY, copyId, isPersistentCopy } from '../reconcile/copy-plan';
import { NacosV1Error } from './nacos-v1-client';
import type { NacosV1Client } from './nacos-v1-client';
import { checkNacosV1, fingerprintOf, listAllServices } from './nacos-v1-source';
import type { ReachabilityReport } from './registry-endpoint';
import type { CopyOwner, RenewOutcome, ServiceCopies, TargetRegistry } from './target-registry';

/** Nacos 1.x's beat interval until a server says another one. */
const DEFAULT_BEAT_MS = 5000;
/** The first round comes early: it learns the server's interval, which may be shorter than the default. */
const FIRST_BEAT_MS = 1000;
const MIN_BEAT_MS = 500;
const MAX_BEAT_MS = 30_000;

interface HeldService {
  key: ServiceKey;
  /** The copies this holder registered there and keeps beating, by copyId. */
  copies: Map<string, CopyRecord>;
}

/**
 * A Nacos 1.x cluster written as a target, over the naming Open API v1. It registers each copy as
 * an ephemeral instance (1.x has no batch and no leases) and keeps every copy alive with one v1
 * beat per copy per beat interval, sent from one timer per task; an instance the server has lost
 * (beat answer 20404) is registered again at once, as Nacos clients do. A persistent copy is
 * registered with `ephemeral=false` and never beaten: the server keeps it until the task
 * deregisters it (`ephemeral=false` too); one whose kind changed is deregistered and registered again.
 */
export class NacosV1Target implements TargetRegistry {
  private readonly held = new Map<string, HeldService>();
  /** Copies the target lacks though this holder registered them: the next apply registers them again. */
  private readonly missing = new Set<string>();
  /** Copies of the task seen in the target that this holder did not register (an earlier holder did). */
  private readonly strays = new Map<string, Map<string, CopyRecord>>();
  private beatMs = DEFAULT_BEAT_MS;
  private lightBeats = false;
  private beatTimer: NodeJS.Timeout | undefined;
  private beating = false;
  private lastRound: { total: number; failures: unknown[] } | undefined;
  private closed = false;
  private withdrawing = false;

  constructor(
    private readonly client: NacosV1Client,
    private readonly settings: { namespace: string },
    private readonly concurrency: number,
  ) {}

  async applyCopies(_owner: CopyOwner, services: ServiceCopies[]): Promise<void> {
    this.withdrawing = false;
    const ops: Array<() => Promise<void>> = [];
    for (const { key, copies, removed } of services) {
      this.requireNamespace(key);
      const sid = formatServiceKey(key);
      let held = this.held.get(sid);
      if (!held) this.held.set(sid, (held = { key, copies: new Map() }));
      const service = held;
      const wanted = new Map(copies.map((c) => [copyId(c), c]));
      for (const [cid, want] of wanted) {
        const had = service.copies.get(cid);
        const mark = `${sid}#${cid}`;
        if (had === undefined || this.missing.has(mark)) {
          ops.push(async () => {
            await this.client.register(key, want);
            service.copies.set(cid, want);
            this.missing.delete(mark);
          });
        } else if (!sameCopy(had, want)) {
          ops.push(async () => {
            await this.updateInPlace(key, had, want);
            service.copies.set(cid, want);
          });
        }
      }
      // Whatever of the task is in the service and not wanted goes: removed ones, and strays.
      const unwanted = new Map<string, CopyRecord>();
      for (const c of [...removed, ...service.copies.values(), ...(this.strays.get(sid)?.values() ?? [])]) {
        if (!wanted.has(copyId(c))) unwanted.set(copyId(c), c);
      }
      this.strays.delete(sid);
      for (const [cid, gone] of unwanted) {
        // Forgotten first, so a beat in flight does not register it again.
        service.copies.delete(cid);
        ops.push(async () => {
          try {
            await this.client.deregister(key, gone);
            this.missing.delete(`${sid}#${cid}`);
          } catch (err) {
            // Still in the target: the next apply of the service tries again.
            this.rememberStray(sid, key, gone);
            throw err;
          }
        });
      }
    }
    const failures = await forEachBounded(ops, this.concurrency, (op) => op());
    for (const [sid, service] of this.held) if (service.copies.size === 0) this.held.delete(sid);
    this.startBeats();
    if (failures.length > 0) throw batchError('Nacos HTTP writes', failures, ops.length);
  }

  /**
   * Copies live by the beat timer, not by this call; it starts the timer and reports the last
   * round: present = this holder has copies in the target, and a round in which every beat
   * failed means the target is unreachable.
   */
  renewCopies(): Promise<RenewOutcome> {
    this.startBeats();
    const last = this.lastRound;
    if (last !== undefined && last.total > 0 && last.failures.length === last.total) {
      return Promise.reject(batchError('beats', last.failures, last.total));
    }
    return Promise.resolve({ present: this.held.size > 0 });
  }

  async withdrawCopies(owner: CopyOwner): Promise<void> {
    // No more beats, and none in flight registers a copy again.
    this.withdrawing = true;
    this.stopBeats();
    // What this holder registered, plus what a scan of the groups it knows (and the default
    // group) finds carrying the task's id: a holder that took over a deletion knows nothing yet.
    const targets = new Map<string, { key: ServiceKey; copy: CopyRecord }>();
    for (const { key, copies } of this.held.values()) {
      for (const c of copies.values()) targets.set(`${formatServiceKey(key)}#${copyId(c)}`, { key, copy: c });
    }
    const keys: ServiceKey[] = [];
    for (const group of new Set([DEFAULT_GROUP, ...[...this.held.values()].map((s) => s.key.group)])) {
      for (const name of await listAllServices(this.client, this.settings.namespace, group)) {
        keys.push({ namespace: this.settings.namespace, group, name });
      }
    }
    const scanFailures = await forEachBounded(keys, this.concurrency, async (key) => {
      for (const c of await this.taskCopiesIn(key, owner.taskId)) {
        targets.set(`${formatServiceKey(key)}#${copyId(c)}`, { key, copy: c });
      }
    });
    if (scanFailures.length > 0) throw batchError('instance list reads', scanFailures, keys.length);
    const all = [...targets.values()];
    const failures = await forEachBounded(all, this.concurrency, async ({ key, copy }) => {
      await this.client.deregister(key, copy);
      this.held.get(formatServiceKey(key))?.copies.delete(copyId(copy));
    });
    if (failures.length > 0) throw batchError('deregistrations', failures, all.length);
    this.held.clear();
    this.missing.clear();
    this.strays.clear();
  }

  /**
   * The task's copies in the services this holder wrote, read back from the target. Nacos decides
   * the health of ephemeral instances by their beats and hides disabled ones from v1 readers, so
   * for copies this holder registered it reports the health it wrote, and a disabled copy as
   * present until a read shows otherwise; copies it registered that are gone are marked missing.
   */
  async listCopies(owner: CopyOwner): Promise<CopyRecord[]> {
    const out: CopyRecord[] = [];
    const services = [...this.held.values()];
    const failures = await forEachBounded(services, this.concurrency, async ({ key, copies }) => {
      const sid = formatServiceKey(key);
      const visible = new Map((await this.taskCopiesIn(key, owner.taskId)).map((c) => [copyId(c), c]));
      for (const [cid, c] of visible) {
        const mine = copies.get(cid);
        if (mine === undefined) this.rememberStray(sid, key, c);
        out.push(mine === undefined ? c : { ...c, healthy: mine.healthy });
        this.missing.delete(`${sid}#${cid}`);
      }
      for (const [cid, mine] of copies) {
        if (visible.has(cid)) continue;
        if (mine.enabled) this.missing.add(`${sid}#${cid}`);
        else out.push(mine);
      }
    });
    if (failures.length > 0) throw batchError('instance list reads', failures, services.length);
    return out;
  }

  check(): Promise<ReachabilityReport> {
    return checkNacosV1(this.client);
  }

  /** Stops beating; the copies lapse after the server's delete timeout unless a next holder beats them. */
  close(): Promise<void> {
    this.closed = true;
    this.stopBeats();
    return Promise.resolve();
  }

  private startBeats(): void {
    if (this.beatTimer !== undefined || this.closed || this.withdrawing || this.held.size === 0) return;
    this.beatTimer = setTimeout(() => void this.beatRound(), Math.min(FIRST_BEAT_MS, this.beatMs));
  }

  private stopBeats(): void {
    clearTimeout(this.beatTimer);
    this.beatTimer = undefined;
  }

  /** One beat per copy, `concurrency` at a time; the next round starts one interval after this one began. */
  private async beatRound(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    const began = Date.now();
    // Persistent copies are the server's to keep: no beats.
    const all = [...this.held.values()].flatMap(({ key, copies }) =>
      [...copies.values()].filter((c) => !isPersistentCopy(c)).map((c) => ({ key, c })),
    );
    try {
      const failures = await forEachBounded(all, this.concurrency, async ({ key, c }) => {
        const answer = await this.client.beat(key, c, this.lightBeats, this.beatMs);
        this.lightBeats = answer.lightBeatEnabled;
        if (answer.intervalMs !== undefined) {
          this.beatMs = Math.min(MAX_BEAT_MS, Math.max(MIN_BEAT_MS, answer.intervalMs));
        }
        // Lost by the server (restart, expiry, removed by hand): register it again, unless it is no longer wanted.
        if (!answer.found && !this.withdrawing && this.held.get(formatServiceKey(key))?.copies.get(copyId(c)) === c) {
          await this.client.register(key, c);
        }
      });
      this.lastRound = { total: all.length, failures };
    } finally {
      this.beating = false;
      this.beatTimer = undefined;
      if (!this.closed && !this.withdrawing && this.held.size > 0) {
        this.beatTimer = setTimeout(() => void this.beatRound(), Math.max(0, this.beatMs - (Date.now() - began)));
      }
    }
  }

  /**
   * PUT changes weight, enabled and metadata in place; health is the server's (beats), so a health
   * change re-registers (a persistent instance takes the health it is registered with). A copy that
   * changed kind is deregistered as it was first: Nacos keeps a service one kind or the other.
   */
  private async updateInPlace(key: ServiceKey, had: CopyRecord, want: CopyRecord): Promise<void> {
    if (isPersistentCopy(had) !== isPersistentCopy(want)) {
      await this.client.deregister(key, had);
      return this.client.register(key, want);
    }
    if (had.healthy !== want.healthy) return this.client.register(key, want);
    try {
      await this.client.update(key, want);
    } catch (err) {
      // The server lost it meanwhile: "instance not exist".
      if (err instanceof NacosV1Error && err.status === 400) return this.client.register(key, want);
      throw err;
    }
  }

  private rememberStray(sid: string, key: ServiceKey, c: CopyRecord): void {
    let strays = this.strays.get(sid);
    if (!strays) this.strays.set(sid, (strays = new Map<string, CopyRecord>()));
    strays.set(copyId(c), { ...c, namespace: key.namespace, groupName: key.group, serviceName: key.name });
  }

  private async taskCopiesIn(key: ServiceKey, taskId: string): Promise<CopyRecord[]> {
    const out: CopyRecord[] = [];
    for (const h of await this.client.listInstances(key)) {
      if (h.metadata[SYNC_TASK_KEY] !== taskId) continue;
      out.push({ namespace: key.namespace, groupName: key.group, serviceName: key.name, ...h });
    }
    return out;
  }

  private requireNamespace(key: ServiceKey): void {
    if (key.namespace !== this.settings.namespace) {
      throw new Error(`this nacos cluster is used in namespace ${this.settings.namespace}, not ${key.namespace}`);
    }
  }
}

function sameCopy(a: CopyRecord, b: CopyRecord): boolean {
  return fingerprintOf([a]) === fingerprintOf([b]);
}
