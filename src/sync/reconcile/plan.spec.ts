import type { ServiceSnapshot } from '../adapters/source-registry';
import { ServiceSelector, desiredCopies } from './copy-plan';
import type { CopyRecord, SourceInstance } from './copy-plan';
import { CopyIndex, decideHold, desiredAfter, driftedServices, planApply, planFullRound, targetWrites } from './plan';
import type { HoldSettings, TaskHoldState } from './plan';

const ctx = { taskId: 't1', sourceClusterId: 'A', sourceClusterName: 'region-a', targetClusterId: 'B' };
const key = (name: string) => ({ namespace: 'public', group: 'DEFAULT_GROUP', name });
const plain = { port: 8080, weight: 1, healthy: true, enabled: true, clusterName: 'DEFAULT', metadata: {} };
const inst = (ip: string, over: Partial<SourceInstance> = {}): SourceInstance => ({ ...plain, ip, ...over });
const snap = (name: string, ...instances: SourceInstance[]): ServiceSnapshot => ({ key: key(name), instances });
const copy = (name: string, ip: string, over: Partial<SourceInstance> = {}): CopyRecord =>
  desiredCopies(key(name), [inst(ip, over)], ctx)[0];
const ledgerOf = (...copies: CopyRecord[]): CopyIndex => {
  const index = new CopyIndex();
  for (const c of copies) index.remember(c);
  return index;
};
const ips = (copies: readonly CopyRecord[]) => copies.map((c) => `${c.serviceName}/${c.ip}`).sort();
const nothingHeld = () => false;

describe(planApply.name, () => {
  const cases: Array<{
    name: string;
    source: ServiceSnapshot[];
    ledger: CopyRecord[];
    held?: (c: CopyRecord) => boolean;
    drifted?: string[];
    adds: string[];
    updates: string[];
    removes: string[];
    touched: string[];
  }> = [
    {
      name: 'adds what the ledger lacks',
      source: [snap('orders', inst('10.0.0.1'), inst('10.0.0.2'))],
      ledger: [copy('orders', '10.0.0.1')],
      adds: ['orders/10.0.0.2'],
      updates: [],
      removes: [],
      touched: ['orders'],
    },
    {
      name: 'updates a changed copy in place and removes a gone one',
      source: [snap('orders', inst('10.0.0.1', { weight: 5 }))],
      ledger: [copy('orders', '10.0.0.1'), copy('orders', '10.0.0.2')],
      adds: [],
      updates: ['orders/10.0.0.1'],
      removes: ['orders/10.0.0.2'],
      touched: ['orders'],
    },
    {
      name: 'touches nothing when source and ledger agree',
      source: [snap('orders', inst('10.0.0.1'))],
      ledger: [copy('orders', '10.0.0.1')],
      adds: [],
      updates: [],
      removes: [],
      touched: [],
    },
    {
      name: 'rewrites a drifted service even when the ledger agrees',
      source: [snap('orders', inst('10.0.0.1')), snap('pay', inst('10.0.0.9'))],
      ledger: [copy('orders', '10.0.0.1'), copy('pay', '10.0.0.9')],
      drifted: ['public/DEFAULT_GROUP@@pay'],
      adds: [],
      updates: [],
      removes: [],
      touched: ['pay'],
    },
    {
      name: 'never copies a copy from another region',
      source: [snap('orders', inst('10.0.0.1', { metadata: { sourceClusterId: 'B' } }))],
      ledger: [],
      adds: [],
      updates: [],
      removes: [],
      touched: [],
    },
    {
      name: 'keeps a held (quarantined) copy as the ledger has it',
      source: [snap('orders', inst('10.0.0.1', { weight: 7 }), inst('10.0.0.2'))],
      ledger: [copy('orders', '10.0.0.1')],
      held: (c) => c.ip === '10.0.0.1',
      adds: ['orders/10.0.0.2'],
      updates: [],
      removes: [],
      touched: ['orders'],
    },
    {
      name: 'leaves a held copy out when the ledger never had it',
      source: [snap('orders', inst('10.0.0.1'))],
      ledger: [],
      held: () => true,
      adds: [],
      updates: [],
      removes: [],
      touched: [],
    },
  ];
  it.each(cases)('$name', (c) => {
    const sut = planApply(c.source, ledgerOf(...c.ledger), ctx, c.held ?? nothingHeld, new Set(c.drifted ?? []));
    expect(ips(sut.adds)).toEqual(c.adds);
    expect(ips(sut.updates)).toEqual(c.updates);
    expect(ips(sut.removes)).toEqual(c.removes);
    expect(sut.touched.map((t) => t.key.name)).toEqual(c.touched);
    expect(sut.services).toHaveLength(c.source.length);
  });

  it('should write a held copy as the ledger has it, not as the source has it now', () => {
    const recorded = copy('orders', '10.0.0.1');
    const sut = planApply(
      [snap('orders', inst('10.0.0.1', { weight: 7 }), inst('10.0.0.2'))],
      ledgerOf(recorded),
      ctx,
      (c) => c.ip === '10.0.0.1',
      new Set(),
    );
    expect(sut.touched[0].copies).toContainEqual(recorded);
  });
});

