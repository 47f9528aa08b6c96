import { ValidateBy, ValidateIf, buildMessage } from 'class-validator';
import type { ValidationArguments, ValidationOptions } from 'class-validator';
import { applyDecorators } from '@nestjs/common';
import { printableViolation } from './text-rule';

/** Why a value (or, with `each`, the first element of an array) is not printable text. */
function reasonOf(args: ValidationArguments): string {
  const values: unknown[] = Array.isArray(args.value) ? args.value : [args.value];
  for (const value of values) {
    if (typeof value !== 'string') return 'must be a string';
    const reason = printableViolation(value);
    if (reason !== undefined) return reason;
  }
  return 'must be printable text';
}

/**
 * The text rule (`src/common/text-rule.ts`) on a DTO field: names, ids, tokens and credentials are
 * printable — well-formed Unicode without control characters. The message names the field and the
 * reason and never quotes the value, which may be a credential.
 */
export function IsPrintable(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPrintable',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && printableViolation(value) === undefined,
        defaultMessage: buildMessage(
          (each, args) => `${each}${args?.property ?? 'value'} ${args ? reasonOf(args) : 'must be printable text'}`,
          options,
        ),
      },
    },
    options,
  );
}

/**
 * Like `@IsOptional()`, but only an absent field is optional: `null` is validated (and refused by
 * the field's other rules, with a message naming it), so it never replaces a default or reaches a
 * NOT NULL column.
 */
export function IsOptionalNotNull(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_object: unknown, value: unknown) => value !== undefined),
    ValidateBy({
      name: 'isNotNull',
      validator: {
        validate: (value: unknown) => value !== null,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property ?? 'value'} must not be null (omit it instead)`,
      },
    }),
  );
}

/**
 * The decorators of one field, listed as they would be stacked over it and applied the same way (the
 * bottom one first). `applyDecorators` applies its list from the top, which would register the
 * class-validator rules in the opposite order and so reorder the messages of a 400; through this the
 * messages and the OpenAPI schema come out as the stacked decorators gave them.
 */
export function field(...decorators: PropertyDecorator[]): PropertyDecorator {
  return applyDecorators(...[...decorators].reverse());
}
