import type { ClientSyncData } from '@/registry';
import { keepTextRule } from './client-text-rule';
import type { TextRuleRejection } from './client-text-rule';

function client(id: string, ...instances: Array<{ ip: string; metadata?: Record<string, string> }>): ClientSyncData {
  return {
    clientId: id,
    kind: 'ipport',
    revision: 1,
    publications: instances.map((instance) => ({
      namespace: 'public',
      group: 'DEFAULT_GROUP',
      service: 'orders',
      instance: { port: 80, ...instance },
      version: 1,
      writer: 'a:1',
    })),
    tombstones: [
      {
        namespace: 'public',
        group: 'DEFAULT_GROUP',
        service: 'orders',
        cluster: 'DEFAULT',
        ip: '10.0.0.9',
        port: 80,
        version: 1,
        writer: 'a:1',
      },
    ],
  };
}

describe(keepTextRule.name, () => {
  it('should hand back the very same array when everything keeps the rule', () => {
    const items = [
      client('c1', { ip: '10.0.0.1', metadata: { note: 'a\nb\u0085' } }),
      client('c2', { ip: '10.0.0.2' }),
    ];
    const rejected: TextRuleRejection[] = [];

    expect(keepTextRule(items, (r) => rejected.push(r))).toBe(items);
    expect(rejected).toEqual([]);
  });

  it('should leave out the bad parts only, keeping the order and every other client', () => {
    const shared = Object.freeze({ k: '\u0000' });
    const bad = client(
      'c2',
      { ip: '10.0.0.2', metadata: shared },
      { ip: '10.0.0.3' },
      { ip: '10.0.0.4', metadata: shared },
    );
    bad.tombstones!.push({ ...bad.tombstones![0], ip: '10.0.0.\u0000' });
    const items = [
      client('c1', { ip: '10.0.0.1' }),
      bad,
      client('c3\u001b', { ip: '10.0.0.5' }),
      client('c4', { ip: '10.0.0.6' }),
    ];
    const rejected: TextRuleRejection[] = [];

    const kept = keepTextRule(items, (r) => rejected.push(r));

    expect(kept.map((c) => c.clientId)).toEqual(['c1', 'c2', 'c4']);
    expect(kept[1].publications.map((p) => p.instance.ip)).toEqual(['10.0.0.3']);
    expect(kept[1].tombstones!.map((t) => t.ip)).toEqual(['10.0.0.9']);
    expect(bad.publications).toHaveLength(3); // the received data is not changed
    expect(rejected.map((r) => `${r.part}: ${r.reason}`)).toEqual([
      'publication "public/DEFAULT_GROUP/orders 10.0.0.2:80" of client "c2": metadata "k": value must not contain NUL characters',
      'publication "public/DEFAULT_GROUP/orders 10.0.0.4:80" of client "c2": metadata "k": value must not contain NUL characters',
      'tombstone "public/DEFAULT_GROUP/orders 10.0.0.\\u0000:80" of client "c2": ip: must not contain control characters',
      'client "c3\\u001b": clientId: must not contain control characters',
    ]);
  });
});