describe(planFullRound.name, () => {
  const all = new ServiceSelector({ namespace: '*', groupName: '*', serviceName: '*', exclude: ['skip'] });

  it('should want every matching source service, and the ledger services gone from the source as empty', () => {
    const sut = planFullRound(
      [snap('orders', inst('10.0.0.1'), inst('10.0.0.2', { metadata: { sourceClusterId: 'B' } })), snap('skip')],
      all,
      ledgerOf(copy('orders', '10.0.0.1'), copy('gone', '10.0.0.3')),
      () => false,
    );
    expect(sut.services.map((s) => [s.key.name, s.instances.length])).toEqual([
      ['orders', 2],
      ['gone', 0],
    ]);
    expect([...sut.inSource]).toEqual(['public/DEFAULT_GROUP@@orders']);
    expect(sut.total).toBe(1);
  });

  it('should leave out services a change wrote after the snapshot was read', () => {
    const newer = (sid: string) => sid.endsWith('@@orders') || sid.endsWith('@@gone');
    const sut = planFullRound([snap('orders', inst('10.0.0.1'))], all, ledgerOf(copy('gone', '10.0.0.3')), newer);
    expect(sut.services).toEqual([]);
    expect(sut.total).toBe(1);
  });
});

describe(desiredAfter.name, () => {
  const plan = planApply(
    [snap('orders', inst('10.0.0.1'), inst('10.0.0.2'))],
    ledgerOf(copy('orders', '10.0.0.1')),
    ctx,
    nothingHeld,
    new Set(),
  );
  it.each([
    { name: 'a full round counts afresh', previous: 10, full: true, before: undefined, expected: 2 },
    { name: 'a change moves by what it wanted before', previous: 10, full: false, before: 1, expected: 11 },
    { name: 'unknown before: the ledger count', previous: 10, full: false, before: undefined, expected: 11 },
    { name: 'never below zero', previous: 0, full: false, before: 5, expected: 0 },
  ])('$name', ({ previous, full, before, expected }) => {
    expect(desiredAfter(previous, full, plan.services, () => before)).toBe(expected);
  });
});

