import { NacosRequestError, NacosV2ErrorCode } from '@/nacos/http/nacos-errors';
import { NacosParams } from '@/nacos/http/nacos-params';
import { namespaceIdProblem, namespaceTextProblem } from './namespace-form';
import { parseProtectThreshold, readServiceForm } from './service-form';

function errorOf(fn: () => unknown): NacosRequestError {
  try {
    fn();
  } catch (error) {
    if (error instanceof NacosRequestError) return error;
    throw error;
  }
  throw new Error('expected a NacosRequestError');
}

describe('readServiceForm', () => {
  it('should take Nacos defaults', () => {
    expect(
      readServiceForm(NacosParams.of({ serviceName: 's' }), { thresholdRequired: false, ephemeral: false }),
    ).toEqual({
      key: { namespace: 'public', group: 'DEFAULT_GROUP', name: 's' },
      metadata: { ephemeral: false, protectThreshold: 0, selector: { type: 'none' }, metadata: {} },
    });
  });

  it('should read metadata as JSON or k=v, refusing a bad one with code 21005', () => {
    const form = readServiceForm(NacosParams.of({ serviceName: 's', metadata: 'a=1,b=2' }), {
      thresholdRequired: false,
      ephemeral: true,
    });
    expect(form.metadata.metadata).toEqual({ a: '1', b: '2' });
    const error = errorOf(() =>
      readServiceForm(NacosParams.of({ serviceName: 's', metadata: '{"k":"a\\u0000b"}' }), {
        thresholdRequired: false,
        ephemeral: true,
      }),
    );
    expect([error.code, error.message]).toEqual([
      NacosV2ErrorCode.ServiceMetadataError,
      `Param 'metadata' value must not contain NUL characters (key "k").`,
    ]);
  });
});

describe('parseProtectThreshold', () => {
  it('should take a strict decimal from 0 to 1', () => {
    expect(parseProtectThreshold(NacosParams.of({ protectThreshold: '0.75' }), false)).toBe(0.75);
    expect(parseProtectThreshold(NacosParams.of({ protectThreshold: '1' }), false)).toBe(1);
    expect(parseProtectThreshold(NacosParams.of({}), false)).toBe(0);
    // A float holds nothing this small above 0 (Postgres would refuse it as a `real`).
    expect(parseProtectThreshold(NacosParams.of({ protectThreshold: '1e-50' }), false)).toBe(0);
    // Kept as the float Nacos and the database hold, written as Postgres writes it back.
    expect(parseProtectThreshold(NacosParams.of({ protectThreshold: '0.1234567891' }), false)).toBe(0.12345679);
    expect(parseProtectThreshold(NacosParams.of({ protectThreshold: '0.7' }), false)).toBe(0.7);
    for (const raw of ['1.01', '-0.5', '+0.5', '0x1', 'NaN', ' 0.5 x']) {
      const error = errorOf(() => parseProtectThreshold(NacosParams.of({ protectThreshold: raw }), false));
      expect([raw, error.code]).toEqual([raw, NacosV2ErrorCode.ParameterValidateError]);
    }
  });

  it('should require it when asked (v1 PUT)', () => {
    const error = errorOf(() => parseProtectThreshold(NacosParams.of({}), true));
    expect([error.code, error.message]).toEqual([
      NacosV2ErrorCode.ParameterMissing,
      "Param 'protectThreshold' is required.",
    ]);
  });
});

describe('namespace forms', () => {
  it('should take ids of word characters and dashes up to 128', () => {
    expect(namespaceIdProblem('dev-1_a')).toBeUndefined();
    expect(namespaceIdProblem('a.b')?.message).toBe('namespaceId [a.b] mismatch the pattern');
    expect(namespaceIdProblem('x'.repeat(129))?.message).toBe('too long namespaceId, over 128');
  });

  it('should refuse names with @#$%^&* or outside the text rule, and long or NUL descriptions', () => {
    expect(namespaceTextProblem('Dev team', 'any text\nwith lines')).toBeUndefined();
    expect(namespaceTextProblem('a&b', '')?.field).toBe('name');
    expect(namespaceTextProblem('a\u0007b', '')?.field).toBe('name');
    expect(namespaceTextProblem('', '')?.field).toBe('name');
    expect(namespaceTextProblem('ok', 'x'.repeat(257))?.field).toBe('desc');
    expect(namespaceTextProblem('ok', 'a\u0000')?.field).toBe('desc');
  });
});
