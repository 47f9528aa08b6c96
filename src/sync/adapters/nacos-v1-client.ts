import { DEFAULT_CLUSTER, groupedName } from '@/registry';
import type { ServiceKey } from '@/registry';
import { isPersistentCopy } from '../reconcile/copy-plan';
import type { CopyRecord, SourceInstance } from '../reconcile/copy-plan';

export interface NacosV1ClientOptions {
  /** `host:httpPort` of each server; a call that fails on one goes to the next. */
  addresses: readonly string[];
  username?: string;
  password?: string;
  /** Deadline of each HTTP request. Default 5000. */
  timeoutMs?: number;
  clock?: () => number;
}

/** A refused or failed call; `status` is the HTTP status when a server answered at all. */
export class NacosV1Error extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'NacosV1Error';
  }
}

export interface V1ServicePage {
  count: number;
  names: string[];
}

/** One page of services across groups: the total, and each service's group and name. */
export interface CatalogPage {
  count: number;
  services: Array<{ group: string; name: string }>;
}

const NAMESPACE_LISTS = [
  '/nacos/v1/console/namespaces',
  '/nacos/v2/console/namespace/list',
  '/nacos/v3/admin/core/namespace/list',
] as const;

export interface V1BeatAnswer {
  /** False when the server does not know the instance (code 20404): register it again. */
  found: boolean;
  /** The beat interval the server asks for, when it says one. */
  intervalMs?: number;
  /** The server accepts beats without the instance body (Nacos ≥ 1.4). */
  lightBeatEnabled: boolean;
}

export interface V1ServerInfo {
  server: string;
  /** The server's version, when it reports one (`/nacos/v1/console/server/state`). */
  version?: string;
}

const BEAT_NOT_FOUND = 20404;
/** Refresh the access token when this share of its TTL is gone, as the Nacos clients do. */
const TOKEN_REFRESH_AT = 0.9;
const MAX_ERROR_BODY = 200;

/**
 * The Nacos naming Open API v1 (`/nacos/v1/ns/*`), as Nacos 1.x servers serve it: login with
 * an access token refreshed before its TTL, failover across the addresses, and every answer
 * checked before it is believed. Writes send a form body (Nacos reads PUT forms too), reads a
 * query string; the token always travels in the query as `accessToken`.
 */
export class NacosV1Client {
  private readonly addresses: string[];
  private current = 0;
  private readonly timeoutMs: number;
  private readonly clock: () => number;
  private token: { value: string; refreshAt: number } | undefined;
  private loggingIn: Promise<string> | undefined;

  constructor(private readonly options: NacosV1ClientOptions) {
    if (options.addresses.length === 0) throw new Error('a Nacos HTTP client needs at least one address');
    this.addresses = [...options.addresses];
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.clock = options.clock ?? Date.now;
  }

  /** The server the next call goes to first. */
  get server(): string {
    return this.addresses[this.current];
  }

  /** Answers when a server is up (`/ns/operator/metrics` says UP), with its version if it tells it. */
  async describe(): Promise<V1ServerInfo> {
    const metrics = asObject(await this.json('GET', '/nacos/v1/ns/operator/metrics', {}), 'operator/metrics');
    if (metrics.status !== 'UP') {
      throw new NacosV1Error(`Nacos server ${this.server} is not UP (status ${JSON.stringify(metrics.status)})`);
    }
    const server = this.server;
    try {
      const state = asObject(await this.json('GET', '/nacos/v1/console/server/state', {}), 'server/state');
      return { server, version: typeof state.version === 'string' ? state.version : undefined };
    } catch (err) {
      // Servers before 1.3 and ours have no server/state: the version is then unknown.
      if (err instanceof NacosV1Error && err.status === 404) return { server };
      throw err;
    }
  }

  /**
   * Namespace ids (`''` is `public`) from the first console API the server serves: v1
   * `/console/namespaces` (1.x, 2.x), v2 `/console/namespace/list` (2.2+), v3
   * `/v3/admin/core/namespace/list` (3.x, where the v1/v2 console answers 410); undefined when none is.
   */
  async namespaces(): Promise<string[] | undefined> {
    for (const path of NAMESPACE_LISTS) {
      const body = await this.unlessAbsent(() => this.json('GET', path, {}));
      if (body === undefined) continue;
      const data = asObject(body, path).data;
      if (!Array.isArray(data)) throw invalid(path, 'data is not a list');
      return data.map((each) => {
        const id = asObject(each, path).namespace;
        if (typeof id !== 'string') throw invalid(path, 'a namespace has no id');
        return id === '' ? 'public' : id;
      });
    }
    return undefined;
  }

