import { keepsPersistentCopies } from '../clusters/cluster-kinds';
import {
  ServiceSelector,
  copyInstance,
  desiredCopies,
  diffCopies,
  isPersistentCopy,
  persistence,
  sameCopy,
} from './copy-plan';
import type { CopyRecord, SourceInstance } from './copy-plan';

const key = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };
const ctx = { taskId: 't1', sourceClusterId: 'A', sourceClusterName: 'region-a', targetClusterId: 'B' };
const inst = (ip: string, over: Partial<SourceInstance> = {}): SourceInstance => ({
  ip,
  port: 8080,
  weight: 1,
  healthy: true,
  enabled: true,
  clusterName: 'DEFAULT',
  metadata: {},
  ...over,
});

describe(ServiceSelector.name, () => {
  it('should match one service, a whole group or everything', () => {
    expect(
      new ServiceSelector({
        namespace: 'public',
        groupName: 'DEFAULT_GROUP',
        serviceName: 'orders',
        exclude: [],
      }).matches(key),
    ).toBe(true);
    expect(
      new ServiceSelector({ namespace: 'public', groupName: 'DEFAULT_GROUP', serviceName: 'pay', exclude: [] }).matches(
        key,
      ),
    ).toBe(false);
    expect(new ServiceSelector({ namespace: '*', groupName: '*', serviceName: '*', exclude: [] }).matches(key)).toBe(
      true,
    );
    expect(new ServiceSelector({ namespace: 'dev', groupName: '*', serviceName: '*', exclude: [] }).matches(key)).toBe(
      false,
    );
  });

  it('should leave out excluded services by name, grouped name or full name', () => {
    const all = (exclude: string[]) =>
      new ServiceSelector({ namespace: '*', groupName: '*', serviceName: '*', exclude });
    expect(all(['ord*']).matches(key)).toBe(false);
    expect(all(['DEFAULT_GROUP@@orders']).matches(key)).toBe(false);
    expect(all(['public/DEFAULT_GROUP@@*']).matches(key)).toBe(false);
    expect(all(['other*']).matches(key)).toBe(true);
  });
});

describe(desiredCopies.name, () => {
  it('should stamp every copy with the Nacos-Sync keys and the task id', () => {
    const [sut] = desiredCopies(key, [inst('10.0.0.1', { metadata: { zone: 'a' } })], ctx);
    expect(sut.metadata).toEqual({
      zone: 'a',
      syncSource: 'region-a',
      sourceClusterId: 'A',
      destClusterId: 'B',
      syncTaskId: 't1',
    });
  });

  it('should never copy a copy (no loops between A→B and B→A)', () => {
    const sut = desiredCopies(key, [inst('10.0.0.1'), inst('10.0.0.2', { metadata: { sourceClusterId: 'B' } })], ctx);
    expect(sut.map((c) => c.ip)).toEqual(['10.0.0.1']);
  });
});

describe(diffCopies.name, () => {
  const copy = (ip: string, over: Partial<CopyRecord> = {}): CopyRecord => ({
    ...desiredCopies(key, [inst(ip)], ctx)[0],
    ...over,
  });

  it('should add what is missing, update what changed in place, and remove what is gone', () => {
    const sut = diffCopies(
      [
        copy('10.0.0.1'),
        copy('10.0.0.2', { weight: 5 }),
        copy('10.0.0.3', { metadata: { ...copy('x').metadata, v: '2' } }),
      ],
      [copy('10.0.0.2'), copy('10.0.0.3'), copy('10.0.0.4')],
    );
    expect(sut.add.map((c) => c.ip)).toEqual(['10.0.0.1']);
    expect(sut.update.map((c) => c.ip)).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(sut.remove.map((c) => c.ip)).toEqual(['10.0.0.4']);
  });

  it('should report nothing when target and desired agree', () => {
    expect(diffCopies([copy('10.0.0.1')], [copy('10.0.0.1')])).toEqual({ add: [], update: [], remove: [] });
  });

  it('should treat a health flip as an update, not a delete and re-add', () => {
    const sut = diffCopies([copy('10.0.0.1', { healthy: false })], [copy('10.0.0.1')]);
    expect(sut).toEqual({ add: [], update: [expect.objectContaining({ ip: '10.0.0.1', healthy: false })], remove: [] });
  });
});

describe('persistent copies', () => {
  it('should make a persistent source instance a persistent copy, and an ephemeral one an ephemeral copy', () => {
    const sut = desiredCopies(
      key,
      [inst('10.0.0.1', { ephemeral: false }), inst('10.0.0.2'), inst('10.0.0.3', { ephemeral: true })],
      ctx,
    );
    expect(sut.map((c) => [c.ip, isPersistentCopy(c), copyInstance(c).ephemeral])).toEqual([
      ['10.0.0.1', true, false],
      ['10.0.0.2', false, true],
      ['10.0.0.3', false, true],
    ]);
    // Ephemeral copies keep the form every reader writes: no `ephemeral` field at all.
    expect('ephemeral' in sut[1]).toBe(false);
  });

  it('should copy a persistent instance as ephemeral into a target that keeps no persistent copies', () => {
    const [sut] = desiredCopies(key, [inst('10.0.0.1', { ephemeral: false })], { ...ctx, persistentCopies: false });
    expect(isPersistentCopy(sut)).toBe(false);
    expect(copyInstance(sut).ephemeral).toBe(true);
  });

  it('should update a copy whose source instance changed kind, and leave an equal one alone', () => {
    const [persistent] = desiredCopies(key, [inst('10.0.0.1', { ephemeral: false })], ctx);
    const [ephemeral] = desiredCopies(key, [inst('10.0.0.1')], ctx);
    expect(sameCopy(persistent, ephemeral)).toBe(false);
    expect(sameCopy(persistent, { ...ephemeral, ...persistence(false) })).toBe(true);
    expect(diffCopies([persistent], [ephemeral])).toEqual({ add: [], update: [persistent], remove: [] });
    expect(diffCopies([persistent], [{ ...persistent }])).toEqual({ add: [], update: [], remove: [] });
  });

  it('should keep persistent copies only in the kinds that hold them', () => {
    expect(['local', 'distro', 'nacos', 'zookeeper', 'etcd'].filter((k) => keepsPersistentCopies(k as never))).toEqual([
      'local',
      'distro',
      'nacos',
    ]);
  });
});
