import { DEFAULT_CLUSTER, DEFAULT_GROUP, groupedName, parseGroupedName } from '@/registry';
import type { ServiceKey } from '@/registry';
import type { CopyRecord, SourceInstance } from '../reconcile/copy-plan';

/**
 * How services lie in an etcd key space, both ways: what a key and its value say in our Nacos
 * model (services of the cluster's namespace, instances with ip, port and metadata), and the key
 * and value a copy is written as; and the reserved path of distro-sync's own keys (task fences).
 * Pure: no client, no I/O (docs/sync.md, "etcd layouts").
 *
 * etcd has no group, cluster, weight, health or enabled flag. A service of another group is named
 * `group@@name` in the key; the other fields travel as metadata keys `nacos.cluster`,
 * `nacos.weight`, `nacos.healthy`, `nacos.enabled` (written only when not the default), which a
 * read turns back into the fields, so a copy reads back exactly as it was written.
 */
export type EtcdLayoutName = 'grpc-naming' | 'kratos';

export const ETCD_LAYOUTS: readonly EtcdLayoutName[] = ['grpc-naming', 'kratos'];

/** One instance a key stands for (a Kratos instance with two endpoints stands for two). */
export interface EtcdEntry {
  service: ServiceKey;
  instance: SourceInstance;
}

/** A key and the value a copy is written as. */
export interface EtcdWrite {
  key: string;
  value: string;
}

export const NACOS_CLUSTER_KEY = 'nacos.cluster';
export const NACOS_WEIGHT_KEY = 'nacos.weight';
export const NACOS_HEALTHY_KEY = 'nacos.healthy';
export const NACOS_ENABLED_KEY = 'nacos.enabled';
/** Kratos only: the Nacos service name a copy came from (a Kratos name alone says `<name>.<scheme>`). */
export const NACOS_SERVICE_KEY = 'nacos.service';

/** Kratos's default scheme for an instance whose metadata names none (its Nacos registry's `kind`). */
const KRATOS_DEFAULT_KIND = 'grpc';
/**
 * Where under a layout's prefix distro-sync keeps keys of its own (each task's fence): never a
 * registration, so no layout reads a key there, and the check does not count them.
 */
const RESERVED_DIR = '.distro-sync/';
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

export abstract class EtcdLayout {
  /** The key prefix every service of the layout lives under. */
  abstract readonly prefix: string;
  abstract readonly name: EtcdLayoutName;

  constructor(protected readonly namespace: string) {}

  /** What a key and value mean; empty for a key that is not a registration of this layout. */
  abstract read(key: string, value: string): EtcdEntry[];
  /** The key and value a copy is written as; throws (naming why) for a copy this layout cannot hold. */
  abstract write(copy: CopyRecord): EtcdWrite;
  /** The prefix of every key a copy of `service` may be written under (one range read finds them all). */
  abstract servicePrefix(service: ServiceKey): string;

  /** The reserved path under the prefix (`<prefix>/.distro-sync/`): distro-sync's own keys, not registrations. */
  get reserved(): string {
    return `${this.prefix === '' || this.prefix.endsWith('/') ? this.prefix : `${this.prefix}/`}${RESERVED_DIR}`;
  }

  isReserved(key: string): boolean {
    return key.startsWith(this.reserved);
  }

  /** The key of a task's fence: the generation of the newest holding of its lease that wrote here. */
  fenceKey(taskId: string): string {
    return `${this.reserved}fence/${taskId}`;
  }

  static of(layout: string | null, prefix: string | null, namespace: string): EtcdLayout {
    switch (layout ?? 'grpc-naming') {
      case 'grpc-naming':
        return new GrpcNamingLayout(prefix ?? '', namespace);
      case 'kratos':
        return new KratosLayout(prefix ?? '/microservices', namespace);
      default:
        throw new Error(`etcd layout must be one of ${ETCD_LAYOUTS.join(', ')}`);
    }
  }

  /** The service part of a key: the name, or `group@@name` outside the default group. */
  protected keyName(service: Pick<ServiceKey, 'group' | 'name'>): string {
    return service.group === DEFAULT_GROUP ? service.name : groupedName(service.group, service.name);
  }

