import type { InstanceRecord } from './instance';
import type { ClientSyncData, PublicationData, ServiceKey, TombstoneData } from './model';
import { Registry } from './registry';
import { newer, versionAt } from './version';

/**
 * The registry against a naive model, over thousands of random writes (local, and made on a Distro
 * peer and merged back): few clients, hosts and ports, so large clients (more than the scanned
 * handful), hosts with several ports and addresses published by several clients all occur. The two
 * nodes exchange everything around each of the peer's writes, so their clocks stay ahead of every
 * version either has seen and the newest version is also the latest change. What a query lists must
 * always be, per address, the publication changed most recently, and every count must agree.
 */
describe('Registry against a naive model', () => {
  const key: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'model' };
  const clients = ['conn-1', 'conn-2', 'conn-3'];
  const ips = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
  const ports = [80, 81, 82, 83];

  /** client → address → publication; `stamp` orders changes across clients. */
  type Model = Map<string, Map<string, { ip: string; port: number; weight: number; stamp: number }>>;

  function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
  }

  function listedByModel(model: Model): Map<string, number> {
    const winners = new Map<string, { weight: number; stamp: number }>();
    for (const publications of model.values()) {
      for (const [address, p] of publications) {
        const current = winners.get(address);
        if (current === undefined || p.stamp > current.stamp) winners.set(address, p);
      }
    }
    return new Map([...winners].map(([address, p]) => [address, p.weight]));
  }

  it.each([1, 2, 3])('should list what the model lists after every write (seed %i)', (seed) => {
    const next = random(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
    const sut = new Registry({ clock: () => 1_000, nodeId: 'node-a' });
    const peer = new Registry({ clock: () => 1_000, nodeId: 'node-b' });
    /** Merges every client `from` holds (live or removed) into `to`. */
    const exchange = (from: Registry, to: Registry): number =>
      to.mergeClients([...from.replicatedClients()].map((client) => from.exportClient(client.id)!));
    const model: Model = new Map(clients.map((c) => [c, new Map()]));
    let stamp = 0;
    const upsert = (client: string, ip: string, port: number, weight: number): void => {
      const publications = model.get(client)!;
      const address = `${ip}:${port}`;
      const existing = publications.get(address);
      if (existing !== undefined && existing.weight === weight) return;
      publications.set(address, { ip, port, weight, stamp: ++stamp });
    };

    for (let step = 0; step < 1000; step++) {
      const client = pick(clients);
      const op = next();
      if (op < 0.45) {
        const [ip, port, weight] = [pick(ips), pick(ports), 1 + Math.floor(next() * 3)];
        sut.registerInstance(client, 'connection', key, { ip, port, weight });
        upsert(client, ip, port, weight);
      } else if (op < 0.65) {
        const [ip, port] = [pick(ips), pick(ports)];
        sut.deregisterInstance(client, key, '', ip, port);
        model.get(client)!.delete(`${ip}:${port}`);
      } else if (op < 0.9) {
        const batch = Array.from({ length: Math.floor(next() * 12) }, () => ({
          ip: pick(ips),
          port: pick(ports),
          weight: 1 + Math.floor(next() * 3),
        }));
        // The same replacement is made either here or on the peer, whose copy of the client is then merged.
        if (next() < 0.5) {
          sut.batchRegister(client, 'connection', key, batch);
        } else {
          exchange(sut, peer);
          peer.batchRegister(client, 'connection', key, batch);
          exchange(peer, sut);
          // Merging the peer's copies again changes nothing.
          if (exchange(peer, sut) !== 0) expect({ step, repeated: 'changed' }).toEqual({ step });
        }
        const wanted = new Set(batch.map((b) => `${b.ip}:${b.port}`));
        for (const b of batch) upsert(client, b.ip, b.port, b.weight);
        for (const address of [...model.get(client)!.keys()]) {
          if (!wanted.has(address)) model.get(client)!.delete(address);
        }
      } else {
        sut.removeClient(client);
        model.get(client)!.clear();
      }

      // Checked without an expect per value (thousands per step): the differences found, if any, fail the step.
      const problems: string[] = [];
      const expected = listedByModel(model);
      const listed = new Map(sut.listInstances(key).map((i) => [`${i.ip}:${i.port}`, i.weight]));
      if (listed.size !== expected.size) problems.push(`lists ${listed.size} addresses, not ${expected.size}`);
      if ((sut.getService(key)?.instanceCount ?? 0) !== expected.size) problems.push('instanceCount');
      for (const [address, weight] of expected) {
        const [ip, port] = address.split(':');
        if (listed.get(address) !== weight) problems.push(`lists ${address} with weight ${listed.get(address)}`);
        if (sut.getInstance(key, '', ip, Number(port))?.weight !== weight) problems.push(`getInstance ${address}`);
      }
      for (const c of clients) {
        for (const p of model.get(c)!.values()) {
          const found = sut.getPublication(c, key, 'DEFAULT', p.ip, p.port)?.weight;
          if (found !== p.weight) problems.push(`${c} publishes ${p.ip}:${p.port} with weight ${found}`);
        }
        const count = sut.getClient(c)?.publicationCount ?? 0;
        if (count !== model.get(c)!.size) problems.push(`${c} holds ${count} publications`);
      }
      const instances = [...model.values()].reduce((sum, m) => sum + m.size, 0);
      if (sut.counts().instances !== instances) problems.push(`counts ${sut.counts().instances} instances`);
      expect({ step, problems }).toEqual({ step, problems: [] });
    }
  });
});

