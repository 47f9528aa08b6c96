import type { InstanceRecord } from './instance';
import type { ServiceKey } from './model';
import { Registry } from './registry';

/**
 * The registry against a naive model, over thousands of random writes (local and from Distro peers): few clients, hosts and
 * ports, so large clients (more than the scanned handful), hosts with several ports and addresses
 * published by several clients all occur. What a query lists must always be, per address, the
 * publication changed most recently, and every count must agree.
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
    const sut = new Registry();
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
        // The same replacement arrives either as a local batch or as a Distro peer's copy of the client.
        if (next() < 0.5) {
          sut.batchRegister(client, 'connection', key, batch);
        } else {
          sut.applyClientSync({
            clientId: client,
            kind: 'connection',
            revision: step,
            owner: 'peer',
            publications: batch.map((instance) => ({
              namespace: key.namespace,
              group: key.group,
              service: key.name,
              instance,
            })),
          });
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

      const expected = listedByModel(model);
      const listed = new Map(sut.listInstances(key).map((i) => [`${i.ip}:${i.port}`, i.weight]));
      expect(listed).toEqual(expected);
      expect(sut.getService(key)?.instanceCount ?? 0).toBe(expected.size);
      for (const [address, weight] of expected) {
        const [ip, port] = address.split(':');
        expect(sut.getInstance(key, '', ip, Number(port))?.weight).toBe(weight);
      }
      for (const c of clients) {
        for (const p of model.get(c)!.values()) {
          expect(sut.getPublication(c, key, 'DEFAULT', p.ip, p.port)?.weight).toBe(p.weight);
        }
        expect(sut.getClient(c)?.publicationCount ?? 0).toBe(model.get(c)!.size);
      }
      expect(sut.counts().instances).toBe([...model.values()].reduce((sum, m) => sum + m.size, 0));
    }
  });
});

/**
 * No ghosts: whatever mix of writes, heartbeats, expiry, replica syncs and removals, every listed
 * instance is held by a client that still exists, and every client's publications are listed or
 * shadowed by another client's publication of the same address.
 */
describe('Registry consistency under every kind of write', () => {
  it.each([11, 12, 13, 14, 15])('should keep index and clients in step (seed %i)', (seed) => {
    let state = seed;
    const next = (): number => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
    let now = 1_000_000;
    const sut = new Registry({ clock: () => now, unhealthyAfterMs: 15_000, deleteAfterMs: 30_000 });
    const services = ['s1', 's2'].map((name) => ({ namespace: 'public', group: 'DEFAULT_GROUP', name }));
    const ips = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
    const ports = [80, 81, 82];
    const connections = ['conn-1', 'conn-2', 'sync:t1'];

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
        const batch = Array.from({ length: Math.floor(next() * 12) }, () => ({
          namespace: key.namespace,
          group: key.group,
          service: pick(services).name,
          instance: { ip: pick(ips), port: pick(ports), weight: 1 + Math.floor(next() * 2) },
        }));
        if (next() < 0.5) sut.replacePublications(client, client.startsWith('sync') ? 'sync' : 'connection', batch);
        else
          sut.applyClientSync({
            clientId: client,
            kind: 'connection',
            revision: step,
            owner: 'peer',
            publications: batch,
          });
      } else if (op < 0.65) {
        sut.applyClientSync({
          clientId: ipPortClient,
          kind: 'ipport',
          revision: step,
          publications: [{ namespace: key.namespace, group: key.group, service: key.name, instance: { ip, port } }],
        });
      } else if (op < 0.75) {
        sut.updateInstance(pick([...connections, ipPortClient]), key, '', ip, port, {
          healthy: next() < 0.5,
          weight: 2,
        });
      } else if (op < 0.85) {
        sut.deregisterInstance(pick([...connections, ipPortClient]), key, '', ip, port);
      } else if (op < 0.92) {
        sut.applyClientRemoval(pick([...connections, ipPortClient]));
      } else if (op < 0.96) {
        sut.removeClient(pick([...connections, ipPortClient]));
      } else {
        now += 60_000;
        sut.expireReplicas(now, 30_000, () => next() < 0.5);
      }

      let listedCount = 0;
      for (const service of services) {
        const listed = sut.listInstances(service) as unknown as Array<InstanceRecord>;
        listedCount += listed.length;
        expect(sut.getService(service)?.instanceCount ?? 0).toBe(listed.length);
        for (const record of listed) {
          // Listed means held by a live client, and found again through that client.
          expect(sut.getClient(record.owner.id)).toBeDefined();
          expect(record.owner.holds(record)).toBe(true);
          expect(sut.getPublication(record.owner.id, service, record.clusterName, record.ip, record.port)).toBe(record);
          expect(sut.getInstance(service, '', record.ip, record.port)).toBe(record);
        }
      }
      // Every publication of every client is found again, and counts add up.
      let held = 0;
      for (const info of sut.clients()) {
        const data = sut.exportClient(info.id);
        for (const p of data?.publications ?? []) {
          held++;
          const service = { namespace: p.namespace, group: p.group, name: p.service };
          expect(
            sut.getPublication(info.id, service, p.instance.clusterName ?? '', p.instance.ip, p.instance.port),
          ).toBeDefined();
          expect(sut.getInstance(service, p.instance.clusterName ?? '', p.instance.ip, p.instance.port)).toBeDefined();
        }
      }
      expect(sut.counts().instances).toBe(held);
      expect(listedCount).toBeLessThanOrEqual(held);
    }
  });
});