  protected serviceOf(keyName: string, name?: string): ServiceKey {
    const grouped = parseGroupedName(keyName);
    return { namespace: this.namespace, group: grouped.group, name: name ?? grouped.name };
  }
}

/**
 * gRPC-go's naming (`go.etcd.io/etcd/client/v3/naming/endpoints`): key `<prefix><service>/<addr>`,
 * value `{"Op":0,"Addr":"10.0.0.7:9000","Metadata":…}`. The prefix is prepended to the service
 * name as written (a resolver dials `etcd:///<prefix><service>`); by default there is none.
 */
export class GrpcNamingLayout extends EtcdLayout {
  readonly name = 'grpc-naming';

  constructor(
    readonly prefix: string,
    namespace: string,
  ) {
    super(namespace);
  }

  read(key: string, value: string): EtcdEntry[] {
    if (!key.startsWith(this.prefix) || this.isReserved(key)) return [];
    const rest = key.slice(this.prefix.length);
    const slash = rest.lastIndexOf('/');
    if (slash <= 0 || slash === rest.length - 1) return [];
    const body = parseObject(value);
    if (!body || typeof body.Addr !== 'string' || (body.Op !== undefined && body.Op !== 0)) return [];
    const addr = parseHostPort(body.Addr);
    if (!addr) return [];
    return [{ service: this.serviceOf(rest.slice(0, slash)), instance: instanceOf(addr, metadataOf(body.Metadata)) }];
  }

  write(copy: CopyRecord): EtcdWrite {
    const addr = formatHostPort(copy.ip, copy.port);
    return {
      key: `${this.servicePrefix(serviceOfCopy(copy))}${addr}`,
      value: JSON.stringify({ Op: 0, Addr: addr, Metadata: withFields(copy.metadata, copy) }),
    };
  }

  servicePrefix(service: ServiceKey): string {
    return `${this.prefix}${this.keyName(service)}/`;
  }
}

/**
 * Kratos's etcd registry (`contrib/registry/etcd`): key `<prefix>/<name>/<id>`, value
 * `{"id","name","version","metadata","endpoints":["grpc://10.0.0.7:9000?isSecure=false",…]}`.
 * Read as Kratos's own Nacos registry registers the same instance: one Nacos instance per
 * endpoint, in service `<name>.<scheme>`, with metadata `kind` (the scheme) and `version`. A copy
 * is one Kratos instance with one endpoint, id `<ip>:<port>`, named `<name>` when the Nacos
 * service is `<name>.<kind>` (else the whole service name, scheme `kind` or grpc), with
 * `nacos.service` in its metadata so it reads back as the service it came from.
 */
export class KratosLayout extends EtcdLayout {
  readonly name = 'kratos';
  readonly prefix: string;

  constructor(prefix: string, namespace: string) {
    super(namespace);
    // Kratos joins its Namespace option and the name with a slash.
    this.prefix = prefix.endsWith('/') ? prefix : `${prefix}/`;
  }

  read(key: string, value: string): EtcdEntry[] {
    if (!key.startsWith(this.prefix) || this.isReserved(key)) return [];
    const rest = key.slice(this.prefix.length);
    const slash = rest.indexOf('/');
    if (slash <= 0 || slash === rest.length - 1) return [];
    const keyName = rest.slice(0, slash);
    const body = parseObject(value);
    if (!body || !Array.isArray(body.endpoints)) return [];
    const metadata = metadataOf(body.metadata);
    const version = typeof body.version === 'string' ? body.version : '';
    const nacosService = metadata[NACOS_SERVICE_KEY];
    delete metadata[NACOS_SERVICE_KEY];
    const out: EtcdEntry[] = [];
    for (const endpoint of body.endpoints) {
      const parsed = typeof endpoint === 'string' ? parseEndpoint(endpoint) : undefined;
      if (!parsed) continue;
      const { name } = parseGroupedName(keyName);
      const service =
        nacosService !== undefined
          ? this.serviceOf(keyName, nacosService)
          : this.serviceOf(keyName, `${name}.${parsed.scheme}`);
      const md = nacosService !== undefined ? { ...metadata } : { ...metadata, kind: parsed.scheme, version };
      out.push({ service, instance: instanceOf(parsed, md) });
    }
    return out;
  }

