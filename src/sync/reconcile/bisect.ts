import { scrubbedMessage } from '@/common/secret-scrubber';

/** One item that was refused on its own, and why. */
export interface Refusal<T> {
  item: T;
  reason: string;
}

/**
 * Writes `items` in one call; when the call is refused for its content (`refused(err)`), splits
 * the batch in halves and writes each, down to single items, so the culprits are found in about
 * 2·log₂(n) calls per culprit and everything else is written. Any other failure (unreachable,
 * lease lost) propagates at once: it says nothing about the items.
 */
export async function bisectRefused<T>(
  items: readonly T[],
  write: (batch: readonly T[]) => Promise<void>,
  refused: (err: unknown) => boolean,
): Promise<Array<Refusal<T>>> {
  if (items.length === 0) return [];
  try {
    await write(items);
    return [];
  } catch (err) {
    if (!refused(err)) throw err;
    if (items.length === 1) return [{ item: items[0], reason: scrubbedMessage(err) }];
  }
  const mid = Math.ceil(items.length / 2);
  const first = await bisectRefused(items.slice(0, mid), write, refused);
  const second = await bisectRefused(items.slice(mid), write, refused);
  return [...first, ...second];
}

/**
 * SQLSTATEs of a row Postgres refuses for its content rather than for the state of the database:
 * class 22 (data exception: NUL in jsonb 22P05 or text 22021, a value too long 22001, out of
 * range 22003), a CHECK constraint (23514) or a NOT NULL one (23502).
 */
export function isRefusedByDatabase(err: unknown): boolean {
  const code =
    (err as { code?: unknown; driverError?: { code?: unknown } } | null)?.code ??
    (err as { driverError?: { code?: unknown } } | null)?.driverError?.code;
  return typeof code === 'string' && (code.startsWith('22') || code === '23514' || code === '23502');
}