  /**
   * One page of a namespace's services across every group: the console catalog (`/ns/catalog/services`,
   * 1.x and 2.x) or, where it is gone (3.x), the v3 admin service list. Undefined when neither is served.
   */
  async catalogServices(namespace: string, pageNo: number, pageSize: number): Promise<CatalogPage | undefined> {
    const page = { namespaceId: namespace, pageNo: String(pageNo), pageSize: String(pageSize) };
    const v1 = await this.unlessAbsent(() =>
      this.json('GET', '/nacos/v1/ns/catalog/services', { ...page, withInstances: 'false' }),
    );
    if (v1 !== undefined) {
      const body = asObject(v1, 'catalog/services');
      return catalogPage('catalog/services', body.count, body.serviceList);
    }
    const v3 = await this.unlessAbsent(() =>
      this.json('GET', '/nacos/v3/admin/ns/service/list', {
        ...page,
        withInstances: 'false',
        ignoreEmptyService: 'false',
      }),
    );
    if (v3 === undefined) return undefined;
    const data = asObject(asObject(v3, 'v3 service/list').data, 'v3 service/list');
    return catalogPage('v3 service/list', data.totalCount, data.pageItems);
  }

  /** The call's answer, or undefined when the server does not serve the route (404, or 410 where 3.x retired it). */
  private async unlessAbsent<T>(read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (err) {
      if (err instanceof NacosV1Error && (err.status === 404 || err.status === 410)) return undefined;
      throw err;
    }
  }

  async listServices(namespace: string, group: string, pageNo: number, pageSize: number): Promise<V1ServicePage> {
    const body = asObject(
      await this.json('GET', '/nacos/v1/ns/service/list', {
        namespaceId: namespace,
        groupName: group,
        pageNo: String(pageNo),
        pageSize: String(pageSize),
      }),
      'service/list',
    );
    const doms: unknown = body.doms ?? [];
    if (!isCount(body.count) || !isNameList(doms)) throw invalid('service/list', 'expected {count, doms: [names]}');
    // Some 1.x versions answer grouped names (`group@@name`).
    return { count: body.count, names: doms.map((d) => (d.includes('@@') ? d.slice(d.indexOf('@@') + 2) : d)) };
  }

  /** Every instance of the service Nacos shows to readers (v1 never lists disabled ones). */
  async listInstances(key: ServiceKey): Promise<SourceInstance[]> {
    const body = asObject(
      await this.json('GET', '/nacos/v1/ns/instance/list', { ...serviceParams(key), healthyOnly: 'false' }),
      'instance/list',
    );
    if (!Array.isArray(body.hosts)) throw invalid('instance/list', 'hosts is not a list');
    return body.hosts.map((h) => parseHost(h));
  }

  /** Registers (or overwrites) one instance: ephemeral (kept by beats), or persistent for a persistent copy. */
  async register(key: ServiceKey, copy: CopyRecord): Promise<void> {
    await this.write('POST', '/nacos/v1/ns/instance', { ...instanceParams(key, copy), healthy: String(copy.healthy) });
  }

  /** Changes weight, enabled flag and metadata of a registered instance in place. */
  async update(key: ServiceKey, copy: CopyRecord): Promise<void> {
    await this.write('PUT', '/nacos/v1/ns/instance', instanceParams(key, copy));
  }

  async deregister(
    key: ServiceKey,
    copy: Pick<CopyRecord, 'clusterName' | 'ip' | 'port' | 'ephemeral'>,
  ): Promise<void> {
    await this.write('DELETE', '/nacos/v1/ns/instance', {
      ...serviceParams(key),
      clusterName: copy.clusterName,
      ip: copy.ip,
      port: String(copy.port),
      ephemeral: String(!isPersistentCopy(copy)),
    });
  }

