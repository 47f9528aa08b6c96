import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { ValidationError } from 'class-validator';
import { ENV_CHECK, envFields } from './env-field';
import type { EnvByName, EnvField } from './env-field';

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n  - ${problems.join('\n  - ')}`);
    this.name = 'EnvError';
  }
}

export type SectionClass<T extends object = object> = new () => T;

/** One section read from the environment, and what is wrong with it (one line per bad variable). */
export interface SectionRead<T extends object> {
  section: T;
  problems: string[];
}

/**
 * Reads one section: every declared variable that is set and not blank is trimmed and handed to the
 * section's transforms; an unset one keeps the field's initializer. Then every rule runs, and each
 * failure becomes `NAME <why> (<description>)`.
 */
export function readSection<T extends object>(
  sectionClass: SectionClass<T>,
  env: Readonly<Record<string, string | undefined>>,
): SectionRead<T> {
  const fields = envFields(sectionClass);
  const plain: Record<string, string> = {};
  for (const field of fields) {
    const raw = env[field.name];
    if (raw !== undefined && raw.trim() !== '') plain[field.property] = raw.trim();
  }
  const section = plainToInstance(sectionClass, plain);
  const problems = validateSync(section).flatMap((error) => describeError(error, fields));
  return { section, problems };
}

function describeError(error: ValidationError, fields: readonly EnvField[]): string[] {
  const field = fields.find((f) => f.property === error.property);
  const name = field?.name ?? error.property;
  const suffix = field ? ` (${field.description})` : '';
  const failed = Object.entries(error.constraints ?? {});
  // A rule across fields says nothing useful about a field that is malformed itself.
  const own = failed.filter(([rule]) => !rule.startsWith(ENV_CHECK));
  return (own.length > 0 ? own : failed).map(([, why]) => `${name} ${why}${suffix}`);
}

/** Every declared variable of the given sections by name, with its value. */
export function valuesByName(sections: readonly object[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const section of sections) {
    for (const field of envFields(section.constructor as SectionClass)) {
      out[field.name] = (section as Record<string, unknown>)[field.property];
    }
  }
  return out;
}

/** Fills every unset field that has a derived default from the other variables' values. */
export function deriveDefaults(sections: readonly object[]): void {
  const env: EnvByName = valuesByName(sections);
  for (const section of sections) {
    for (const field of envFields(section.constructor as SectionClass)) {
      const fields = section as Record<string, unknown>;
      if (field.derive && fields[field.property] === undefined) fields[field.property] = field.derive(env);
    }
  }
}
