import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { HostView } from '../../src/nacos/view/service-info';

/** A host as the real nacos client hands it over: the fields of Nacos's Instance that the specs read. */
export type ClientHost = Pick<
  HostView,
  | 'instanceId'
  | 'ip'
  | 'port'
  | 'weight'
  | 'healthy'
  | 'enabled'
  | 'ephemeral'
  | 'clusterName'
  | 'serviceName'
  | 'metadata'
>;

export interface InstanceArg {
  ip: string;
  port: number;
  weight?: number;
  healthy?: boolean;
  enabled?: boolean;
  clusterName?: string;
  metadata?: Record<string, string>;
  /** False registers a persistent instance (no beats). */
  ephemeral?: boolean;
}

/**
 * The real `nacos` npm client, unchanged, in a child Node process (see nacos-client-driver.js);
 * each method is the client's own method of the same name.
 */
export class NacosClients {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Hosts the client's subscribe listeners received, by tag. */
  readonly notifications: Array<{ tag: string; at: number; hosts: ClientHost[] }> = [];

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (raw) => {
      const message = raw as {
        id?: number;
        result?: unknown;
        error?: string;
        event?: string;
        at?: number;
        hosts?: ClientHost[];
      };
      if (message.event !== undefined) {
        this.notifications.push({ tag: message.event, at: message.at ?? 0, hosts: message.hosts ?? [] });
        return;
      }
      const waiter = this.waiting.get(message.id ?? -1);
      if (waiter === undefined) return;
      this.waiting.delete(message.id ?? -1);
      if (message.error !== undefined) waiter.reject(new Error(message.error));
      else waiter.resolve(message.result);
    });
  }

  static start(): NacosClients {
    return new NacosClients(fork(resolve(__dirname, 'nacos-client-driver.js'), [], { stdio: 'ignore' }));
  }

  private send<T>(op: string, name: string, args: unknown[] = []): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolvePromise, reject) => {
      this.waiting.set(id, { resolve: resolvePromise as (v: unknown) => void, reject });
      this.child.send({ id, op, name, args });
    });
  }

  /** Creates a client named `name` against `base` and waits until it is ready. */
  async create(
    name: string,
    base: string,
    options: { namespace?: string; username?: string; password?: string } = {},
  ): Promise<void> {
    await this.send('create', name, [{ serverList: new URL(base).host, ...options }]);
  }

  registerInstance(name: string, serviceName: string, instance: InstanceArg, groupName?: string): Promise<void> {
    return this.send(
      'registerInstance',
      name,
      groupName === undefined ? [serviceName, instance] : [serviceName, instance, groupName],
    );
  }

  deregisterInstance(name: string, serviceName: string, instance: InstanceArg, groupName?: string): Promise<void> {
    return this.send(
      'deregisterInstance',
      name,
      groupName === undefined ? [serviceName, instance] : [serviceName, instance, groupName],
    );
  }

  getAllInstances(
    name: string,
    serviceName: string,
    groupName = 'DEFAULT_GROUP',
    clusters = '',
    subscribe = false,
  ): Promise<ClientHost[]> {
    return this.send('getAllInstances', name, [serviceName, groupName, clusters, subscribe]);
  }

  selectInstances(
    name: string,
    serviceName: string,
    groupName: string,
    clusters: string,
    healthy: boolean,
    subscribe = false,
  ): Promise<ClientHost[]> {
    return this.send('selectInstances', name, [serviceName, groupName, clusters, healthy, subscribe]);
  }

  getServerStatus(name: string): Promise<string> {
    return this.send('getServerStatus', name);
  }

  /** The client's service listing (`_serverProxy.getServiceList`; it has no public method for it). */
  serviceList(
    name: string,
    pageNo: number,
    pageSize: number,
    groupName: string,
  ): Promise<{ count: number; data: string[] }> {
    return this.send('serviceList', name, [pageNo, pageSize, groupName]);
  }

  /** `client.subscribe(info, listener)`; what the listener receives lands in `notifications` under `tag`. */
  subscribe(
    name: string,
    info: { serviceName: string; groupName?: string; clusters?: string },
    tag: string,
  ): Promise<void> {
    return this.send('subscribe', name, [info, tag]);
  }

  close(name: string): Promise<void> {
    return this.send('close', name);
  }

  stop(): void {
    this.child.kill();
  }
}

export interface HostJson {
  ip: string;
  port: number;
  healthy: boolean;
  enabled: boolean;
  ephemeral: boolean;
  weight: number;
  clusterName: string;
  metadata: Record<string, string>;
  instanceId: string;
}

/** GET /nacos/v1/ns/instance/list straight over HTTP (no client cache). */
export async function listHosts(
  base: string,
  serviceName: string,
  extra: Record<string, string> = {},
): Promise<HostJson[]> {
  const query = new URLSearchParams({ serviceName, ...extra });
  const res = await fetch(`${base}/nacos/v1/ns/instance/list?${query.toString()}`);
  if (res.status !== 200) throw new Error(`instance/list answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { hosts: HostJson[] }).hosts;
}

export async function call(
  base: string,
  method: string,
  path: string,
  params: Record<string, string> = {},
  options: { form?: boolean; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string; json: () => unknown; contentType: string }> {
  const query = new URLSearchParams(params).toString();
  const res = options.form
    ? await fetch(`${base}${path}`, {
        method,
        body: query,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
      })
    : await fetch(`${base}${path}${query ? `?${query}` : ''}`, { method, headers: options.headers });
  const text = await res.text();
  return {
    status: res.status,
    text,
    json: () => JSON.parse(text) as unknown,
    contentType: res.headers.get('content-type') ?? '',
  };
}

/** A Namespace as Nacos's console and core APIs answer it: quota 200, no configs; type 2 custom, 0 public. */
export function namespaceView(namespace: string, namespaceShowName: string, namespaceDesc = '', type = 2) {
  return { namespace, namespaceShowName, namespaceDesc, quota: 200, configCount: 0, type };
}