  /** One heartbeat; `light` leaves the instance body out (servers that said lightBeatEnabled). */
  async beat(key: ServiceKey, copy: CopyRecord, light: boolean, periodMs: number): Promise<V1BeatAnswer> {
    const params: Record<string, string> = {
      ...serviceParams(key),
      clusterName: copy.clusterName,
      ip: copy.ip,
      port: String(copy.port),
    };
    if (!light) {
      params.beat = JSON.stringify({
        serviceName: groupedName(key.group, key.name),
        cluster: copy.clusterName,
        ip: copy.ip,
        port: copy.port,
        weight: copy.weight,
        metadata: copy.metadata,
        scheduled: true,
        period: periodMs,
      });
    }
    const body = asObject(await this.json('PUT', '/nacos/v1/ns/instance/beat', params), 'instance/beat');
    const { code, clientBeatInterval, lightBeatEnabled } = body;
    if (code !== undefined && typeof code !== 'number') throw invalid('instance/beat', 'code is not a number');
    if (clientBeatInterval !== undefined && !(typeof clientBeatInterval === 'number' && clientBeatInterval > 0)) {
      throw invalid('instance/beat', 'clientBeatInterval is not a positive number');
    }
    return {
      found: code !== BEAT_NOT_FOUND,
      intervalMs: clientBeatInterval,
      lightBeatEnabled: lightBeatEnabled === true,
    };
  }

  private async write(method: 'POST' | 'PUT' | 'DELETE', path: string, params: Record<string, string>): Promise<void> {
    const text = (await this.call(method, path, params)).trim();
    if (text !== 'ok') throw invalid(`${method} ${path}`, `expected "ok", got ${clip(text)}`);
  }

