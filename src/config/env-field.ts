import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';
import type { ValidationArguments } from 'class-validator';
import { printableViolation } from '@/common/text-rule';

/**
 * How a part declares its section of the environment: a class whose fields carry `@Env` (the
 * variable, its description, whether it is sensitive) and one `Env*` rule each — class-transformer
 * turns the variable's text into the field's type, class-validator checks the result, as the admin
 * API's DTOs do. The field's initializer is its default. `src/config` reads every section at once.
 *
 * A rule's message follows the variable's name (`HTTP_PORT must be a port number 0-65535, got "x"`);
 * it quotes the value only through `got`, which says nothing of a sensitive variable's value.
 */

/** Values of every variable by name, for a default derived from other variables. */
export type EnvByName = Readonly<Record<string, unknown>>;

export interface EnvFieldOptions {
  /** Never logged, never quoted in an error, registered with the secret scrubber. */
  sensitive?: boolean;
  /** A default computed from other variables, once every section has been read (e.g. HTTP_PORT + 1001). */
  derive?: (env: EnvByName) => unknown;
  /** The default as the docs state it, where it is not the field's initializer (derived, or "unset = ..."). */
  defaultText?: string;
}

export interface EnvField extends EnvFieldOptions {
  /** The section class's field. */
  property: string;
  /** The environment variable: a contract with operators and manifests, never renamed. */
  name: string;
  description: string;
}

/** The declared fields of each section class (keyed by the class). */
const FIELDS = new WeakMap<object, EnvField[]>();

/** Declares the environment variable a section field is read from. */
export function Env(name: string, description: string, options: EnvFieldOptions = {}): PropertyDecorator {
  return (target, property) => {
    const fields = FIELDS.get(target.constructor) ?? [];
    fields.push({ property: String(property), name, description, ...options });
    FIELDS.set(target.constructor, fields);
  };
}

/** The variables a section class declares, in declaration order. */
export function envFields(section: abstract new () => object): readonly EnvField[] {
  return FIELDS.get(section) ?? [];
}

function fieldOf(args: ValidationArguments): EnvField | undefined {
  return FIELDS.get(args.object.constructor)?.find((f) => f.property === args.property);
}

/** `, got "text"` or `, got 70000` — nothing at all for a sensitive variable. */
function got(args: ValidationArguments): string {
  if (fieldOf(args)?.sensitive) return '';
  return typeof args.value === 'string' ? `, got "${args.value}"` : `, got ${String(args.value)}`;
}

/** One rule: a value that is absent (unset and no default, or derived later) passes every rule. */
function rule(name: string, valid: (value: unknown) => boolean, message: (args: ValidationArguments) => string) {
  return ValidateBy({
    name,
    validator: {
      validate: (value: unknown) => value === undefined || valid(value),
      defaultMessage: (args?: ValidationArguments) => (args ? message(args) : `is not valid`),
    },
  });
}

const toInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;

const inRange = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

/** A TCP/UDP port, 0 = any free port. */
export function EnvPort(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value,
    ),
    rule(
      'envPort',
      (v) => inRange(v, 0, 65535),
      (args) => `must be a port number 0-65535${got(args)}`,
    ),
  );
}

/** An integer in [min, max]: a count, a size or a duration in milliseconds. */
export function EnvInt(min: number, max: number): PropertyDecorator {
  return applyDecorators(
    Transform(toInteger),
    rule(
      'envInt',
      (v) => inRange(v, min, max),
      (args) =>
        typeof args.value === 'number'
          ? `must be between ${min} and ${max}${got(args)}`
          : `must be an integer${got(args)}`,
    ),
  );
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

/** true/1/yes/on or false/0/no/off, any case. */
export function EnvBool(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => {
      if (typeof value !== 'string') return value;
      if (TRUE.includes(value.toLowerCase())) return true;
      return FALSE.includes(value.toLowerCase()) ? false : value;
    }),
    rule(
      'envBool',
      (v) => typeof v === 'boolean',
      (args) => `must be true or false${got(args)}`,
    ),
  );
}

