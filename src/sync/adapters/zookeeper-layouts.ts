import { DEFAULT_CLUSTER } from '@/registry';
import type { CopyRecord, SourceInstance } from '../reconcile/copy-plan';
import { CopyRefusedError } from './target-registry';

/**
 * How services lie in a ZooKeeper, per layout, as pure functions: a layout has a root (`prefix`),
 * one *directory* per root child holding one znode per instance, and maps an instance znode to a
 * Nacos-model service and instance (as a source) and a copy to a znode (as a target).
 *
 * - `dubbo`: Dubbo 2.x interface level, `/dubbo/<enc(interface)>/providers/<enc(dubbo URL)>`; the
 *   service is named as Dubbo's own Nacos registry names it, `providers:<interface>:<version>:<group>`,
 *   and the URL's parameters are the metadata, plus `protocol`, `path` and `category` as Dubbo adds them.
 * - `dubbo-app`: Dubbo 3 application level, `/services/<application>/<ip:port>`, Curator's instance JSON.
 * - `spring-cloud`: Spring Cloud Zookeeper, `/services/<service-id>/<instance-id>`, Curator's instance JSON.
 */
export type ZooKeeperLayoutName = 'dubbo' | 'dubbo-app' | 'spring-cloud';

/**
 * The metadata key (URL parameter, JSON metadata) that makes a znode a copy: what ZooKeeper cannot
 * hold otherwise — the Nacos namespace, group, service, cluster, weight, health and enabled flag of
 * the copy, and the keys the adapter added for readers of the layout — so a copy reads back exactly
 * as the ledger recorded it. Stripped when read back.
 */
export const SYNC_COPY_KEY = 'syncCopy';

/** One instance znode as a source reports it. */
export interface LayoutInstance {
  service: string;
  instance: SourceInstance;
}

/** Where and how a copy is written: `dir` is the root child, `node` the znode name, `data` its content. */
export interface CopyPlacement {
  dir: string;
  node: string;
  data: Buffer;
}

export interface ZooKeeperLayout {
  readonly name: ZooKeeperLayoutName;
  /** The root path, e.g. `/dubbo`. */
  readonly root: string;
  /** Whether instances are read from znode data (Curator JSON) or from names alone (Dubbo URLs). */
  readonly readsData: boolean;
  /** The path of the znodes of the root child `dir`. */
  instancesPath(dir: string): string;
  /** The instance a znode holds, or undefined when it is not one of this layout (a consumer, bad JSON). */
  readInstance(dir: string, node: string, data: Buffer | undefined): LayoutInstance | undefined;
  /** The znode of a copy; a CopyRefusedError when the layout cannot hold it. */
  placeCopy(copy: CopyRecord, now: number): CopyPlacement;
  /** The copy a znode holds, exactly as it was written, or undefined when it is not a copy. */
  readCopy(dir: string, node: string, data: Buffer | undefined): CopyRecord | undefined;
}

/** The root of each layout when the cluster names no prefix. */
export const DEFAULT_ROOTS: Record<ZooKeeperLayoutName, string> = {
  dubbo: '/dubbo',
  'dubbo-app': '/services',
  'spring-cloud': '/services',
};

export function zooKeeperLayout(name: ZooKeeperLayoutName, prefix?: string | null): ZooKeeperLayout {
  const root = normalizeRoot(prefix || DEFAULT_ROOTS[name]);
  return name === 'dubbo' ? new DubboLayout(root) : new CuratorLayout(name, root);
}

/** A root path: leading `/`, no trailing `/` (the ZooKeeper root itself stays `/`). */
export function normalizeRoot(prefix: string): string {
  const trimmed = `/${prefix}`.replace(/\/+/g, '/').replace(/\/$/, '');
  return trimmed === '' ? '/' : trimmed;
}

function join(...parts: string[]): string {
  return parts.join('/').replace(/\/+/g, '/');
}

// ---------------------------------------------------------------- copy facts

interface CopyFacts {
  ns: string;
  g: string;
  s: string;
  c: string;
  w: number;
  h: boolean;
  e: boolean;
  /** Metadata keys the adapter added for the layout's readers (absent from the copy). */
  a?: string[];
}

