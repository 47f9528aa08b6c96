/**
 * The one text rule every edge applies (Nacos HTTP v1/v2, Nacos gRPC, the registry API, Distro,
 * the admin API), so that a value one edge accepts never breaks another part later — the ledger
 * (Postgres rejects NUL and lone surrogates), a gRPC metadata header, a log line:
 *
 * - names, ids, tokens and credentials are *printable*: well-formed Unicode without control
 *   characters (C0, DEL, C1);
 * - metadata keys and values may hold any well-formed Unicode except NUL.
 *
 * Each check returns the reason a value breaks the rule, or undefined when it keeps it, so each
 * edge wraps the reason in its own error (Nacos error shape, gRPC status, admin 400).
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `value` has no unpaired surrogate (ES2024's `isWellFormed`, which our lib target lacks). */
export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** Why `value` is not printable text, or undefined when it is. */
export function printableViolation(value: string): string | undefined {
  // One pass; the surrogate regex only for text that has surrogates at all (Distro checks every
  // name of every replicated instance with this).
  let surrogates = false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return 'must not contain control characters';
    if (code >= 0xd800 && code <= 0xdfff) surrogates = true;
  }
  if (surrogates && !isWellFormedText(value)) return 'must be well-formed Unicode (no lone surrogates)';
  return undefined;
}

/** Why `value` may not be metadata text (a key or a value), or undefined when it may. */
export function metadataTextViolation(value: string): string | undefined {
  if (value.includes('\0')) return 'must not contain NUL characters';
  if (!isWellFormedText(value)) return 'must be well-formed Unicode (no lone surrogates)';
  return undefined;
}

/**
 * The first metadata entry that breaks the rule, as `key → reason`, or undefined when all keep it.
 * Accepts any record; a non-string value is reported too, since metadata is text on every edge.
 */
export function metadataViolation(
  metadata: Readonly<Record<string, unknown>>,
): { key: string; reason: string } | undefined {
  for (const [key, value] of Object.entries(metadata)) {
    const keyReason = metadataTextViolation(key);
    if (keyReason !== undefined) return { key, reason: `key ${keyReason}` };
    if (typeof value !== 'string') return { key, reason: 'value must be a string' };
    const valueReason = metadataTextViolation(value);
    if (valueReason !== undefined) return { key, reason: `value ${valueReason}` };
  }
  return undefined;
}

/**
 * A strict decimal integer: optional leading `-`, digits only, no sign `+`, no blanks, no hex or
 * exponent, within the safe range. Returns undefined for anything else.
 */
export function parseStrictInteger(raw: string): number | undefined {
  if (!/^-?\d{1,15}$/.test(raw)) return undefined;
  return Number(raw);
}

/**
 * A strict finite decimal number (`12`, `-0.5`, `1.25e3`), rejecting blanks, a leading `+`, hex,
 * `Infinity` and `NaN` that `Number()` would accept or coerce.
 */
export function parseStrictNumber(raw: string): number | undefined {
  if (!/^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d{1,3})?$/.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}
