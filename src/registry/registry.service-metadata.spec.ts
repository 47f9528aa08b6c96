import { Registry } from './registry';
import type { ServiceMetadata } from './model';

const KEY = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'stored' };
const PERSISTENT: ServiceMetadata = {
  ephemeral: false,
  protectThreshold: 0.5,
  selector: { type: 'none' },
  metadata: { team: 'a' },
};

describe('Registry service metadata', () => {
  let sut: Registry;

  beforeEach(() => {
    sut = new Registry();
  });

  it('should keep a service with metadata and no instances, listed, of the stored kind', () => {
    expect(sut.setServiceMetadata(KEY, PERSISTENT)).toBe(true);
    expect(sut.getService(KEY)).toMatchObject({ instanceCount: 0, clusters: [] });
    expect(sut.listServices('public', { group: 'DEFAULT_GROUP', pageNo: 1, pageSize: 10 }).names).toEqual(['stored']);
    expect(sut.serviceMetadata(KEY)).toEqual(PERSISTENT);
    expect(sut.serviceEphemeral(KEY)).toBe(false);
  });

  it('should keep it when its last instance goes, and drop it once cleared', () => {
    sut.registerInstance('10.0.0.1:80#false', 'ipport', KEY, { ip: '10.0.0.1', port: 80, ephemeral: false });
    sut.setServiceMetadata(KEY, PERSISTENT);
    sut.deregisterInstance('10.0.0.1:80#false', KEY, 'DEFAULT', '10.0.0.1', 80);
    expect(sut.getService(KEY)).toBeDefined();
    expect(sut.setServiceMetadata(KEY, undefined)).toBe(true);
    expect(sut.getService(KEY)).toBeUndefined();
  });

  it('should announce a change as a new revision of the service, and nothing when it is the same', () => {
    const events: number[] = [];
    sut.events.on('serviceChanged', (event) => events.push(event.revision));
    sut.setServiceMetadata(KEY, PERSISTENT);
    const first = sut.getService(KEY)?.revision ?? 0;
    expect(sut.setServiceMetadata(KEY, { ...PERSISTENT, metadata: { team: 'a' } })).toBe(false);
    expect(sut.setServiceMetadata(KEY, { ...PERSISTENT, protectThreshold: 0.6 })).toBe(true);
    expect(sut.getService(KEY)?.revision).toBeGreaterThan(first);
    expect(events).toHaveLength(2);
    expect(sut.setServiceMetadata({ ...KEY, name: 'unknown' }, undefined)).toBe(false);
  });

  it('should let the instances tell the kind when it has some', () => {
    sut.registerInstance('10.0.0.1:80#true', 'ipport', KEY, { ip: '10.0.0.1', port: 80 });
    sut.setServiceMetadata(KEY, PERSISTENT);
    expect(sut.serviceEphemeral(KEY)).toBe(true);
  });
});
