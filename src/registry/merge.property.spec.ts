import fc from 'fast-check';
import type { InstanceRecord } from './instance';
import type { ClientKind, ClientSyncData, ServiceKey } from './model';
import { Registry } from './registry';
import { compareStamps } from './version';

/**
 * Properties of Distro's merge (Registry.mergeClients), over random histories of local writes on
 * three nodes whose copies of clients are then delivered to fresh nodes in random orders, repeated
 * and grouped at random:
 *
 * (a) the merge is commutative, associative and idempotent: every delivery (and a relay through an
 *     intermediate node) ends in the same clients, tombstones, floors, digests and listed instances;
 * (b) what it ends in is, per publication address, the newest write among all delivered copies, as
 *     an oracle computes it from the histories alone (a naive model of each node's local writes);
 * (c) a withdrawal (tombstone or floor) is never undone by an older publication, at any point of
 *     any delivery.
 *
 * 200 runs per property; a failure prints the seed and path, which `{ seed, path }` in the
 * fc.assert parameters replays.
 */

const NODES = ['a', 'b', 'c'] as const;
type NodeId = (typeof NODES)[number];
/**
 * How far (ms) each node's clock moves on a tick. The clocks tick independently, so versions of the
 * three interleave; a and b move at the same pace, so their versions often tie (broken by writer).
 */
const STEP: Record<NodeId, number> = { a: 1, b: 1, c: 2 };
const T0 = 1_700_000_000_000;
const SERVICES = ['s1', 's2'] as const;
const ADDRESSES = [
  { ip: '10.0.0.1', port: 80 },
  { ip: '10.0.0.1', port: 81 },
  { ip: '10.0.0.2', port: 80 },
] as const;
/** Ip-port clients publish their own address (in either service); connection clients any address. */
const IPPORT_CLIENTS = ['10.0.0.1:80#true', '10.0.0.2:80#true'];
const CONNECTION_CLIENTS = ['conn-1', 'conn-2'];
const CLIENTS = [...IPPORT_CLIENTS, ...CONNECTION_CLIENTS];

const keyOf = (service: string): ServiceKey => ({ namespace: 'public', group: 'DEFAULT_GROUP', name: service });
const kindOf = (clientId: string): ClientKind => (IPPORT_CLIENTS.includes(clientId) ? 'ipport' : 'connection');

/** The address a client publishes for an address choice: an ip-port client's is always its own. */
function addressOf(clientId: string, choice: number): { ip: string; port: number } {
  if (kindOf(clientId) !== 'ipport') return ADDRESSES[choice];
  const [ip, port] = clientId.split('#')[0].split(':');
  return { ip, port: Number(port) };
}

// ---- histories ---------------------------------------------------------------------------------

interface Base {
  node: NodeId;
  /** Whether the node's clock moves on before the write (if not, its version counts on within the millisecond). */
  tick: boolean;
  client: string;
}
type Op =
  | (Base & { kind: 'register' | 'update'; service: string; address: number; weight: number })
  | (Base & { kind: 'deregister'; service: string; address: number })
  | (Base & { kind: 'batch'; service: string; entries: Array<{ address: number; weight: number }> })
  | (Base & { kind: 'remove' })
  | { kind: 'capture'; node: NodeId };

