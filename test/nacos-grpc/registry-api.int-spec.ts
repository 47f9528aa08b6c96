import * as grpc from '@grpc/grpc-js';
import type { WatchEvent } from '@/registry-api';
import { RegistryApiClient } from '@/sync/adapters/registry-api.client';
import type { PublishItem } from '@/sync/adapters/registry-api.client';
import { Registry, serviceKey } from '@/registry';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { eventually } from '../../tools/support/eventually';

const TOKEN = 'registry-api-token-0123456789';

/**
 * Bytes that are no request: a tag with wire type 7 (protobufjs throws), and a field whose length runs
 * past the end (protobufjs reads some messages of it as empty, which validation then refuses).
 */
const UNDECODABLE = [Buffer.from([0xff, 0xff, 0xff, 0x0f]), Buffer.from([0x0a, 0xff, 0x01])];

/** A grpc-js client with an identity serializer: sends `bytes` as the request of `method`, raw. */
function rawCall(
  port: number,
  method: string,
  bytes: Buffer,
  token: string | undefined,
  stream = false,
): Promise<grpc.ServiceError | 'ok'> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  const path = `/registry.v1.RegistryService/${method}`;
  const identity = (b: Buffer): Buffer => b;
  return new Promise((resolve) => {
    const done = (result: grpc.ServiceError | 'ok'): void => {
      client.close();
      resolve(result);
    };
    if (stream) {
      const call = client.makeServerStreamRequest(path, identity, identity, bytes, metadata);
      call.on('data', () => undefined);
      call.on('error', (err: grpc.ServiceError) => done(err));
      call.on('end', () => done('ok'));
    } else {
      client.makeUnaryRequest(path, identity, identity, bytes, metadata, (err) => done(err ?? 'ok'));
    }
  });
}

function item(service: string, port: number, metadata: Record<string, string> = {}): PublishItem {
  return { service, instance: { ip: '10.9.0.1', port, metadata } };
}