  private async json(method: string, path: string, params: Record<string, string>): Promise<unknown> {
    const text = await this.call(method, path, params);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw invalid(path, `not JSON: ${clip(text)}`);
    }
  }

  /**
   * One call, on the current server and then on each other one when a server cannot be reached
   * or answers 5xx (down, or not initialized). A 4xx is the answer: the request itself is wrong.
   */
  private async call(method: string, path: string, params: Record<string, string>, auth = true): Promise<string> {
    let lastError: unknown;
    for (let attempt = 0; attempt < this.addresses.length; attempt++) {
      // Login fails over by itself: when it fails, no server can take this call either.
      const token = auth ? await this.accessToken() : undefined;
      const server = this.server;
      try {
        let res = await this.send(server, method, path, params, token);
        if (res.status === 403 && token !== undefined) {
          // The token expired or the server restarted with a new secret: log in again, once.
          this.token = undefined;
          res = await this.send(server, method, path, params, await this.accessToken());
        }
        if (res.status === 200) return res.text;
        const error = new NacosV1Error(
          `${method} ${path} on ${server} answered ${res.status}: ${clip(res.text)}`,
          res.status,
        );
        if (res.status < 500) throw error;
        lastError = error;
      } catch (err) {
        if (err instanceof NacosV1Error && err.status !== undefined && err.status < 500) throw err;
        lastError = err;
      }
      // Concurrent calls may have moved on already: move past this server only.
      if (this.server === server) this.current = (this.current + 1) % this.addresses.length;
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new NacosV1Error(`no Nacos server answered ${method} ${path} (${this.addresses.join(', ')}): ${reason}`);
  }

  private async send(
    server: string,
    method: string,
    path: string,
    params: Record<string, string>,
    token: string | undefined,
  ): Promise<{ status: number; text: string }> {
    const query = new URLSearchParams(token === undefined ? {} : { accessToken: token });
    const form = method === 'POST' || method === 'PUT';
    if (!form) for (const [k, v] of Object.entries(params)) query.append(k, v);
    const qs = query.toString();
    let res: Response;
    try {
      res = await fetch(`http://${server}${path}${qs ? `?${qs}` : ''}`, {
        method,
        headers: form ? { 'content-type': 'application/x-www-form-urlencoded' } : undefined,
        body: form ? new URLSearchParams(params).toString() : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      const why = (err as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : cause;
      throw new Error(`${method} ${path} on ${server}: ${why ?? (err as Error).message}`, { cause: err });
    }
    return { status: res.status, text: await res.text() };
  }

  /** The current access token, logging in when there is none or it is near its TTL; none without a username. */
  private async accessToken(): Promise<string | undefined> {
    if (this.options.username === undefined) return undefined;
    if (this.token !== undefined && this.clock() < this.token.refreshAt) return this.token.value;
    this.loggingIn ??= this.login().finally(() => (this.loggingIn = undefined));
    return this.loggingIn;
  }

  private async login(): Promise<string> {
    const started = this.clock();
    let text: string;
    try {
      text = await this.call(
        'POST',
        '/nacos/v1/auth/login',
        { username: this.options.username ?? '', password: this.options.password ?? '' },
        false,
      );
    } catch (err) {
      if (err instanceof NacosV1Error && err.status === 403) {
        throw new NacosV1Error(`login as ${this.options.username} refused: wrong username or password`, 403);
      }
      throw err;
    }
    let body: Record<string, unknown>;
    try {
      body = asObject(JSON.parse(text), 'auth/login');
    } catch {
      throw invalid('auth/login', 'not JSON');
    }
    const { accessToken, tokenTtl } = body;
    if (typeof accessToken !== 'string' || accessToken === '') throw invalid('auth/login', 'no accessToken');
    if (typeof tokenTtl !== 'number' || !(tokenTtl > 0)) throw invalid('auth/login', 'tokenTtl is not positive');
    this.token = { value: accessToken, refreshAt: started + tokenTtl * 1000 * TOKEN_REFRESH_AT };
    return accessToken;
  }
}

function serviceParams(key: ServiceKey): Record<string, string> {
  return { namespaceId: key.namespace, groupName: key.group, serviceName: groupedName(key.group, key.name) };
}

function instanceParams(key: ServiceKey, copy: CopyRecord): Record<string, string> {
  return {
    ...serviceParams(key),
    clusterName: copy.clusterName,
    ip: copy.ip,
    port: String(copy.port),
    weight: String(copy.weight),
    enabled: String(copy.enabled),
    ephemeral: String(!isPersistentCopy(copy)),
    metadata: JSON.stringify(copy.metadata),
  };
}

function parseHost(raw: unknown): SourceInstance {
  const h = asObject(raw, 'instance/list');
  const bad = (why: string): NacosV1Error => invalid('instance/list', `host ${clip(JSON.stringify(raw))}: ${why}`);
  if (typeof h.ip !== 'string' || h.ip === '') throw bad('no ip');
  if (!Number.isInteger(h.port) || (h.port as number) < 1 || (h.port as number) > 65535) throw bad('bad port');
  if (typeof h.weight !== 'number' || !Number.isFinite(h.weight) || h.weight < 0) throw bad('bad weight');
  if (typeof h.healthy !== 'boolean') throw bad('healthy is not a boolean');
  if (h.enabled !== undefined && typeof h.enabled !== 'boolean') throw bad('enabled is not a boolean');
  if (h.clusterName !== undefined && typeof h.clusterName !== 'string') throw bad('clusterName is not a string');
  if (h.ephemeral !== undefined && typeof h.ephemeral !== 'boolean') throw bad('ephemeral is not a boolean');
  const metadata: Record<string, string> = {};
  if (h.metadata !== undefined && h.metadata !== null) {
    for (const [k, v] of Object.entries(asObject(h.metadata, 'instance/list'))) {
      if (typeof v !== 'string') throw bad(`metadata ${k} is not a string`);
      metadata[k] = v;
    }
  }
  return {
    ip: h.ip,
    port: h.port as number,
    weight: h.weight,
    healthy: h.healthy,
    enabled: h.enabled ?? true,
    clusterName: h.clusterName || DEFAULT_CLUSTER,
    metadata,
    ...(h.ephemeral === false ? { ephemeral: false } : {}),
  };
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(what, 'not a JSON object');
  return value as Record<string, unknown>;
}

function isNameList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((each) => typeof each === 'string' && each !== '');
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function invalid(what: string, why: string): NacosV1Error {
  return new NacosV1Error(`unexpected answer of Nacos ${what}: ${why}`);
}

function clip(text: string): string {
  return text.length > MAX_ERROR_BODY ? `${text.slice(0, MAX_ERROR_BODY)}…` : text;
}

/** A catalog page checked: a count and a list of `{name, groupName}`. */
function catalogPage(what: string, count: unknown, list: unknown): CatalogPage {
  if (!isCount(count) || !Array.isArray(list)) throw invalid(what, 'expected a count and a list of services');
  const services = list.map((each) => {
    const { name, groupName } = asObject(each, what);
    if (typeof name !== 'string' || name === '' || typeof groupName !== 'string' || groupName === '') {
      throw invalid(what, 'a service has no name or group');
    }
    return { group: groupName, name };
  });
  return { count, services };
}