  write(copy: CopyRecord): EtcdWrite {
    const { name, scheme } = kratosNaming(copy.serviceName, copy.metadata.kind);
    const keyName = this.keyName({ group: copy.groupName, name });
    const id = formatHostPort(copy.ip, copy.port);
    const metadata = { ...withFields(copy.metadata, copy), [NACOS_SERVICE_KEY]: copy.serviceName };
    return {
      key: `${this.prefix}${keyName}/${id}`,
      value: JSON.stringify({
        id,
        name: keyName,
        version: copy.metadata.version ?? '',
        metadata,
        endpoints: [`${scheme}://${id}`],
      }),
    };
  }

  servicePrefix(service: ServiceKey): string {
    const { name } = kratosNaming(service.name, undefined);
    return `${this.prefix}${this.keyName({ group: service.group, name })}/`;
  }
}

/** Kratos name and scheme of a Nacos service: `<name>.<kind>` splits, anything else keeps its name. */
function kratosNaming(serviceName: string, kind: string | undefined): { name: string; scheme: string } {
  const dot = serviceName.lastIndexOf('.');
  const suffix = dot > 0 ? serviceName.slice(dot + 1) : '';
  if (kind !== undefined && SCHEME.test(kind)) {
    return suffix === kind ? { name: serviceName.slice(0, dot), scheme: kind } : { name: serviceName, scheme: kind };
  }
  // Without a kind, a `.grpc` or `.http` suffix (Kratos's Nacos naming) still names the scheme.
  if (suffix === 'grpc' || suffix === 'http') return { name: serviceName.slice(0, dot), scheme: suffix };
  return { name: serviceName, scheme: KRATOS_DEFAULT_KIND };
}

function serviceOfCopy(copy: CopyRecord): ServiceKey {
  return { namespace: copy.namespace, group: copy.groupName, name: copy.serviceName };
}

/** The copy's metadata plus the fields etcd has no place for, each only when not the default. */
function withFields(metadata: Record<string, string>, copy: CopyRecord): Record<string, string> {
  const out = { ...metadata };
  if (copy.clusterName !== DEFAULT_CLUSTER) out[NACOS_CLUSTER_KEY] = copy.clusterName;
  if (copy.weight !== 1) out[NACOS_WEIGHT_KEY] = String(copy.weight);
  if (!copy.healthy) out[NACOS_HEALTHY_KEY] = 'false';
  if (!copy.enabled) out[NACOS_ENABLED_KEY] = 'false';
  return out;
}

/** An instance from an address and metadata, the `nacos.*` keys taken out as its fields. */
function instanceOf(addr: { ip: string; port: number }, metadata: Record<string, string>): SourceInstance {
  const take = (key: string): string | undefined => {
    const value = metadata[key];
    delete metadata[key];
    return value;
  };
  const cluster = take(NACOS_CLUSTER_KEY);
  const weightText = take(NACOS_WEIGHT_KEY);
  const weight = weightText === undefined ? NaN : Number(weightText);
  return {
    ip: addr.ip,
    port: addr.port,
    clusterName: cluster || DEFAULT_CLUSTER,
    weight: Number.isFinite(weight) && weight >= 0 ? weight : 1,
    healthy: take(NACOS_HEALTHY_KEY) !== 'false',
    enabled: take(NACOS_ENABLED_KEY) !== 'false',
    metadata,
  };
}

function parseObject(value: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Metadata as Nacos holds it (strings): an object's values as text, anything else under `metadata`. */
export function metadataOf(raw: unknown): Record<string, string> {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { metadata: typeof raw === 'string' ? raw : JSON.stringify(raw) };
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/** `host:port` or `[v6]:port`; undefined when it is not one. */
export function parseHostPort(text: string): { ip: string; port: number } | undefined {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:/\s[\]]+):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { ip: m[1], port } : undefined;
}

export function formatHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** `scheme://host:port[/…][?…]` as Kratos writes an endpoint. */
function parseEndpoint(text: string): { scheme: string; ip: string; port: number } | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]+)/.exec(text);
  if (!m) return undefined;
  const addr = parseHostPort(m[2]);
  return addr ? { scheme: m[1], ...addr } : undefined;
}
