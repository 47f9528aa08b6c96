import fc from 'fast-check';
import { metadataTextViolation, parseStrictInteger, parseStrictNumber, printableViolation } from '@/common/text-rule';

/** Characters and fragments every edge has choked on somewhere. */
const NASTY = [
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u0085',
  '\n',
  '\r\n',
  '\t',
  '\uD800',
  '\uDFFF',
  '\uD83D\uDE00',
  '\u202E',
  '\uFEFF',
  ' ',
  '%00',
  '%',
  '@@',
  '#',
  ',',
  '=',
  '{',
  '"',
  "'",
  '\\',
  '/',
  '..',
  '*',
  '__proto__',
  'é',
];

/** A short printable name, the kind every edge should accept. */
export const plainName = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);

/** A string that is usually fine but may carry control characters, lone surrogates, markup or be huge. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: plainName },
  {
    weight: 4,
    arbitrary: fc
      .tuple(plainName, fc.constantFrom(...NASTY), fc.constantFrom('', 'x', ...NASTY))
      .map(([a, b, c]) => `${a}${b}${c}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '  x  ', '\u0000', '\uD800', 'null', 'undefined', 'NaN') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(130, 300, 600, 1100, 5000, 70_000), fc.constantFrom('x', 'é', '\u0000'))
      .map(([n, c]) => c.repeat(n)),
  },
);

/** Text of a number as an edge receives it: mostly strict, sometimes what `Number()` would still take. */
export const numberText = (valid: fc.Arbitrary<number>): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: valid.map(String) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '0x50',
        '+80',
        ' 80',
        '80 ',
        '8\u00000',
        '1e1',
        '80.0',
        '080',
        '0b101',
        '0o17',
        'Infinity',
        '-Infinity',
        'NaN',
        '-0',
        '',
        '1_000',
        '9007199254740993',
        '-1',
        '99999999999999999999',
        '\uff18\uff10',
      ),
    },
    { weight: 1, arbitrary: hostileString },
  );

/** Why `value` breaks the printable rule (names, ids, tokens, credentials), or undefined. */
export const notPrintable = (value: unknown): string | undefined =>
  typeof value === 'string' ? printableViolation(value) : undefined;

/** Why `value` breaks the metadata rule, or undefined. */
export const notMetadataText = (value: unknown): string | undefined =>
  typeof value === 'string' ? metadataTextViolation(value) : undefined;

/** True when `raw` is a number `Number()` takes but the strict rule does not (`0x50`, `+80`, ` 80`). */
export function looseNumber(raw: unknown, integer: boolean): boolean {
  if (typeof raw !== 'string') return false;
  const strict = integer ? parseStrictInteger(raw) : parseStrictNumber(raw);
  return strict === undefined && raw.trim() !== '' && Number.isFinite(Number(raw));
}

/** A JSON value of any type, small, with hostile strings. */
export const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.constantFrom(0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, 65536, 4294967296),
    hostileString,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(hostileString, tie('value'), { maxKeys: 3 }),
  ),
})).value;

/** A value in place of a field's proper one: null, another type, a hostile string. */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constantFrom<unknown>(true, 0, -1, 1e308, [], {}, [null], { $ne: 1 }),
  hostileString,
  anyJson,
);

/** JSON text nested `depth` levels deep: `[[[...]]]` or `{"a":{"a":...}}`. */
export function deepJson(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Whole-body replacements for a JSON route: not JSON, not an object, too deep, wrong content type. */
export const hostileBody: fc.Arbitrary<{ body: string | Buffer; contentType?: string }> = fc.oneof(
  fc
    .constantFrom(
      '',
      'null',
      '[]',
      '"text"',
      '123',
      'true',
      '{',
      '{"a":1',
      '{"a":1}}',
      '\u0000',
      '{"__proto__":{"x":1}}',
    )
    .map((body) => ({ body, contentType: 'application/json' })),
  fc
    .tuple(fc.constantFrom(1000, 3000, 5000), fc.constantFrom('array' as const, 'object' as const))
    .map(([depth, kind]) => ({ body: deepJson(depth, kind), contentType: 'application/json' })),
  fc
    .constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'application/json; charset=utf-16',
      'application/xml',
      '',
    )
    .map((contentType) => ({ body: '{"name":"ct","kind":"local"}', contentType })),
  fc.constant({
    body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    contentType: 'application/json',
  }),
  fc.constant({ body: '{"a":1}' }),
);

/** A field removed by a mutation. */
export const REMOVED = Symbol('removed');

/**
 * A well-formed record with up to `max` of its fields replaced by something hostile (that field's
 * own hostile values, or any wrong value) or removed: most cases get past the first check, so the
 * hostile value reaches the code behind it.
 */
export function mutated<T extends Record<string, unknown>>(
  valid: fc.Arbitrary<T>,
  hostile: Partial<Record<keyof T & string, fc.Arbitrary<unknown>>>,
  max = 2,
): fc.Arbitrary<Record<string, unknown>> {
  return valid.chain((base) => {
    const keys = Object.keys(base);
    // Fields with hostile values of their own are mutated more often than the rest.
    const focus = keys.filter((key) => key in hostile);
    const key =
      focus.length > 0
        ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...focus) }, fc.constantFrom(...keys))
        : fc.constantFrom(...keys);
    const mutation = key.chain((key) =>
      fc
        .oneof(
          { weight: 4, arbitrary: hostile[key as keyof T & string] ?? wrongValue },
          { weight: 1, arbitrary: wrongValue },
          { weight: 1, arbitrary: fc.constant<unknown>(REMOVED) },
        )
        .map((value) => [key, value] as const),
    );
    return fc.array(mutation, { maxLength: max }).map((mutations) => {
      const out: Record<string, unknown> = { ...base };
      for (const [key, value] of mutations) {
        if (value === REMOVED) delete out[key];
        else out[key] = value;
      }
      return out;
    });
  });
}
