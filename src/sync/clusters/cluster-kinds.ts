import type { ClusterKind } from '../entities';

/**
 * How a registry that is not Nacos-like lays out its services, per kind; the first is the default.
 * ZooKeeper: `dubbo` (Dubbo 2.x interfaces, `/dubbo/<interface>/providers/<url>`), `dubbo-app`
 * (Dubbo 3 applications, `/services/<app>/<ip:port>`), `spring-cloud` (`/services/<id>/<instance>`).
 * etcd: `grpc-naming` (gRPC-go's `<service>/<addr>` keys), `kratos` (`/microservices/<name>/<id>`).
 * The other kinds have one shape and take no layout.
 */
export const CLUSTER_LAYOUTS: Partial<Record<ClusterKind, readonly string[]>> = {
  zookeeper: ['dubbo', 'dubbo-app', 'spring-cloud'],
  etcd: ['grpc-naming', 'kratos'],
};

/**
 * Whether a target of this kind keeps persistent copies of persistent source instances: our own
 * regions (`local`, `distro`: the region's database) and Nacos (persistent instances) do; ZooKeeper
 * and etcd copies are always leased, fenced by the lease generation and gone with their holder's
 * session or lease (docs/sync.md, "Persistent instances").
 */
export function keepsPersistentCopies(kind: ClusterKind): boolean {
  return kind !== 'zookeeper' && kind !== 'etcd';
}

/**
 * The layout a cluster of `kind` is stored with: the one given, the kind's default when none is,
 * null for kinds without layouts. Returns an error text naming the field for a layout the kind
 * does not have, or a layout given to a kind that takes none.
 */
export function resolveLayout(
  kind: ClusterKind,
  layout: string | undefined,
): { layout: string | null } | { error: string } {
  const layouts = CLUSTER_LAYOUTS[kind];
  if (!layouts)
    return layout === undefined ? { layout: null } : { error: `layout applies to ${layoutKinds()} clusters only` };
  if (layout === undefined) return { layout: layouts[0] };
  if (!layouts.includes(layout))
    return { error: `layout must be one of ${layouts.join(', ')} for ${article(kind)} ${kind} cluster` };
  return { layout };
}

/**
 * Returns an error text when `prefix` is given to a kind without layouts, or is not a ZooKeeper path
 * for a zookeeper cluster (empty = the layout's default, for every kind).
 */
export function checkPrefix(kind: ClusterKind, prefix: string | undefined): string | undefined {
  if (prefix === undefined) return undefined;
  if (!CLUSTER_LAYOUTS[kind]) return `prefix applies to ${layoutKinds()} clusters only`;
  if (kind === 'zookeeper' && prefix !== '' && !ZOOKEEPER_PATH.test(prefix))
    return 'prefix of a zookeeper cluster must be a path like /dubbo (names of letters, digits, dot, dash, underscore)';
  return undefined;
}

function layoutKinds(): string {
  return Object.keys(CLUSTER_LAYOUTS).join(' and ');
}

function article(kind: string): string {
  return /^[aeiou]/.test(kind) ? 'an' : 'a';
}

/** A ZooKeeper path: `/`, or `/`-separated names without `.`/`..` and without a trailing `/`. */
const ZOOKEEPER_PATH = /^\/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*)?$/;

/**
 * Returns an error text naming the field when the addresses do not fit the kind: `host:port` for all;
 * then a Nacos gRPC port (`host:port/grpcPort`) for nacos and distro, a ZooKeeper chroot
 * (`host:port/apps/prod`, the same on every address that names one) for zookeeper, nothing for etcd
 * (its clients dial one port per member).
 */
export function checkAddresses(kind: ClusterKind, addresses: readonly string[]): string | undefined {
  const suffixes = addresses.map((a) => {
    const slash = a.indexOf('/', a.lastIndexOf(']') + 1);
    return slash < 0 ? '' : a.slice(slash);
  });
  if (kind === 'zookeeper') {
    if (suffixes.some((s) => s !== '' && (s === '/' || !ZOOKEEPER_PATH.test(s))))
      return 'addresses of a zookeeper cluster must be host:port, optionally followed by a chroot path (host:port/apps/prod)';
    if (new Set(suffixes.filter((s) => s !== '')).size > 1)
      return 'addresses of a zookeeper cluster must name one chroot (ZooKeeper applies it to the whole connection)';
    return undefined;
  }
  if (kind === 'etcd') {
    if (suffixes.some((s) => s !== ''))
      return 'addresses of an etcd cluster must be host:port of its client URLs (no /grpcPort)';
    return undefined;
  }
  if (suffixes.some((s) => s !== '' && !/^\/\d{1,5}$/.test(s))) return 'each address must be host:port';
  return undefined;
}

/** Settings only some kinds take, by field: a 400 names the field when another kind is given one. */
const KIND_FIELDS: Record<string, readonly ClusterKind[]> = { tlsCa: ['etcd'], tlsCert: ['etcd'], tlsKey: ['etcd'] };

/** Error texts for settings given to a kind that does not take them. */
export function kindFieldProblems(kind: ClusterKind, given: Partial<Record<string, unknown>>): string[] {
  return Object.entries(KIND_FIELDS)
    .filter(([name, kinds]) => given[name] !== undefined && !kinds.includes(kind))
    .map(([name, kinds]) => `${name} applies to ${kinds.join(' and ')} clusters only`);
}
