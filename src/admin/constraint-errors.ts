import { databaseHttpException } from '@/observability/database-exceptions';

/**
 * Runs a write and maps what the database refuses to the admin API's answer at once (409, 400,
 * 503), worded per constraint for the operator, so a batch can name the task that failed;
 * anything else propagates. The global exception filter maps the same errors for every other
 * route, with the generic wording.
 */
export async function mapConstraintErrors<T>(
  work: () => Promise<T>,
  messages: Readonly<Record<string, string>>,
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw databaseHttpException(err, messages) ?? err;
  }
}
