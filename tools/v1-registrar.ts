/** An ephemeral instance registered over Nacos HTTP v1 (an ip-port client: it lives on beats). */
export interface V1Instance {
  namespace: string;
  group: string;
  service: string;
  ip: string;
  port: number;
  weight: number;
  metadata: Record<string, string>;
}

/**
 * Registers ephemeral instances over the Nacos HTTP v1 API and beats for them, as an ip-port
 * application would: a beat carries the instance, so a registry that lost it (its region
 * restarted) gets it back on the next beat. Calls go to whichever node of `bases` answers.
 */
export class V1Registrar {
  private readonly beating = new Map<string, V1Instance>();
  private timer: NodeJS.Timeout | undefined;
  /** The beat round in flight: a deregistration waits for it, or a late beat would register again. */
  private round: Promise<void> = Promise.resolve();
  /** Beats that no node accepted; they are retried on the next round. */
  failedBeats = 0;

  constructor(
    private readonly bases: () => string[],
    private readonly beatIntervalMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      this.round = this.beatAll();
    }, this.beatIntervalMs);
  }

  /** Registers (or re-registers with new weight/metadata) and keeps beating. */
  async register(i: V1Instance): Promise<void> {
    await this.call('POST', '/nacos/v1/ns/instance', {
      ...this.params(i),
      weight: i.weight,
      metadata: JSON.stringify(i.metadata),
    });
    this.beating.set(keyOf(i), i);
  }

  async deregister(i: V1Instance): Promise<void> {
    this.beating.delete(keyOf(i));
    await this.round;
    await this.call('DELETE', '/nacos/v1/ns/instance', this.params(i));
  }

  /** Stops beating without deregistering: the registry marks it unhealthy, then removes it. */
  stopBeats(i: V1Instance): void {
    this.beating.delete(keyOf(i));
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.beating.clear();
  }

  private async beatAll(): Promise<void> {
    await Promise.all(
      [...this.beating.values()].map(async (i) => {
        const beat = {
          ip: i.ip,
          port: i.port,
          cluster: 'DEFAULT',
          weight: i.weight,
          metadata: i.metadata,
          serviceName: `${i.group}@@${i.service}`,
        };
        try {
          await this.call('PUT', '/nacos/v1/ns/instance/beat', { ...this.params(i), beat: JSON.stringify(beat) });
        } catch {
          this.failedBeats++;
        }
      }),
    );
  }

  private params(i: V1Instance): Record<string, string> {
    return {
      namespaceId: i.namespace,
      groupName: i.group,
      serviceName: i.service,
      ip: i.ip,
      port: String(i.port),
      ephemeral: 'true',
    };
  }

  /** Tries every node once, starting at a random one, as the Nacos clients do. */
  private async call(method: string, path: string, params: Record<string, string | number>): Promise<void> {
    const bases = this.bases();
    const start = Math.floor(Math.random() * bases.length);
    let last: unknown = new Error('no node is running');
    for (let n = 0; n < bases.length; n++) {
      const base = bases[(start + n) % bases.length];
      const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
      try {
        const res = await fetch(`${base}${path}?${qs.toString()}`, { method, signal: AbortSignal.timeout(5000) });
        const text = await res.text();
        if (res.ok) return;
        last = new Error(`${method} ${path} on ${base}: ${res.status} ${text}`);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }
}

function keyOf(i: V1Instance): string {
  return `${i.namespace}/${i.group}@@${i.service}/${i.ip}:${i.port}`;
}
