import { scrubSecrets } from './secret-scrubber';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text a worker stores for people to read (a task's last error, a rejected copy's reason, an
 * event): secrets scrubbed, and what Postgres refuses in text and jsonb — NUL, lone surrogates —
 * shown as `\0` and U+FFFD, since such text may quote the very value that was refused.
 */
export function storableText(text: string, max: number): string {
  return scrubSecrets(text).replace(/\0/g, '\\0').replace(LONE_SURROGATE, '\uFFFD').slice(0, max);
}

/** `storableText` over every string inside a JSON-like value (event details). */
export function storableJson(value: unknown, max = 2048): unknown {
  if (typeof value === 'string') return storableText(value, max);
  if (Array.isArray(value)) return value.map((v) => storableJson(v, max));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k, 256), storableJson(v, max)]));
  }
  return value;
}
