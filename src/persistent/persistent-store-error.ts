/** Why a persistent write was not acknowledged: the database did not take it. */
export class PersistentStoreError extends Error {
  constructor(
    /** `unavailable`: unreachable or past the deadline (worth a retry); `invalid`: it refused the value; `failed`: anything else. */
    readonly kind: 'unavailable' | 'invalid' | 'failed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PersistentStoreError';
  }
}

/**
 * What a failed database call means for a persistent write (`what` names it): `unavailable` for a
 * connection that is gone, a database that is shutting down or one that did not answer in time.
 */
export function storeFailure(
  err: unknown,
  kind: PersistentStoreError['kind'] | undefined,
  detail: string,
  what = 'the persistent instance write',
): PersistentStoreError {
  if (kind === 'unavailable') {
    return new PersistentStoreError(
      'unavailable',
      `the region's database ${detail}; ${what} is not acknowledged, retry it`,
      { cause: err },
    );
  }
  if (kind === 'invalid') {
    return new PersistentStoreError('invalid', `the database refused the value (${detail})`, { cause: err });
  }
  return new PersistentStoreError('failed', `storing failed; ${what} is not acknowledged`, { cause: err });
}