const base = { node: fc.constantFrom(...NODES), tick: fc.boolean(), client: fc.constantFrom(...CLIENTS) };
const service = fc.constantFrom(...SERVICES);
const address = fc.integer({ min: 0, max: ADDRESSES.length - 1 });
const weight = fc.integer({ min: 1, max: 3 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ ...base, kind: fc.constant('register' as const), service, address, weight }),
  },
  { weight: 2, arbitrary: fc.record({ ...base, kind: fc.constant('update' as const), service, address, weight }) },
  { weight: 5, arbitrary: fc.record({ ...base, kind: fc.constant('deregister' as const), service, address }) },
  {
    weight: 3,
    arbitrary: fc.record({
      ...base,
      kind: fc.constant('batch' as const),
      service,
      entries: fc.array(fc.record({ address, weight }), { maxLength: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ ...base, kind: fc.constant('remove' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('capture' as const), node: fc.constantFrom(...NODES) }) },
);

// ---- the model: what one node's local writes leave, written from the spec, not from the code ----

interface Stamp {
  v: number;
  w: string;
}
interface ModelPublication extends Stamp {
  service: string;
  ip: string;
  port: number;
  weight: number;
}
interface ModelTombstone extends Stamp {
  service: string;
  ip: string;
  port: number;
}
interface ModelClient {
  kind: ClientKind;
  /** False for a removed client kept for its history (a ghost). */
  live: boolean;
  publications: Map<string, ModelPublication>;
  tombstones: Map<string, ModelTombstone>;
  floor?: Stamp;
  meta?: Stamp & { owner: string };
}
type ModelState = Map<string, ModelClient>;

const addressKey = (service: string, ip: string, port: number): string => `${service}|DEFAULT|${ip}|${port}`;
/** Stamps order by version, then writer id (restated here so that the oracle does not borrow the code's). */
const isNewer = (a: Stamp, b: Stamp | undefined): boolean => b === undefined || a.v > b.v || (a.v === b.v && a.w > b.w);

class ModelNode {
  readonly clients: ModelState = new Map();
  now = T0;
  private last = 0;

  constructor(readonly id: NodeId) {}

  /** Applies one local write; every change it makes carries the one version the operation takes. */
  apply(op: Exclude<Op, { kind: 'capture' }>): void {
    let version: number | undefined;
    // The hybrid clock: physical ms * 2048, or one more than the last version when that is not above it.
    const stamp = (): Stamp => {
      if (version === undefined) {
        const physical = this.now * 2048;
        this.last = physical > this.last ? physical : this.last + 1;
        version = this.last;
      }
      return { v: version, w: this.id };
    };
    const id = op.client;
    const existing = this.clients.get(id);
    const live = existing?.live === true;
    /** The client, created or revived from its ghost; a connection client's owner is this node. */
    const obtain = (): ModelClient => {
      let client = this.clients.get(id);
      if (client === undefined) {
        client = { kind: kindOf(id), live: true, publications: new Map(), tombstones: new Map() };
        this.clients.set(id, client);
      }
      client.live = true;
      if (client.kind === 'connection' && client.meta?.owner !== this.id) client.meta = { owner: this.id, ...stamp() };
      return client;
    };
    /** A client removed, or left with nothing: a ghost if it has history, else forgotten. */
    const leave = (client: ModelClient): void => {
      client.live = false;
      if (client.tombstones.size === 0 && client.floor === undefined) this.clients.delete(id);
    };
    /** Publishes (or re-publishes) an address; true when that changed something. */
    const publish = (client: ModelClient, key: string, weight: number): boolean => {
      if (client.publications.get(key)?.weight === weight) return false;
      const [service, , ip, port] = key.split('|');
      client.publications.set(key, { service, ip, port: Number(port), weight, ...stamp() });
      client.tombstones.delete(key);
      return true;
    };
    const keyFor = (service: string, choice: number): string => {
      const { ip, port } = addressOf(id, choice);
      return addressKey(service, ip, port);
    };
    const withdraw = (client: ModelClient, key: string): void => {
      const { service, ip, port } = client.publications.get(key)!;
      client.publications.delete(key);
      client.tombstones.set(key, { service, ip, port, ...stamp() });
    };

    switch (op.kind) {
      case 'register':
        publish(obtain(), keyFor(op.service, op.address), op.weight);
        return;
      case 'update': {
        const key = keyFor(op.service, op.address);
        const publication = live ? existing.publications.get(key) : undefined;
        if (publication === undefined || publication.weight === op.weight) return;
        existing!.publications.set(key, { ...publication, weight: op.weight, ...stamp() });
        return;
      }
      case 'deregister': {
        const key = keyFor(op.service, op.address);
        if (!live || !existing.publications.has(key)) return;
        withdraw(existing, key);
        if (existing.kind === 'ipport' && existing.publications.size === 0) leave(existing);
        return;
      }
      case 'remove':
        if (!live) return;
        existing.floor = stamp();
        existing.publications.clear();
        existing.tombstones.clear();
        leave(existing);
        return;
      case 'batch': {
        const client = obtain();
        const serviceExists = [...this.clients.values()].some((c) =>
          [...c.publications.values()].some((p) => p.service === op.service),
        );
        if (serviceExists || op.entries.length > 0) {
          // The client's publications in the service become exactly the entries (a later duplicate wins).
          const previous = [...client.publications.keys()].filter((key) => key.startsWith(op.service + '|'));
          const kept = new Set<string>();
          let changed = false;
          for (const entry of op.entries) {
            const key = keyFor(op.service, entry.address);
            if (publish(client, key, entry.weight)) changed = true;
            kept.add(key);
          }
          for (const key of previous) {
            if (kept.has(key)) continue;
            withdraw(client, key);
            changed = true;
          }
          if (changed) {
            if (client.kind === 'ipport' && client.publications.size === 0) leave(client);
            return;
          }
        }
        // A client the write created (or revived) that publishes nothing is not kept.
        if (!live && client.publications.size === 0) leave(client);
        return;
      }
    }
  }

  /** A deep copy of the node's clients, live and removed. */
  snapshot(): ModelState {
    const copy: ModelState = new Map();
    for (const [id, c] of this.clients) {
      copy.set(id, { ...c, publications: new Map(c.publications), tombstones: new Map(c.tombstones) });
    }
    return copy;
  }
}

/** Runs a local write on a registry. */
function write(registry: Registry, op: Exclude<Op, { kind: 'capture' }>): void {
  const id = op.client;
  const kind = kindOf(id);
  const options = kind === 'connection' ? { owner: registry.nodeId } : {};
  const instance = (choice: number, weight: number) => ({ ...addressOf(id, choice), weight });
  switch (op.kind) {
    case 'register':
      registry.registerInstance(id, kind, keyOf(op.service), instance(op.address, op.weight), options);
      return;
    case 'update': {
      const { ip, port } = addressOf(id, op.address);
      registry.updateInstance(id, keyOf(op.service), 'DEFAULT', ip, port, { weight: op.weight });
      return;
    }
    case 'deregister': {
      const { ip, port } = addressOf(id, op.address);
      registry.deregisterInstance(id, keyOf(op.service), 'DEFAULT', ip, port);
      return;
    }
    case 'remove':
      registry.removeClient(id);
      return;
    case 'batch':
      registry.batchRegister(
        id,
        kind,
        keyOf(op.service),
        op.entries.map((entry) => instance(entry.address, entry.weight)),
        options,
      );
      return;
  }
}

// ---- canonical forms ---------------------------------------------------------------------------

/** A client's versioned content as sorted strings, so that two nodes (or a node and the oracle) compare deeply. */
interface Content {
  clientId: string;
  kind: ClientKind;
  revision: number;
  owner: string | undefined;
  meta: string | undefined;
  floor: string | undefined;
  publications: string[];
  tombstones: string[];
}

function contentOf(data: ClientSyncData): Content {
  return {
    clientId: data.clientId,
    kind: data.kind,
    revision: data.revision,
    owner: data.owner,
    meta: data.metaVersion === undefined ? undefined : `${data.metaVersion}/${data.metaWriter}`,
    floor: data.floor === undefined ? undefined : `${data.floor}/${data.floorWriter}`,
    publications: data.publications
      .map((p) => {
        const { ip, port, weight, clusterName } = p.instance;
        return `${p.service}|${clusterName ?? 'DEFAULT'}|${ip}|${port} w${weight} @${p.version}/${p.writer}`;
      })
      .sort(),
    tombstones: (data.tombstones ?? [])
      .map((t) => `${t.service}|${t.cluster}|${t.ip}|${t.port} @${t.version}/${t.writer}`)
      .sort(),
  };
}

function modelContentOf(id: string, client: ModelClient): Content {
  const stamps = [
    ...client.publications.values(),
    ...client.tombstones.values(),
    ...(client.floor ? [client.floor] : []),
    ...(client.meta ? [client.meta] : []),
  ];
  return {
    clientId: id,
    kind: client.kind,
    revision: Math.max(0, ...stamps.map((s) => s.v)),
    owner: client.meta?.owner,
    meta: client.meta && `${client.meta.v}/${client.meta.w}`,
    floor: client.floor && `${client.floor.v}/${client.floor.w}`,
    publications: [...client.publications.entries()].map(([key, p]) => `${key} w${p.weight} @${p.v}/${p.w}`).sort(),
    tombstones: [...client.tombstones.entries()].map(([key, t]) => `${key} @${t.v}/${t.w}`).sort(),
  };
}

/** What a node holds (every client, live or removed) and lists, in a form two nodes can be compared by. */
function contents(registry: Registry): { clients: Content[]; listed: string[]; instances: number } {
  const ids = [...registry.replicatedClients()].map((client) => client.id).sort();
  const listed = SERVICES.flatMap((service) =>
    (registry.listInstances(keyOf(service)) as unknown as InstanceRecord[]).map(
      (r) => `${service}|${r.clusterName}|${r.ip}|${r.port} w${r.weight} @${r.version}/${r.writer} by ${r.owner.id}`,
    ),
  ).sort();
  return {
    clients: ids.map((id) => contentOf(registry.exportClient(id)!)),
    listed,
    instances: registry.counts().instances,
  };
}

/** Everything a replica node shows, down to digests and which clients its queries see. */
function dump(registry: Registry): object {
  const ids = [...registry.replicatedClients()].map((client) => client.id).sort();
  return {
    ...contents(registry),
    exported: ids.map((id) => {
      const data = registry.exportClient(id)!;
      const byAddress = (a: { service: string }, b: { service: string }) =>
        JSON.stringify(a) < JSON.stringify(b) ? -1 : 1;
      return {
        ...data,
        publications: [...data.publications].sort(byAddress),
        tombstones: data.tombstones && [...data.tombstones].sort(byAddress),
      };
    }),
    digests: ids.map((id) => registry.replicatedClient(id)!.digest()),
    visible: ids.filter((id) => registry.getClient(id) !== undefined),
    counts: registry.counts(),
    history: registry.historyCounts(),
  };
}

// ---- the oracle: per address, the newest write among the copies --------------------------------

function oracle(states: readonly ModelState[]): { clients: Content[]; listed: string[]; instances: number } {
  const merged = new Map<string, ModelClient & { revision: number }>();
  for (const state of states) {
    for (const [id, client] of state) {
      let into = merged.get(id);
      if (into === undefined) {
        into = { kind: client.kind, live: false, publications: new Map(), tombstones: new Map(), revision: 0 };
        merged.set(id, into);
      }
      if (client.floor && isNewer(client.floor, into.floor)) into.floor = client.floor;
      if (client.meta && isNewer(client.meta, into.meta)) into.meta = client.meta;
      const stamps: Stamp[] = [...client.publications.values(), ...client.tombstones.values()];
      if (client.floor) stamps.push(client.floor);
      if (client.meta) stamps.push(client.meta);
      into.revision = Math.max(into.revision, ...stamps.map((s) => s.v));
      // Per address, the newest of publication and tombstone, wherever it comes from.
      for (const [key, p] of client.publications) {
        const best = newestAt(into, key);
        if (best === undefined || isNewer(p, best)) {
          into.publications.set(key, p);
          into.tombstones.delete(key);
        }
      }
      for (const [key, t] of client.tombstones) {
        const best = newestAt(into, key);
        if (best === undefined || isNewer(t, best)) {
          into.tombstones.set(key, t);
          into.publications.delete(key);
        }
      }
    }
  }
  const clients: Content[] = [];
  const winners = new Map<string, { p: ModelPublication; clientId: string }>();
  for (const id of [...merged.keys()].sort()) {
    const client = merged.get(id)!;
    // The floor takes everything not newer than itself.
    const floor = client.floor;
    for (const [key, p] of client.publications) if (floor && !isNewer(p, floor)) client.publications.delete(key);
    for (const [key, t] of client.tombstones) if (floor && !isNewer(t, floor)) client.tombstones.delete(key);
    clients.push({ ...modelContentOf(id, client), revision: client.revision });
    for (const [key, p] of client.publications) {
      const best = winners.get(key);
      if (best === undefined || isNewer(p, best.p)) winners.set(key, { p, clientId: id });
    }
  }
  const listed = [...winners.entries()]
    .map(([key, { p, clientId }]) => `${key} w${p.weight} @${p.v}/${p.w} by ${clientId}`)
    .sort();
  const instances = [...merged.values()].reduce((sum, client) => sum + client.publications.size, 0);
  return { clients, listed, instances };
}

function newestAt(client: ModelClient, key: string): Stamp | undefined {
  return client.publications.get(key) ?? client.tombstones.get(key);
}

// ---- delivery ----------------------------------------------------------------------------------

/** A copy as it arrives over the wire: plain data, nothing shared with the sender. */
const onWire = (data: ClientSyncData): ClientSyncData => JSON.parse(JSON.stringify(data)) as ClientSyncData;

function replicaNode(id: string): Registry {
  return new Registry({ clock: () => T0, nodeId: id });
}

/**
 * Merges `items` into `registry` in the given groups, checking after every call that no delivered
 * withdrawal has been undone: no publication at or below the newest tombstone of its address, or
 * the newest floor of its client, delivered so far.
 */
function deliver(registry: Registry, groups: readonly ClientSyncData[][]): void {
  const tombstones = new Map<string, Stamp>();
  const floors = new Map<string, Stamp>();
  for (const group of groups) {
    registry.mergeClients(group.map(onWire), T0);
    for (const data of group) {
      for (const t of data.tombstones ?? []) {
        const key = `${data.clientId} ${addressKey(t.service, t.ip, t.port)}`;
        const stamp = { v: t.version, w: t.writer };
        if (isNewer(stamp, tombstones.get(key))) tombstones.set(key, stamp);
      }
      if (data.floor !== undefined) {
        const stamp = { v: data.floor, w: data.floorWriter! };
        if (isNewer(stamp, floors.get(data.clientId))) floors.set(data.clientId, stamp);
      }
    }
    const undone: string[] = [];
    for (const id of new Set(group.map((data) => data.clientId))) {
      for (const p of registry.exportClient(id)?.publications ?? []) {
        const key = `${id} ${addressKey(p.service, p.instance.ip, p.instance.port)}`;
        const stamp = { v: p.version!, w: p.writer! };
        const withdrawn = tombstones.get(key);
        const floor = floors.get(id);
        if (withdrawn && !isNewer(stamp, withdrawn)) undone.push(`${key} @${stamp.v}/${stamp.w} over its tombstone`);
        if (floor && !isNewer(stamp, floor)) undone.push(`${key} @${stamp.v}/${stamp.w} under the floor`);
      }
    }
    if (undone.length > 0) expect(undone).toEqual([]);
  }
}

/** Cuts `items` into consecutive groups of the given sizes (the last takes what is left). */
function grouped<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  const groups: T[][] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= items.length) break;
    groups.push(items.slice(at, at + size));
    at += size;
  }
  if (at < items.length) groups.push(items.slice(at));
  return groups;
}