/** One of a fixed set of words, as written. */
export function EnvOneOf(values: readonly string[]): PropertyDecorator {
  return rule(
    'envOneOf',
    (v) => typeof v === 'string' && values.includes(v),
    (args) => `must be one of ${values.join(', ')}${got(args)}`,
  );
}

/** Any text. */
export function EnvText(): PropertyDecorator {
  return rule(
    'envText',
    (v) => typeof v === 'string',
    () => 'must be text',
  );
}

/**
 * A token or key of at least `minLength` characters. Tokens travel in gRPC metadata and HTTP headers,
 * where a control character is refused with an error quoting the whole value (surrounding blanks,
 * such as the trailing newline `echo` leaves in a mounted Secret, are trimmed before this). The value
 * itself is never quoted here.
 */
export function EnvSecret(minLength: number): PropertyDecorator {
  const reason = (v: unknown): string | undefined => {
    if (typeof v !== 'string') return 'must be text';
    if (v.length < minLength) return `must be at least ${minLength} characters long`;
    const violation = printableViolation(v);
    return violation === undefined ? undefined : `${violation} (tokens and secrets are printable text)`;
  };
  return rule(
    'envSecret',
    (v) => reason(v) === undefined,
    (args) => reason(args.value) ?? 'is not a valid secret',
  );
}

/** A postgres:// or postgresql:// URL. */
export function EnvPostgresUrl(): PropertyDecorator {
  const isPostgresUrl = (v: unknown): boolean => {
    if (typeof v !== 'string' || !URL.canParse(v)) return false;
    const { protocol } = new URL(v);
    return protocol === 'postgres:' || protocol === 'postgresql:';
  };
  return rule('envPostgresUrl', isPostgresUrl, () => 'must be a postgres:// URL');
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** The first item of a list that is not `host:port` with a port 1-65535. */
function badHostPort(items: readonly string[]): string | undefined {
  return items.find((item) => {
    const m = HOST_PORT.exec(item);
    return !m || Number(m[2]) < 1 || Number(m[2]) > 65535;
  });
}

/** `host:port,host:port` (blanks around items and empty items ignored); hosts may be [IPv6] literals. */
export function EnvHostPortList(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s.length > 0)
        : value,
    ),
    rule(
      'envHostPortList',
      (v) => Array.isArray(v) && badHostPort(v as string[]) === undefined,
      (args) => `"${badHostPort(args.value as string[])}" is not host:port`,
    ),
  );
}

/** One `host:port`; hosts may be [IPv6] literals. */
export function EnvHostPort(): PropertyDecorator {
  return rule(
    'envHostPort',
    (v) => typeof v === 'string' && badHostPort([v]) === undefined,
    (args) => `"${String(args.value)}" is not host:port`,
  );
}

/** A DNS name, optionally with `:port`. */
export function EnvHostname(): PropertyDecorator {
  return rule(
    'envHostname',
    (v) => typeof v === 'string' && /^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(v),
    (args) => `"${String(args.value)}" is not a DNS name (optionally :port)`,
  );
}

/** The name prefix of every EnvCheck rule (each gets its own name, so two on one field both report). */
export const ENV_CHECK = 'envCheck';
let checks = 0;

/**
 * A rule across fields of one section, reported under the decorated field's variable. `holds` sees
 * the section as read; it should hold whenever a field it reads has the wrong type, since that
 * field's own rule reports it.
 */
export function EnvCheck<T extends object>(holds: (section: T) => boolean, message: string): PropertyDecorator {
  return ValidateBy({
    name: `${ENV_CHECK}${++checks}`,
    validator: {
      validate: (_value: unknown, args?: ValidationArguments) => (args ? holds(args.object as T) : true),
      defaultMessage: () => message,
    },
  });
}