function factsOf(copy: CopyRecord, added: string[]): string {
  const facts: CopyFacts = {
    ns: copy.namespace,
    g: copy.groupName,
    s: copy.serviceName,
    c: copy.clusterName,
    w: copy.weight,
    h: copy.healthy,
    e: copy.enabled,
    ...(added.length > 0 ? { a: added } : {}),
  };
  return JSON.stringify(facts);
}

/** The copy behind a znode's metadata, when it carries the copy mark. */
function copyFromMetadata(metadata: Record<string, string>, ip: string, port: number): CopyRecord | undefined {
  const raw = metadata[SYNC_COPY_KEY];
  if (raw === undefined) return undefined;
  let facts: CopyFacts;
  try {
    facts = JSON.parse(raw) as CopyFacts;
  } catch {
    return undefined;
  }
  if (typeof facts !== 'object' || facts === null || typeof facts.s !== 'string') return undefined;
  const own: Record<string, string> = { ...metadata };
  delete own[SYNC_COPY_KEY];
  for (const k of facts.a ?? []) delete own[k];
  return {
    namespace: facts.ns,
    groupName: facts.g,
    serviceName: facts.s,
    clusterName: facts.c,
    ip,
    port,
    weight: facts.w,
    healthy: facts.h,
    enabled: facts.e,
    metadata: own,
  };
}

// ---------------------------------------------------------------- dubbo

/** Java's `URLEncoder.encode(s, "UTF-8")`, as Dubbo names its znodes: form encoding, space as `+`. */
export function javaUrlEncode(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()~]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Java's `URLDecoder.decode(s, "UTF-8")`; undefined for malformed escapes. */
export function javaUrlDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

export interface DubboUrl {
  protocol: string;
  host: string;
  port: number;
  path: string;
  params: Record<string, string>;
}

/**
 * Parses a decoded Dubbo URL (`protocol://[user[:pw]@]host:port/path?k=v&…`, as `URL.toFullString`
 * writes it: values not escaped). IPv6 hosts in brackets. Undefined when it is not one.
 */
export function parseDubboUrl(url: string): DubboUrl | undefined {
  const m =
    /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:[^@/]*@)?(\[[0-9A-Fa-f:.]+\]|[^:/?]+):(\d{1,5})(?:\/([^?]*))?(?:\?(.*))?$/.exec(
      url,
    );
  if (!m) return undefined;
  const port = Number(m[3]);
  if (!(port > 0 && port < 65536)) return undefined;
  const params: Record<string, string> = {};
  for (const pair of (m[5] ?? '').split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const host = m[2];
  return {
    protocol: m[1],
    host: host.startsWith('[') ? host.slice(1, -1) : host,
    port,
    path: m[4] ?? '',
    params,
  };
}

/** A Dubbo URL as `URL.toFullString` writes it: parameters sorted by key. */
export function formatDubboUrl(url: DubboUrl): string {
  const host = url.host.includes(':') ? `[${url.host}]` : url.host;
  const query = Object.keys(url.params)
    .sort()
    .map((k) => `${k}=${url.params[k]}`)
    .join('&');
  return `${url.protocol}://${host}:${url.port}/${url.path}${query ? `?${query}` : ''}`;
}

/** Dubbo's Nacos service name: `providers:<interface>:<version>:<group>`, empty parts keeping their colons. */
export function dubboServiceName(iface: string, version = '', group = ''): string {
  return `providers:${iface}:${version}:${group}`;
}

/** The interface, version and group of a Dubbo Nacos service name (also the compatible `providers:<i>[:<v>][:<g>]`). */
export function parseDubboServiceName(name: string): { iface: string; version: string; group: string } | undefined {
  const parts = name.split(':');
  if (parts[0] !== 'providers' || !parts[1] || parts.length > 4) return undefined;
  return { iface: parts[1], version: parts[2] ?? '', group: parts[3] ?? '' };
}

class DubboLayout implements ZooKeeperLayout {
  readonly name = 'dubbo';
  readonly readsData = false;

