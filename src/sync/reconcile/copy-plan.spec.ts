import { ServiceSelector, desiredCopies, diffCopies } from './copy-plan';
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