// ---- the properties ----------------------------------------------------------------------------

interface Histories {
  nodes: Array<{ id: NodeId; model: ModelNode; registry: Registry }>;
  /** Each capture: the registry's copies of its clients, and the model's state at that point. */
  captures: Array<{ items: ClientSyncData[]; state: ModelState }>;
}

/** Runs the writes on the three nodes, capturing copies where asked and at the end of every history. */
function runHistories(ops: readonly Op[]): Histories {
  const nodes = NODES.map((id) => {
    const model = new ModelNode(id);
    return { id, model, registry: new Registry({ clock: () => model.now, nodeId: id }) };
  });
  const captures: Histories['captures'] = [];
  const capture = (node: Histories['nodes'][number]): void => {
    const items = [...node.registry.replicatedClients()].map((c) => node.registry.exportClient(c.id)!);
    captures.push({ items: items.map(onWire), state: node.model.snapshot() });
  };
  for (const op of ops) {
    const node = nodes[NODES.indexOf(op.node)];
    if (op.kind === 'capture') {
      capture(node);
      continue;
    }
    if (op.tick) node.model.now += STEP[node.id];
    write(node.registry, op);
    node.model.apply(op);
    // After every write the node holds what the model says its writes leave.
    const held = [...node.registry.replicatedClients()].map((c) => contentOf(node.registry.exportClient(c.id)!));
    const modelled = [...node.model.clients].map(([id, client]) => modelContentOf(id, client));
    const visible = [...node.model.clients.keys()].filter((id) => node.registry.getClient(id) !== undefined);
    const live = [...node.model.clients].filter(([, client]) => client.live).map(([id]) => id);
    same({ op, held: sortById(held), visible }, { op, held: sortById(modelled), visible: live });
  }
  for (const node of nodes) capture(node);
  return { nodes, captures };
}

