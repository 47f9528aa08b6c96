import { ConflictException } from '@nestjs/common';

/** Postgres error codes the admin API turns into 409s instead of 500s. */
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Runs a write and maps constraint violations the database enforces (unique names, clusters in
 * use) to a 409 with a message for the operator; anything else propagates.
 */
export async function mapConstraintErrors<T>(work: () => Promise<T>, messages: Record<string, string>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const { code, constraint } = (err ?? {}) as { code?: string; constraint?: string };
    if ((code === UNIQUE_VIOLATION || code === FOREIGN_KEY_VIOLATION) && constraint) {
      throw new ConflictException(messages[constraint] ?? `conflicts with existing data (${constraint})`);
    }
    throw err;
  }
}
