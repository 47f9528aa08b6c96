import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ApiPropertyOptions } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsNumber, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsOptionalNotNull, IsPrintable, field } from '@/common/field-validators';

/**
 * The fields a task's definition shares between create (`TaskCreateDto`), PATCH (`TaskUpdateDto`) and
 * import (`TransferTaskDto`): each rule is written once here. A field is optional (absent keeps the
 * default or the stored value, `null` is refused) unless `required`; `doc` is the field's OpenAPI text,
 * which differs per DTO. The validation messages are the admin API's 400 bodies: `field()` registers the
 * rules in the order the stacked decorators did, so the messages come out in the same order too.
 */

/** Names as Nacos allows them, plus `*` wildcards; no control characters. */
export const PATTERN = /^[A-Za-z0-9_.:@*\-/]+$/;
export const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);
/** A task name: starts with a letter or digit; what a generated name contains. */
export const TASK_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@*>/-]*$/;
export const TASK_NAME_MESSAGE = 'name may contain letters, digits and . _ : @ * > / - only';

interface FieldOptions {
  doc?: ApiPropertyOptions;
  required?: boolean;
}

/** The OpenAPI decorator, and `IsOptionalNotNull` unless the field is required. */
function presence({ doc = {}, required = false }: FieldOptions): PropertyDecorator[] {
  return required ? [ApiProperty(doc)] : [ApiPropertyOptional(doc), IsOptionalNotNull()];
}

/** `name`: trimmed, 1–128 printable characters of `TASK_NAME`. */
export const TaskNameField = (options: FieldOptions = {}): PropertyDecorator =>
  field(
    ...presence(options),
    Transform(trim),
    IsString(),
    Length(1, 128),
    IsPrintable(),
    Matches(TASK_NAME, { message: TASK_NAME_MESSAGE }),
  );

/** The selector's parts: their longest value and what the 400 calls them. */
const SELECTOR = {
  namespace: { max: 128, noun: 'a namespace' },
  groupName: { max: 128, noun: 'a group' },
  serviceName: { max: 512, noun: 'a service name' },
} as const;

/** `namespace`, `groupName` or `serviceName`: a name or a `*` pattern of `PATTERN`. */
export const SelectorField = (part: keyof typeof SELECTOR, options: FieldOptions = {}): PropertyDecorator =>
  field(
    ...presence(options),
    IsString(),
    Length(1, SELECTOR[part].max),
    IsPrintable(),
    Matches(PATTERN, { message: `${part} has characters ${SELECTOR[part].noun} cannot have` }),
  );

/** `exclude`: at most 100 patterns over service, group@@service or namespace/group@@service. */
export const ExcludeField = (options: FieldOptions = {}): PropertyDecorator =>
  field(
    ...presence({ ...options, doc: { type: [String], ...options.doc } }),
    IsArray(),
    ArrayMaxSize(100),
    IsString({ each: true }),
    Length(1, 512, { each: true }),
    IsPrintable({ each: true }),
    Matches(PATTERN, { each: true, message: 'each exclude pattern must be a name pattern' }),
  );

/** `maxDeleteRatio`: the share of copies one round may delete before it is held, 0–1. */
export const MaxDeleteRatioField = (options: FieldOptions = {}): PropertyDecorator =>
  field(...presence(options), IsNumber({ allowNaN: false, allowInfinity: false }), Min(0), Max(1));