  constructor(readonly root: string) {}

  instancesPath(dir: string): string {
    return join(this.root, dir, 'providers');
  }

  readInstance(dir: string, node: string): LayoutInstance | undefined {
    const iface = javaUrlDecode(dir);
    const decoded = javaUrlDecode(node);
    const url = decoded === undefined ? undefined : parseDubboUrl(decoded);
    if (!url || !iface) return undefined;
    const p = url.params;
    if ((p.category ?? 'providers') !== 'providers' || p.side === 'consumer') return undefined;
    const weight = Number(p.weight);
    return {
      service: dubboServiceName(iface, p.version, p.group),
      instance: {
        ip: url.host,
        port: url.port,
        weight: p.weight !== undefined && Number.isFinite(weight) && weight >= 0 ? weight : 1,
        healthy: true,
        enabled: p.enabled !== 'false',
        clusterName: DEFAULT_CLUSTER,
        // As Dubbo's Nacos registry registers a provider: every parameter, plus category, protocol and path.
        metadata: { ...p, category: 'providers', protocol: url.protocol, path: url.path },
      },
    };
  }

  placeCopy(copy: CopyRecord): CopyPlacement {
    const name = parseDubboServiceName(copy.serviceName);
    if (!name) {
      throw new CopyRefusedError(
        `the dubbo layout holds Dubbo providers only: ${copy.serviceName} is not named providers:<interface>:<version>:<group>`,
      );
    }
    const params: Record<string, string> = { ...copy.metadata };
    const added: string[] = [];
    const add = (k: string, v: string): void => {
      if (params[k] !== undefined) return;
      params[k] = v;
      added.push(k);
    };
    add('interface', name.iface);
    if (name.version) add('version', name.version);
    if (name.group) add('group', name.group);
    add('side', 'provider');
    // A copy of an unhealthy or disabled instance is there, but Dubbo consumers skip it.
    if (!copy.enabled || !copy.healthy) add('enabled', 'false');
    for (const [k, v] of Object.entries(params)) {
      if (k === '' || /[&=]/.test(k) || v.includes('&')) {
        throw new CopyRefusedError(`a Dubbo URL parameter cannot hold ${JSON.stringify(k)}: & or = in it`);
      }
    }
    params[SYNC_COPY_KEY] = factsOf(copy, added);
    const url = formatDubboUrl({
      protocol: copy.metadata.protocol || 'dubbo',
      host: copy.ip,
      port: copy.port,
      path: copy.metadata.path || name.iface,
      params,
    });
    return { dir: javaUrlEncode(name.iface), node: javaUrlEncode(url), data: Buffer.alloc(0) };
  }

  readCopy(_dir: string, node: string): CopyRecord | undefined {
    const decoded = javaUrlDecode(node);
    const url = decoded === undefined ? undefined : parseDubboUrl(decoded);
    return url && copyFromMetadata(url.params, url.host, url.port);
  }
}

// ---------------------------------------------------------------- Curator JSON (dubbo-app, spring-cloud)

/** Curator's `ServiceInstance` as its JsonInstanceSerializer writes it (compatible mode: no `enabled`). */
export interface CuratorInstance {
  name: string;
  id: string;
  address: string;
  port: number | null;
  sslPort: number | null;
  payload: { '@class': string; id: string; name: string; metadata: Record<string, string> } | null;
  registrationTimeUTC: number;
  serviceType: 'DYNAMIC' | 'STATIC' | 'PERMANENT' | 'DYNAMIC_SEQUENTIAL';
  uriSpec: { parts: Array<{ value: string; variable: boolean }> } | null;
}

const PAYLOAD_CLASS: Record<'dubbo-app' | 'spring-cloud', string> = {
  'dubbo-app': 'org.apache.dubbo.registry.zookeeper.ZookeeperInstance',
  'spring-cloud': 'org.springframework.cloud.zookeeper.discovery.ZookeeperInstance',
};

/** Spring Cloud Zookeeper's default `{scheme}://{address}:{port}`. */
const SPRING_URI_SPEC: CuratorInstance['uriSpec'] = {
  parts: [
    { value: 'scheme', variable: true },
    { value: '://', variable: false },
    { value: 'address', variable: true },
    { value: ':', variable: false },
    { value: 'port', variable: true },
  ],
};

