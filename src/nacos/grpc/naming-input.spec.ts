import { NacosExceptionCode } from './messages';
import {
  NacosRequestError,
  clusterList,
  instanceInput,
  instanceInputs,
  requestGroup,
  requestServiceKey,
} from './naming-input';

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
      expect(errorOf(() => requestServiceKey({})).errorCode).toBe(NacosExceptionCode.BadRequest);
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

    it('should hold names to printable text and metadata to any text but NUL (issue 16)', () => {
      const base = { ip: '1.1.1.1', port: 1 };
      for (const [raw, field] of [
        [{ ...base, ip: '1.1.1.\u0000' }, /instance\.ip/],
        [{ ...base, clusterName: 'c\u0085' }, /instance\.clusterName must not contain control/],
        [{ ...base, instanceId: 'i\uD800' }, /instance\.instanceId must be well-formed/],
        [{ ...base, metadata: { k: 'a\u0000' } }, /instance\.metadata entry "k" must not contain NUL/],
        [{ ...base, metadata: { '\u0000': 'v' } }, /instance\.metadata entry "\\u0000"/],
        [{ ...base, metadata: { k: '\uDC00' } }, /instance\.metadata entry "k" must be well-formed/],
      ] as const) {
        expect(errorOf(() => instanceInput(raw)).message).toMatch(field);
      }
      expect(instanceInput({ ...base, metadata: { k: 'a\nb\u0001\u0085' } }).metadata).toEqual({
        k: 'a\nb\u0001\u0085',
      });
      expect(errorOf(() => requestServiceKey({ serviceName: 's', namespace: 'n\u001f' })).message).toMatch(
        /^namespace/,
      );
      expect(errorOf(() => requestServiceKey({ serviceName: 's\u007f' })).message).toMatch(/^serviceName/);
      expect(errorOf(() => requestGroup({ groupName: 'g\u0000' })).message).toMatch(/^groupName/);
      expect(errorOf(() => clusterList('a,b\u0000', 'clusters')).message).toMatch(/^clusters/);
      expect(clusterList('a, b', 'clusters')).toEqual(['a', 'b']);
    });

    it('should keep an instance id only when the SDK sent one', () => {
      expect(instanceInput({ ip: '1.1.1.1', port: 1, instanceId: 'custom-1' }).instanceId).toBe('custom-1');
      expect('instanceId' in instanceInput({ ip: '1.1.1.1', port: 1 })).toBe(false);
    });
  });
});
