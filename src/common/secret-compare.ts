import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison of a presented secret with the expected one (any lengths). */
export function secretsEqual(presented: string, expected: string): boolean {
  // Hashing first gives equal-length buffers, so the comparison time leaks nothing about length.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