/** Spring Cloud Zookeeper's status key: `UP`, or `OUT_OF_SERVICE` for an instance taken out. */
export const SPRING_STATUS_KEY = 'instance_status';

/** Parses Curator instance JSON; undefined when it is not one with an address and a port. */
export function parseCuratorInstance(data: Buffer | undefined): CuratorInstance | undefined {
  if (!data || data.length === 0) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const i = json as Partial<CuratorInstance>;
  if (typeof i.address !== 'string' || typeof i.port !== 'number' || !(i.port > 0 && i.port < 65536)) return undefined;
  return i as CuratorInstance;
}

/** String metadata of a Curator payload (other value types are left out: Nacos metadata is strings). */
function payloadMetadata(i: CuratorInstance): Record<string, string> {
  const out: Record<string, string> = {};
  const meta = i.payload?.metadata;
  if (typeof meta !== 'object' || meta === null) return out;
  for (const [k, v] of Object.entries(meta)) if (typeof v === 'string') out[k] = v;
  return out;
}

class CuratorLayout implements ZooKeeperLayout {
  readonly readsData = true;

  constructor(
    readonly name: 'dubbo-app' | 'spring-cloud',
    readonly root: string,
  ) {}

  instancesPath(dir: string): string {
    return join(this.root, dir);
  }

  readInstance(dir: string, _node: string, data: Buffer | undefined): LayoutInstance | undefined {
    const i = parseCuratorInstance(data);
    if (!i) return undefined;
    const metadata = payloadMetadata(i);
    const status = this.name === 'spring-cloud' ? metadata[SPRING_STATUS_KEY] : undefined;
    return {
      service: dir,
      instance: {
        ip: i.address,
        port: i.port as number,
        weight: 1,
        healthy: true,
        enabled: status === undefined || status === 'UP',
        clusterName: DEFAULT_CLUSTER,
        metadata,
      },
    };
  }

  placeCopy(copy: CopyRecord, now: number): CopyPlacement {
    if (copy.serviceName.includes('/') || copy.serviceName === '.' || copy.serviceName === '..') {
      throw new CopyRefusedError(`a znode name cannot be the service name ${JSON.stringify(copy.serviceName)}`);
    }
    const metadata: Record<string, string> = { ...copy.metadata };
    const added: string[] = [];
    if (this.name === 'spring-cloud' && metadata[SPRING_STATUS_KEY] === undefined) {
      metadata[SPRING_STATUS_KEY] = copy.enabled && copy.healthy ? 'UP' : 'OUT_OF_SERVICE';
      added.push(SPRING_STATUS_KEY);
    }
    metadata[SYNC_COPY_KEY] = factsOf(copy, added);
    const id = copyNodeName(copy);
    const instance: CuratorInstance = {
      name: copy.serviceName,
      id,
      address: copy.ip,
      port: copy.port,
      sslPort: null,
      payload: { '@class': PAYLOAD_CLASS[this.name], id, name: copy.serviceName, metadata },
      registrationTimeUTC: now,
      serviceType: 'DYNAMIC',
      uriSpec: this.name === 'spring-cloud' ? SPRING_URI_SPEC : null,
    };
    return { dir: copy.serviceName, node: id, data: Buffer.from(JSON.stringify(instance)) };
  }

  readCopy(_dir: string, _node: string, data: Buffer | undefined): CopyRecord | undefined {
    const i = parseCuratorInstance(data);
    return i && copyFromMetadata(payloadMetadata(i), i.address, i.port as number);
  }
}

/**
 * The znode (and Curator id) of a copy: `ip:port` as Dubbo 3 names its instances; a copy from a
 * Nacos cluster other than the default one gets the cluster in front, so the two never share a znode.
 */
function copyNodeName(copy: CopyRecord): string {
  const address = `${copy.ip}:${copy.port}`;
  return copy.clusterName === DEFAULT_CLUSTER ? address : `${copy.clusterName}@${address}`;
}
