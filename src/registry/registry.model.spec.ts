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