/**
 * No lost publications: whatever mix of local writes, heartbeats, expiry, merged peer copies (with
 * random versions, tombstones and floors), removals, forgotten replicas and purged history, every
 * listed instance is held by a live client and is the newest publication of its address; every
 * client's publications are found again; a ghost is invisible; no publication and tombstone share
 * an address; nothing sits at or below a client's floor; and every count agrees.
 */
describe('Registry consistency under every kind of write', () => {
  it.each([11, 12, 13, 14, 15])('should keep index, clients and history in step (seed %i)', (seed) => {
    let state = seed;
    const next = (): number => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
    let now = 1_000_000;
    const sut = new Registry({ clock: () => now, unhealthyAfterMs: 15_000, deleteAfterMs: 30_000, nodeId: 'node-a' });
    const services = ['s1', 's2'].map((name) => ({ namespace: 'public', group: 'DEFAULT_GROUP', name }));
    const ips = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
    const ports = [80, 81, 82];
    const connections = ['conn-1', 'conn-2', 'sync:t1'];
    const kindOf = (client: string) =>
      client.includes(':') && !client.startsWith('sync') ? 'ipport' : client.startsWith('sync') ? 'sync' : 'connection';
    /** A version another node may have stamped around now (its clock off by up to 40 s either way). */
    const peerStamp = () => ({
      version: versionAt(now + Math.floor((next() - 0.5) * 80_000)) + Math.floor(next() * 4),
      writer: pick(['node-b', 'node-c']),
    });
    const publication = (service: string, ip: string, port: number): PublicationData => ({
      namespace: 'public',
      group: 'DEFAULT_GROUP',
      service,
      instance: { ip, port, weight: 1 + Math.floor(next() * 2) },
      ...peerStamp(),
    });
    const tombstone = (service: string, ip: string, port: number): TombstoneData => ({
      namespace: 'public',
      group: 'DEFAULT_GROUP',
      service,
      cluster: 'DEFAULT',
      ip,
      port,
      ...peerStamp(),
    });
    /** A peer's copy of a client; its revision is its newest version, as exportClient makes it. */
    const copy = (
      clientId: string,
      publications: PublicationData[],
      tombstones: TombstoneData[] = [],
      floor?: { version: number; writer: string },
    ): ClientSyncData => {
      const versions = [...publications, ...tombstones].map((each) => each.version ?? 0);
      if (floor !== undefined) versions.push(floor.version);
      const data: ClientSyncData = {
        clientId,
        kind: kindOf(clientId),
        revision: Math.max(0, ...versions),
        publications,
        tombstones,
      };
      if (floor !== undefined) Object.assign(data, { floor: floor.version, floorWriter: floor.writer });
      if (data.kind !== 'ipport')
        Object.assign(data, { owner: floor?.writer ?? 'node-b', metaVersion: data.revision, metaWriter: 'node-b' });
      return data;
    };

    /** Clients some of whose content was dropped without a newer write. */
    const lossy = new Set<string>();
    /** A client lost content: kept as a ghost it keeps its revision; forgotten, it starts again from nothing. */
    const dropped = (id: string): void => {
      if (sut.replicatedClient(id) === undefined) lossy.delete(id);
      else lossy.add(id);
    };

    for (let step = 0; step < 800; step++) {
      const op = next();
      const key = pick(services);
      const [ip, port] = [pick(ips), pick(ports)];
      const ipPortClient = `${ip}:${port}#true`;
      if (op < 0.2) {
        sut.registerInstance(ipPortClient, 'ipport', key, { ip, port, weight: 1 + Math.floor(next() * 2) }, { now });
      } else if (op < 0.3) {
        sut.beat(ipPortClient, key, 'DEFAULT', ip, port, now);
      } else if (op < 0.4) {
        now += Math.floor(next() * 20_000);
        sut.checkExpiry(now, () => next() < 0.8);
      } else if (op < 0.55) {
        const client = pick(connections);
        const size = Math.floor(next() * 12);
        if (next() < 0.5) {
          const batch = Array.from({ length: size }, () => ({
            namespace: key.namespace,
            group: key.group,
            service: pick(services).name,
            instance: { ip: pick(ips), port: pick(ports), weight: 1 + Math.floor(next() * 2) },
          }));
          sut.replacePublications(client, kindOf(client) === 'sync' ? 'sync' : 'connection', batch);
        } else {
          const publications = Array.from({ length: size }, () =>
            publication(pick(services).name, pick(ips), pick(ports)),
          );
          const tombstones = Array.from({ length: Math.floor(next() * 4) }, () =>
            tombstone(pick(services).name, pick(ips), pick(ports)),
          );
          sut.mergeClients([copy(client, publications, tombstones)], now);
        }
      } else if (op < 0.65) {
        const data =
          next() < 0.7
            ? copy(ipPortClient, [publication(key.name, ip, port)])
            : copy(ipPortClient, [], [tombstone(key.name, ip, port)]);
        sut.mergeClients([data], now);
      } else if (op < 0.75) {
        sut.updateInstance(pick([...connections, ipPortClient]), key, '', ip, port, {
          healthy: next() < 0.5,
          weight: 2,
        });
      } else if (op < 0.85) {
        sut.deregisterInstance(pick([...connections, ipPortClient]), key, '', ip, port);
      } else if (op < 0.92) {
        // A peer removed the client, or its owner stopped listing it.
        const client = pick([...connections, ipPortClient]);
        if (next() < 0.6) sut.mergeClients([copy(client, [], [], peerStamp())], now);
        else if (sut.forgetReplica(client)) dropped(client);
      } else if (op < 0.96) {
        sut.removeClient(pick([...connections, ipPortClient]));
      } else {
        now += 60_000;
        for (const id of sut.expireReplicas(now, 30_000, () => next() < 0.5)) dropped(id);
        if (next() < 0.5) {
          const history = (id: string) => {
            const client = sut.replicatedClient(id);
            return client === undefined ? -1 : client.tombstoneCount + (client.floor === 0 ? 0 : 1);
          };
          const before = new Map([...sut.replicatedClients()].map((client) => [client.id, history(client.id)]));
          sut.purgeHistory(now, 90_000);
          for (const [id, size] of before) if (history(id) !== size) dropped(id);
        }
      }

      // Checked without an expect per value (thousands per step): what is wrong, if anything, fails the step.
      const problems: string[] = [];
      const check = (ok: boolean, problem: string): void => {
        if (!ok) problems.push(problem);
      };
      let listedCount = 0;
      for (const service of services) {
        const listed = sut.listInstances(service) as unknown as Array<InstanceRecord>;
        listedCount += listed.length;
        check((sut.getService(service)?.instanceCount ?? 0) === listed.length, `${service.name}: instanceCount`);
        for (const record of listed) {
          const at = `${service.name} ${record.ip}:${record.port} of ${record.owner.id}`;
          // Listed means held by a live client, and found again through that client.
          check(sut.getClient(record.owner.id) !== undefined, `${at}: listed for a client that is not there`);
          check(record.owner.holds(record), `${at}: not held by its client`);
          const own = sut.getPublication(record.owner.id, service, record.clusterName, record.ip, record.port);
          check(own === record, `${at}: not found through its client`);
          check(sut.getInstance(service, '', record.ip, record.port) === record, `${at}: getInstance`);
        }
      }
      // Every publication of every client is found again, the newest of an address is the one
      // listed, history is consistent, and counts add up.
      let held = 0;
      let live = 0;
      let tombstones = 0;
      let ghosts = 0;
      const newest = new Map<string, { version: number; writer: string; clientId: string }>();
      for (const client of sut.replicatedClients()) {
        const data = sut.exportClient(client.id)!;
        const versions = [data.floor ?? 0, data.metaVersion ?? 0];
        if (client.removed) {
          ghosts++;
          check(sut.getClient(client.id) === undefined, `${client.id}: a ghost is visible`);
          check(data.publications.length === 0, `${client.id}: a ghost publishes`);
          check(data.tombstones !== undefined || data.floor !== undefined, `${client.id}: a ghost with no history`);
        } else {
          live++;
          check(sut.getClient(client.id) !== undefined, `${client.id}: a live client is not visible`);
        }
        const addresses = new Set<string>();
        for (const p of data.publications) {
          held++;
          const cluster = p.instance.clusterName ?? 'DEFAULT';
          const service = { namespace: p.namespace, group: p.group, name: p.service };
          const address = `${p.service}|${cluster}|${p.instance.ip}|${p.instance.port}`;
          addresses.add(address);
          versions.push(p.version!);
          const at = `${client.id} ${address}`;
          check(sut.getPublication(client.id, service, cluster, p.instance.ip, p.instance.port) !== undefined, at);
          check(sut.getInstance(service, cluster, p.instance.ip, p.instance.port) !== undefined, `${at}: not listed`);
          // Nothing of a client sits at or below its floor.
          const above = data.floor === undefined || newer(p.version!, p.writer!, data.floor, data.floorWriter!);
          check(above, `${at}: at or below the floor`);
          const best = newest.get(address);
          if (best === undefined || newer(p.version!, p.writer!, best.version, best.writer)) {
            newest.set(address, { version: p.version!, writer: p.writer!, clientId: client.id });
          }
        }
        for (const t of data.tombstones ?? []) {
          tombstones++;
          versions.push(t.version);
          const address = `${t.service}|${t.cluster}|${t.ip}|${t.port}`;
          // An address holds a publication or a tombstone, never both.
          check(!addresses.has(address), `${client.id} ${address}: both published and withdrawn`);
          const above = data.floor === undefined || newer(t.version, t.writer, data.floor, data.floorWriter!);
          check(above, `${client.id} ${address}: tombstone at or below the floor`);
        }
        if (data.floor !== undefined) tombstones++;
        // The revision is the newest version in the client, unless some of it was dropped without a
        // newer write (forgotten, expired or purged here): then it stays where it was.
        const revision = Math.max(...versions);
        check(
          lossy.has(client.id) ? data.revision >= revision : data.revision === revision,
          `${client.id}: revision ${data.revision}, newest version ${revision}`,
        );
      }
      for (const [address, best] of newest) {
        const [service, cluster, ip, port] = address.split('|');
        const key = { namespace: 'public', group: 'DEFAULT_GROUP', name: service };
        const listed = sut.getInstance(key, cluster, ip, Number(port)) as unknown as InstanceRecord | undefined;
        check(listed?.owner.id === best.clientId, `${address}: lists ${listed?.owner.id}, not the newest`);
      }
      check(sut.counts().instances === held, `counts ${sut.counts().instances} instances, clients hold ${held}`);
      check(sut.counts().clients === live, `counts ${sut.counts().clients} clients, ${live} live`);
      const history = sut.historyCounts();
      check(history.tombstones === tombstones && history.ghosts === ghosts, `historyCounts ${JSON.stringify(history)}`);
      check(listedCount <= held, 'lists more than is held');
      expect({ step, problems }).toEqual({ step, problems: [] });
    }
  });
});
