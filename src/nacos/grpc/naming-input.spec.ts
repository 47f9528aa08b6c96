import { NacosErrorCode } from './messages';
import { NacosRequestError, instanceInput, instanceInputs, requestServiceKey } from './naming-input';

function errorOf(fn: () => unknown): NacosRequestError {
  try {
    fn();
  } catch (err) {
    if (err instanceof NacosRequestError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('naming input', () => {
  describe(requestServiceKey.name, () => {
    it('should apply the Nacos defaults for namespace and group', () => {
      expect(requestServiceKey({ serviceName: 'orders', namespace: '' })).toEqual({
        namespace: 'public',
        group: 'DEFAULT_GROUP',
        name: 'orders',
      });
    });

    it('should reject a missing or malformed service name with 400', () => {
      expect(errorOf(() => requestServiceKey({})).errorCode).toBe(NacosErrorCode.BadRequest);
      expect(errorOf(() => requestServiceKey({ serviceName: 'a@@b' })).message).toMatch(/serviceName/);
    });
  });

  describe(instanceInput.name, () => {
    it('should name the bad field', () => {
      expect(errorOf(() => instanceInput({ ip: '1.1.1.1', port: 0 })).message).toBe('instance.port must be 1-65535');
      expect(errorOf(() => instanceInput({ ip: '', port: 1 })).message).toMatch(/instance\.ip/);
      expect(errorOf(() => instanceInput({ ip: '1.1.1.1', port: 1, weight: -1 })).message).toMatch(/weight/);
      expect(
        errorOf(() => instanceInput({ ip: '1.1.1.1', port: 1, metadata: { a: 1 as unknown as string } })).message,
      ).toMatch(/metadata\.a/);
      const tooMany = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, 'v']));
      expect(errorOf(() => instanceInput({ ip: '1.1.1.1', port: 1, metadata: tooMany })).message).toBe(
        'instance.metadata has more than 256 keys',
      );
      const { k0: _dropped, ...atLimit } = tooMany;
      expect(instanceInput({ ip: '1.1.1.1', port: 1, metadata: atLimit }).metadata).toBe(atLimit);
      expect(
        errorOf(() =>
          instanceInputs([
            { ip: '1.1.1.1', port: 1 },
            { ip: 'x', port: -1 },
          ]),
        ).message,
      ).toMatch(/instances\[1\]\.port/);
    });

    it('should default weight, health, enabled and cluster as Nacos does', () => {
      expect(instanceInput({ ip: '1.1.1.1', port: 1 })).toEqual(
        expect.objectContaining({ weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: 'DEFAULT' }),
      );
    });

    it('should keep an instance id only when the SDK sent one', () => {
      expect(instanceInput({ ip: '1.1.1.1', port: 1, instanceId: 'custom-1' }).instanceId).toBe('custom-1');
      expect('instanceId' in instanceInput({ ip: '1.1.1.1', port: 1 })).toBe(false);
    });
  });
});
