import { Logger } from '@nestjs/common';
import type { CopyRecord, TaskSelector } from '../reconcile/copy-plan';
import { grpcAddresses, httpAddresses } from './cluster-addresses';
import { NacosRegistryAdapter } from './nacos-adapter';
import type { NacosClusterSettings } from './nacos-adapter';
import { probeNacosGrpc } from './nacos-grpc-probe';
import { NacosV1RegistryAdapter } from './nacos-v1-adapter';
import type { RegistryAdapter } from './registry-adapter';
import type { ReachabilityReport } from './registry-endpoint';
import type { ServiceSnapshot, SourceRegistry, SourceWatch } from './source-registry';
import type { CopyOwner, RenewOutcome, ServiceCopies, TargetRegistry } from './target-registry';

export interface NacosClusterOptions extends NacosClusterSettings {
  /** The cluster's name, for the log line that says which protocol was chosen. */
  name: string;
  /** How long a gRPC port may take to answer the probe. Default 3000. */
  probeTimeoutMs?: number;
  /** How often a v1 source watch polls. Default 2000. */
  pollIntervalMs?: number;
}

export type NacosProtocol = 'grpc' | 'http-v1';

interface Choice {
  protocol: NacosProtocol;
  adapter: RegistryAdapter;
  /** Why HTTP v1 was chosen (what the gRPC ports said). */
  why?: string;
}

const WATCH_RETRY_MS = 5000;

/**
 * A cluster of kind `nacos`: the Nacos 2.x/3.x gRPC client protocol where the servers speak it,
 * else the Nacos 1.x HTTP v1 API. The choice is made on first use and holds for this adapter's
 * life (one task holding, or one check), because copies written over one protocol are not the
 * other's to keep alive. HTTP v1 is chosen only on certain signs that there is no 2.x server —
 * every gRPC port refuses or is a gRPC server without Nacos's service, or the HTTP API reports
 * a 1.x version — and only when HTTP v1 answers; a gRPC port that merely times out is an error,
 * retried at the next call, not a reason to fall back.
 */
export class NacosClusterAdapter implements SourceRegistry, TargetRegistry {
  private choosing: Promise<Choice> | undefined;
  private chosen: Choice | undefined;
  private closed = false;

  constructor(
    private readonly options: NacosClusterOptions,
    private readonly logger: Pick<Logger, 'log' | 'debug'> = new Logger(NacosClusterAdapter.name),
  ) {}

  /** The protocol in use, once decided. */
  get protocol(): NacosProtocol | undefined {
    return this.chosen?.protocol;
  }

  async snapshot(selector: TaskSelector): Promise<ServiceSnapshot[]> {
    return (await this.choice()).adapter.snapshot(selector);
  }

  watch(selector: TaskSelector, onService: (s: ServiceSnapshot) => void, onError: (err: Error) => void): SourceWatch {
    let inner: SourceWatch | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const open = (): void => {
      this.choice().then(
        (choice) => {
          if (!stopped) inner = choice.adapter.watch(selector, onService, onError);
        },
        (err: unknown) => {
          if (stopped) return;
          onError(err as Error);
          timer = setTimeout(open, WATCH_RETRY_MS);
        },
      );
    };
    open();
    return {
      close: () => {
        stopped = true;
        clearTimeout(timer);
        inner?.close();
      },
    };
  }

  async applyCopies(owner: CopyOwner, services: ServiceCopies[]): Promise<void> {
    return (await this.choice()).adapter.applyCopies(owner, services);
  }

  async renewCopies(owner: CopyOwner): Promise<RenewOutcome> {
    return (await this.choice()).adapter.renewCopies(owner);
  }

  async withdrawCopies(owner: CopyOwner): Promise<void> {
    return (await this.choice()).adapter.withdrawCopies(owner);
  }

  async listCopies(owner: CopyOwner): Promise<CopyRecord[]> {
    return (await this.choice()).adapter.listCopies(owner);
  }

  async check(): Promise<ReachabilityReport> {
    const started = Date.now();
    let choice: Choice;
    try {
      choice = await this.choice();
    } catch (err) {
      return { reachable: false, latencyMs: Date.now() - started, error: (err as Error).message };
    }
    const report = await choice.adapter.check();
    const version = choice.why && report.version ? `${report.version} (${choice.why})` : report.version;
    return { ...report, version, protocol: choice.protocol, latencyMs: Date.now() - started };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chosen?.adapter.close();
  }

  /** The decision, made once; a failed one is made again at the next call. */
  private choice(): Promise<Choice> {
    if (this.closed) return Promise.reject(new Error('the nacos cluster adapter is closed'));
    this.choosing ??= this.decide().then(
      async (choice) => {
        if (this.closed) await choice.adapter.close();
        this.chosen = choice;
        return choice;
      },
      (err: unknown) => {
        this.choosing = undefined;
        throw err;
      },
    );
    return this.choosing;
  }

  private async decide(): Promise<Choice> {
    const { addresses, name } = this.options;
    const timeoutMs = this.options.probeTimeoutMs ?? 3000;
    const probes = await Promise.all(grpcAddresses(addresses).map((a) => probeNacosGrpc(a, timeoutMs)));
    const up = probes.find((p) => p.outcome === 'nacos2');
    if (up !== undefined) {
      this.logger.debug(`nacos cluster ${name}: Nacos gRPC answers at ${up.address}; using gRPC`);
      return { protocol: 'grpc', adapter: new NacosRegistryAdapter(this.options) };
    }
    const said = probes.map((p) => `${p.address} ${'reason' in p ? p.reason : ''}`).join('; ');
    const v1 = new NacosV1RegistryAdapter({
      addresses: httpAddresses(addresses),
      namespace: this.options.namespace,
      username: this.options.username,
      password: this.options.password,
      pollIntervalMs: this.options.pollIntervalMs,
    });
    let version: string | undefined;
    let server: string;
    try {
      ({ version, server } = await v1.client.describe());
    } catch (err) {
      await v1.close();
      throw new Error(`no Nacos 2.x gRPC (${said}) and no Nacos HTTP v1 answer: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const certain = probes.every((p) => p.outcome === 'absent');
    if (!certain && !(version !== undefined && /^1\./.test(version))) {
      await v1.close();
      throw new Error(
        `the Nacos gRPC port did not answer as a 2.x server (${said}); HTTP v1 answers but does not say it is 1.x, so no fallback`,
      );
    }
    const why = `no Nacos 2.x gRPC: ${said}`;
    this.logger.log(
      `nacos cluster ${name}: ${why}; using Nacos HTTP v1${version ? ` (server ${version})` : ''} via ${server}`,
    );
    return { protocol: 'http-v1', adapter: v1, why };
  }
}