describe(RegistryApiClient.name, () => {
  let node: TestNode;
  let registry: Registry;
  const clients: RegistryApiClient[] = [];
  const client = (token: string | null = TOKEN): RegistryApiClient => {
    const created = new RegistryApiClient(`127.0.0.1:${node.grpcPort}`, { token: token ?? undefined });
    clients.push(created);
    return created;
  };
  const ports = (service: string): number[] =>
    registry
      .listInstances(serviceKey('public', 'DEFAULT_GROUP', service))
      .map((each) => each.port)
      .sort();

  beforeAll(async () => {
    node = await startTestNode({
      DATA_DIR: 'memory',
      LOG_LEVEL: 'warn',
      NACOS_GRPC_PORT: '0',
      ADMIN_TOKEN: 'admin-token-not-the-registry-one',
      REGISTRY_API_TOKEN: TOKEN,
      REGISTRY_API_MAX_PUBLICATIONS: '5',
    });
    registry = node.app.get(Registry);
  });

  afterAll(async () => {
    for (const each of clients) each.close();
    await node.close();
  });

  describe('auth', () => {
    it('should refuse calls without the token or with another one with UNAUTHENTICATED', async () => {
      const none = await client(null)
        .renew('t-auth')
        .catch((err: grpc.ServiceError) => err);
      const wrong = await client('admin-token-not-the-registry-one')
        .renew('t-auth')
        .catch((err: grpc.ServiceError) => err);

      expect(none).toEqual(expect.objectContaining({ code: grpc.status.UNAUTHENTICATED }));
      expect(wrong).toEqual(expect.objectContaining({ code: grpc.status.UNAUTHENTICATED }));
    });
  });

  describe('publish and renew', () => {
    it('should publish under sync:<taskId>, renew the lease, and expire it when renewals stop', async () => {
      const sut = client();

      const published = await sut.publish('t-lease', [item('lease-svc', 1), item('lease-svc', 2)], { ttlMs: 1500 });
      expect(published).toEqual(expect.objectContaining({ client_id: 'sync:t-lease', publication_count: 2 }));
      expect(registry.getClient('sync:t-lease')).toEqual(
        expect.objectContaining({ kind: 'sync', owner: 'standalone' }),
      );
      expect(ports('lease-svc')).toEqual([1, 2]);

      // Renewing past several TTLs keeps the instances.
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        await sut.renew('t-lease', 1500);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      expect(ports('lease-svc')).toEqual([1, 2]);

      await eventually(() => ports('lease-svc').length === 0, { what: 'the lease to expire', timeoutMs: 6000 });
      await expect(sut.renew('t-lease')).rejects.toEqual(expect.objectContaining({ code: grpc.status.NOT_FOUND }));
    });

    it('should let another writer adopt a sync client whose writer died, with no gap', async () => {
      const first = client();
      await first.publish('t-adopt', [item('adopt-svc', 10), item('adopt-svc', 11)], { ttlMs: 5000, replace: true });
      const counts: number[] = [];
      const watch = client().watch({ service_pattern: 'adopt-svc' }, (event) =>
        counts.push(event.service.instances.length),
      );
      await eventually(() => counts.length > 0, { what: 'the snapshot' });
      first.close(); // the writer dies; the lease outlives it

      const second = client();
      await second.publish('t-adopt', [item('adopt-svc', 10), item('adopt-svc', 11), item('adopt-svc', 12)], {
        ttlMs: 5000,
        replace: true,
      });

      await eventually(() => counts.includes(3), { what: 'the adopted state' });
      watch.cancel();
      expect(counts.every((count) => count >= 2)).toBe(true);
      expect(ports('adopt-svc')).toEqual([10, 11, 12]);
    });
  });

  describe('persistent copies', () => {
    const persistent = (service: string, port: number): PublishItem => ({
      service,
      instance: { ip: '10.9.0.1', port, metadata: { syncTaskId: 't-pers' }, persistent: true },
    });
    const kinds = (service: string): string[] =>
      registry
        .listInstances(serviceKey('public', 'DEFAULT_GROUP', service))
        .map((each) => `${each.port} ${each.ephemeral ? 'ephemeral' : 'persistent'}`)
        .sort();

    it('should keep persistent publications as persistent instances, listed as such, needing no lease', async () => {
      const sut = client();
      await sut.publish('t-pers', [persistent('p-svc', 1), persistent('p-svc', 2)]);
      expect(kinds('p-svc')).toEqual(['1 persistent', '2 persistent']);
      const listed = await sut.list(
        { namespace: 'public', group_pattern: '*', service_pattern: 'p-svc' },
        { task_id: 't-pers' },
      );
      expect(listed.services[0].instances.map((i) => [i.port, i.persistent])).toEqual([
        [1, true],
        [2, true],
      ]);
      // No ephemeral publication, no lease to renew: the copies do not need one.
      await expect(sut.renew('t-pers')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
      expect(kinds('p-svc')).toEqual(['1 persistent', '2 persistent']);

      expect(await sut.withdraw('t-pers', [persistent('p-svc', 2)])).toEqual({ removed: 1 });
      expect(kinds('p-svc')).toEqual(['1 persistent']);
      expect(await sut.withdraw('t-pers', 'all')).toEqual({ removed: 1 });
      expect(kinds('p-svc')).toEqual([]);
    });

    it('should refuse a persistent copy into an ephemeral service with INVALID_ARGUMENT, changing nothing', async () => {
      const sut = client();
      await sut.publish('t-native', [item('e-svc', 5)]);
      const refused = await sut
        .publish('t-pers', [item('x-svc', 7), persistent('e-svc', 6)])
        .catch((err: grpc.ServiceError) => err);
      expect(refused).toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringContaining("is ephemeral service, can't register persistent instance"),
      });
      expect(kinds('e-svc')).toEqual(['5 ephemeral']);
      expect(ports('x-svc')).toEqual([]);
    });
  });

  describe('withdraw and list', () => {
    it('should withdraw some instances, then all', async () => {
      const sut = client();
      await sut.publish('t-withdraw', [item('w-svc', 1), item('w-svc', 2), item('w-svc', 3)]);

      expect(await sut.withdraw('t-withdraw', [item('w-svc', 2)])).toEqual({ removed: 1 });
      expect(ports('w-svc')).toEqual([1, 3]);
      expect(await sut.withdraw('t-withdraw', 'all')).toEqual({ removed: 2 });
      expect(ports('w-svc')).toEqual([]);
    });

    it('should list matching services page by page', async () => {
      const sut = client();
      await sut.publish(
        't-list',
        ['l-a', 'l-b', 'l-c', 'l-d', 'l-e'].map((name, i) => item(name, 100 + i)),
      );

      const names: string[] = [];
      let token = '';
      let pages = 0;
      do {
        const page = await sut.list({ service_pattern: 'l-*' }, { page_size: 2, page_token: token });
        names.push(...page.services.map((each) => each.service));
        token = page.next_page_token;
        pages++;
      } while (token !== '' && pages < 10);

      expect(names).toEqual(['l-a', 'l-b', 'l-c', 'l-d', 'l-e']);
      expect(pages).toBe(3);
      const own = await sut.list({}, { task_id: 't-list', page_size: 100 });
      expect(own.services).toHaveLength(5);
    });
  });

  describe('watch', () => {
    it('should deliver a snapshot, then every change in order per service', async () => {
      const sut = client();
      await sut.publish('t-watch', [item('watch-svc', 1)]);
      const events: WatchEvent[] = [];
      const watch = sut.watch({ service_pattern: 'watch-*' }, (event) => events.push(event));
      await eventually(() => events.length > 0, { what: 'the snapshot' });

      for (let port = 2; port <= 20; port++) await sut.publish('t-watch', [item('watch-svc', port)]);

      await eventually(() => events.length >= 20, { what: 'all changes', timeoutMs: 10_000 });
      watch.cancel();
      expect(events[0]).toEqual(expect.objectContaining({ snapshot: true }));
      expect(events.map((each) => each.service.instances.length)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const revisions = events.map((each) => each.service.revision);
      expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);
    });
  });

  describe('validation', () => {
    it('should answer bad fields with INVALID_ARGUMENT naming the field, and too many with RESOURCE_EXHAUSTED', async () => {
      const sut = client();

      const badPort = await sut.publish('t-bad', [item('v-svc', 0)]).catch((err: grpc.ServiceError) => err);
      const badTask = await sut.publish('bad task id!', [item('v-svc', 1)]).catch((err: grpc.ServiceError) => err);
      const tooMany = await sut
        .publish(
          't-bad',
          [1, 2, 3, 4, 5, 6].map((port) => item('v-svc', port)),
        )
        .catch((err: grpc.ServiceError) => err);

      expect(badPort).toEqual(
        expect.objectContaining({
          code: grpc.status.INVALID_ARGUMENT,
          details: expect.stringContaining('publications[0].instance.port'),
        }),
      );
      expect(badTask).toEqual(
        expect.objectContaining({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('task_id') }),
      );
      expect(tooMany).toEqual(expect.objectContaining({ code: grpc.status.RESOURCE_EXHAUSTED }));
      expect(ports('v-svc')).toEqual([]);
    });

    it('should hold names to printable text and metadata to any text but NUL, naming the field (issue 16)', async () => {
      const sut = client();
      const refused = (items: PublishItem[]) =>
        sut.publish('t-text', items).then(
          () => 'accepted',
          (err: grpc.ServiceError) => ({ code: err.code, details: err.details }),
        );
      const invalid = (field: string) => ({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringContaining(field),
      });

      expect(await refused([item('nul-svc', 80, { k: 'a\u0000b' })])).toEqual(
        invalid('publications[0].instance.metadata["k"]: value must not contain NUL'),
      );
      expect(await refused([item('nul-svc', 80), item('nul-svc', 81, { '\u0000': 'v' })])).toEqual(
        invalid('publications[1].instance.metadata["\\u0000"]: key must not contain NUL'),
      );
      expect(await refused([item('svc\u0001', 80)])).toEqual(
        invalid('publications[0].service: must not contain control'),
      );
      expect(await refused([{ ...item('nul-svc', 80), namespace: 'ns\u0085' }])).toEqual(
        invalid('publications[0].namespace'),
      );
      expect(await refused([{ service: 'nul-svc', instance: { ip: '10.9.0.\u0000', port: 80 } }])).toEqual(
        invalid('publications[0].instance.ip'),
      );
      expect(
        await refused([{ service: 'nul-svc', instance: { ip: '10.9.0.1', port: 80, instanceId: 'i\u007f' } }]),
      ).toEqual(invalid('publications[0].instance.instance_id'));
      const badSelector = await sut.list({ service_pattern: 'a\u0000*' }).catch((err: grpc.ServiceError) => err);
      expect(badSelector).toEqual(
        expect.objectContaining({
          code: grpc.status.INVALID_ARGUMENT,
          details: expect.stringContaining('selector.service_pattern'),
        }),
      );
      expect(ports('nul-svc')).toEqual([]);
      expect(registry.getClient('sync:t-text')).toBeUndefined();

      // Any other text is metadata: newlines, tabs, C1 controls.
      await sut.publish('t-text', [item('nul-svc', 80, { note: 'a\nb\tc\u0085' })]);
      expect(registry.listInstances(serviceKey('public', 'DEFAULT_GROUP', 'nul-svc'))[0].metadata).toEqual({
        note: 'a\nb\tc\u0085',
      });
    });
  });

  describe('undecodable bytes (issue 16)', () => {
    it.each(['Publish', 'Renew', 'Withdraw', 'List', 'Watch'])(
      '%s: should answer UNAUTHENTICATED before reading the body, then INVALID_ARGUMENT, never INTERNAL',
      async (method) => {
        const stream = method === 'Watch';
        for (const [i, bytes] of UNDECODABLE.entries()) {
          const anonymous = await rawCall(node.grpcPort, method, bytes, undefined, stream);
          const wrong = await rawCall(node.grpcPort, method, bytes, 'not-the-token-0123456789', stream);
          const authorized = await rawCall(node.grpcPort, method, bytes, TOKEN, stream);
          expect(anonymous).toEqual(expect.objectContaining({ code: grpc.status.UNAUTHENTICATED }));
          expect(wrong).toEqual(expect.objectContaining({ code: grpc.status.UNAUTHENTICATED }));
          expect(authorized).toEqual(expect.objectContaining({ code: grpc.status.INVALID_ARGUMENT }));
          if (i === 0) {
            expect((authorized as grpc.ServiceError).details).toBe(`request: not a valid ${method}Request message`);
          }
        }
      },
    );
  });
});