describe('Registry.mergeClients, over random histories of three nodes', () => {
  const numRuns = 200;
  const histories = fc.array(opArb, { minLength: 8, maxLength: 40, size: 'max' });

  it('should end every delivery order in the newest write per address, never undoing a withdrawal', () => {
    fc.assert(
      fc.property(histories, fc.gen(), (ops, g) => {
        const { captures } = runHistories(ops);
        const items = captures.flatMap((c) => c.items);
        const expected = oracle(captures.map((c) => c.state));

        // One delivery in the order of capture, in one call.
        const inOrder = replicaNode('z');
        deliver(inOrder, [items]);
        same(contents(inOrder), expected);
        // A replica's queries see exactly the clients left with publications; the others are ghosts.
        const visible = [...inOrder.clients()].map((client) => client.id).sort();
        same(
          visible,
          expected.clients.filter((client) => client.publications.length > 0).map((c) => c.clientId),
        );
        const reference = dump(inOrder);

        // Three more in random orders, with repeats, in random groups.
        for (let round = 0; round < 3; round++) {
          const repeats = g(fc.subarray, items, { maxLength: Math.min(6, items.length) });
          const all = [...items, ...repeats];
          const order = g(fc.shuffledSubarray, all, { minLength: all.length, maxLength: all.length });
          const sizes = g(fc.array, fc.integer({ min: 1, max: 5 }), { maxLength: all.length });
          const registry = replicaNode('z');
          deliver(registry, grouped(order, sizes));
          same(dump(registry), reference);
        }

        // Relayed: a node merges part, another merges that node's copies with the rest.
        const order = g(fc.shuffledSubarray, items, { minLength: items.length, maxLength: items.length });
        const cut = g(fc.integer, { min: 0, max: items.length });
        const relay = replicaNode('y');
        deliver(relay, grouped(order.slice(0, cut), [2, 3]));
        const relayed = [...relay.replicatedClients()].map((c) => relay.exportClient(c.id)!);
        const rest = [...relayed, ...order.slice(cut)];
        const target = replicaNode('z');
        deliver(target, grouped(g(fc.shuffledSubarray, rest, { minLength: rest.length }), [1, 4]));
        same(dump(target), reference);
      }),
      { numRuns },
    );
  });

  it('should bring the writers themselves to the newest write per address, whatever order their copies arrive in', () => {
    fc.assert(
      fc.property(histories, fc.gen(), (ops, g) => {
        const { nodes, captures } = runHistories(ops);
        const items = captures.flatMap((c) => c.items);
        // Each node merges every capture (its own earlier copies among them) and the others' final state.
        const finals = nodes.map((node) => ({
          items: [...node.registry.replicatedClients()].map((c) => onWire(node.registry.exportClient(c.id)!)),
          state: node.model.snapshot(),
        }));
        const expected = oracle([...captures, ...finals].map((c) => c.state));
        for (const node of nodes) {
          const others = finals.filter((_, i) => NODES[i] !== node.id).flatMap((f) => f.items);
          const all = [...items, ...others];
          const sizes = g(fc.array, fc.integer({ min: 1, max: 8 }), { maxLength: all.length });
          for (const group of grouped(g(fc.shuffledSubarray, all, { minLength: all.length }), sizes)) {
            node.registry.mergeClients(group);
          }
          same({ node: node.id, ...contents(node.registry) }, { node: node.id, ...expected });
        }
      }),
      { numRuns },
    );
  });

  it('should break a tie in version between two nodes by writer id, whatever the order', () => {
    // Two nodes whose clocks read the same stamp the same version; the greater writer id wins.
    const a = new Registry({ clock: () => T0 + STEP.a * 4, nodeId: 'a' });
    const b = new Registry({ clock: () => T0 + STEP.b * 4, nodeId: 'b' });
    a.registerInstance('conn-1', 'connection', keyOf('s1'), { ...ADDRESSES[0], weight: 1 }, { owner: 'a' });
    b.registerInstance('conn-1', 'connection', keyOf('s1'), { ...ADDRESSES[0], weight: 2 }, { owner: 'b' });
    const [fromA, fromB] = [a.exportClient('conn-1')!, b.exportClient('conn-1')!];
    expect(compareStamps(fromA.revision, 'a', fromB.revision, 'b')).toBe(-1);
    expect(fromA.revision).toBe(fromB.revision);

    const one = replicaNode('z');
    one.mergeClients([fromA, fromB]);
    const other = replicaNode('z');
    other.mergeClients([fromB]);
    other.mergeClients([fromA]);

    for (const registry of [one, other]) {
      expect(registry.getInstance(keyOf('s1'), 'DEFAULT', ADDRESSES[0].ip, ADDRESSES[0].port)?.weight).toBe(2);
      expect(registry.exportClient('conn-1')).toMatchObject({ owner: 'b', metaWriter: 'b' });
    }
  });
});

/** Deep equality, compared as JSON first (cheap); expect (for its diff) only when they differ. */
function same(actual: object, expected: object): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual).toEqual(expected);
}

function sortById(contents: Content[]): Content[] {
  return [...contents].sort((x, y) => (x.clientId < y.clientId ? -1 : 1));
}