describe(decideHold.name, () => {
  const settings: HoldSettings = { protectMinDeletes: 3, protectHoldMs: 1000, maxDeleteRatio: 0.5 };
  const hold: TaskHoldState = { since: 0, wouldDelete: 8, total: 10, expiresAt: 1000 };
  it.each([
    { name: 'nothing to remove', removals: 0, total: 10, hold: null, released: false, now: 0, heldBack: false },
    { name: 'within the ratio', removals: 5, total: 10, hold: null, released: false, now: 0, heldBack: false },
    { name: 'too few to hold', removals: 2, total: 2, hold: null, released: false, now: 0, heldBack: false },
    { name: 'no copies yet', removals: 3, total: 0, hold: null, released: false, now: 0, heldBack: false },
    {
      name: 'over the ratio: a hold starts',
      removals: 8,
      total: 10,
      hold: null,
      released: false,
      now: 5,
      heldBack: true,
    },
    { name: 'a running hold holds', removals: 8, total: 10, hold, released: false, now: 999, heldBack: true },
    { name: 'a hold run out is confirmed', removals: 8, total: 10, hold, released: false, now: 1000, heldBack: false },
    {
      name: 'a release lets one round through',
      removals: 8,
      total: 10,
      hold: null,
      released: true,
      now: 0,
      heldBack: false,
    },
  ])('$name', (c) => {
    expect(decideHold(c.removals, c.total, c.hold, c.released, c.now, settings).heldBack).toBe(c.heldBack);
  });

  it('should start a hold that says what it holds and until when', () => {
    expect(decideHold(8, 10, null, false, 5, settings)).toEqual({
      heldBack: true,
      hold: { since: 5, wouldDelete: 8, total: 10, expiresAt: 1005 },
      released: false,
      event: 'hold',
    });
  });

  it('should end a hold run out and announce it confirmed', () => {
    expect(decideHold(8, 10, hold, false, 1000, settings)).toEqual({
      heldBack: false,
      hold: null,
      released: false,
      event: 'hold-confirmed',
    });
  });

  it('should use up a release only on a round that removes something', () => {
    expect(decideHold(0, 10, null, true, 0, settings).released).toBe(true);
    expect(decideHold(8, 10, null, true, 0, settings).released).toBe(false);
  });
});

describe(targetWrites.name, () => {
  const ledger = ledgerOf(copy('orders', '10.0.0.1'), copy('orders', '10.0.0.2'));
  const services = [
    { key: key('orders'), copies: [copy('orders', '10.0.0.1')], removed: [copy('orders', '10.0.0.2')] },
  ];

  it('should write the desired copies when nothing is held', () => {
    expect(targetWrites(services, false, ledger)).toBe(services);
  });

  it('should keep the ledger copies beside the desired ones while removals are held', () => {
    const [sut] = targetWrites(services, true, ledger);
    expect(ips(sut.copies)).toEqual(['orders/10.0.0.1', 'orders/10.0.0.2']);
    expect(sut.removed).toEqual([]);
  });
});

describe(driftedServices.name, () => {
  it.each([
    { name: 'target as the ledger', actual: [copy('orders', '10.0.0.1')], drifted: [] },
    { name: 'a copy removed by hand', actual: [], drifted: ['public/DEFAULT_GROUP@@orders'] },
    {
      name: 'a copy changed by hand',
      actual: [copy('orders', '10.0.0.1', { weight: 3 })],
      drifted: ['public/DEFAULT_GROUP@@orders'],
    },
    {
      name: 'a copy the ledger does not know',
      actual: [copy('orders', '10.0.0.1'), copy('pay', '10.0.0.5')],
      drifted: ['public/DEFAULT_GROUP@@pay'],
    },
  ])('$name', ({ actual, drifted }) => {
    expect([...driftedServices(ledgerOf(copy('orders', '10.0.0.1')), actual)]).toEqual(drifted);
  });
});

describe(CopyIndex.name, () => {
  it('should keep one version per copy and drop a service with its last copy', () => {
    const sut = ledgerOf(copy('orders', '10.0.0.1'), copy('orders', '10.0.0.1', { weight: 2 }));
    expect(sut.size).toBe(1);
    expect(sut.get(copy('orders', '10.0.0.1'))?.weight).toBe(2);
    sut.forget(copy('orders', '10.0.0.1'));
    expect([...sut.services()]).toEqual([]);
  });
});
