import type { ServiceKey, ServiceMetadata } from '@/registry';
import { parseStrictNumber } from '@/common/text-rule';
import { NacosRequestError, NacosV2ErrorCode } from '@/nacos/http/nacos-errors';
import type { NacosParams } from '@/nacos/http/nacos-params';
import { parseMetadata } from '@/nacos/http/nacos-params';
import { parseSelector } from './selector';

/** The smallest positive normal float; Postgres refuses a `real` below it. */
const FLOAT_MIN_NORMAL = 1.1754943508222875e-38;

/** A service create or update, validated whole before anything is written. */
export interface ServiceForm {
  key: ServiceKey;
  metadata: ServiceMetadata;
}

/**
 * `protectThreshold`: a strict decimal from 0 to 1 (a share of healthy instances); absent = 0 unless
 * `required` (v1 PUT reads it with WebUtils.required). Nacos takes any float; a threshold above 1 or
 * below 0 means nothing there, so it is refused here.
 */
export function parseProtectThreshold(params: NacosParams, required: boolean): number {
  if (required) params.required('protectThreshold');
  const raw = params.optional('protectThreshold');
  if (raw === undefined) return 0;
  const value = parseStrictNumber(raw);
  if (value === undefined || value < 0 || value > 1) {
    throw NacosRequestError.badParam(
      NacosV2ErrorCode.ParameterValidateError,
      `Param 'protectThreshold' must be a number from 0 to 1.`,
    );
  }
  // Stored as a float (Nacos's type, Postgres `real`): what a float cannot hold above 0 is 0, as Java reads it.
  return value < FLOAT_MIN_NORMAL ? 0 : asFloat(value);
}

/** The shortest decimal that reads back as the same float, as Postgres writes a `real` (0.1234567891 → 0.12345679). */
function asFloat(value: number): number {
  const float = Math.fround(value);
  for (let digits = 1; digits < 9; digits++) {
    const shortest = Number(float.toPrecision(digits));
    if (Math.fround(shortest) === float) return shortest;
  }
  return Number(float.toPrecision(9));
}

/** Service metadata (`metadata`): a JSON object or `k=v,k2=v2`, as instance metadata; refused with code 21005. */
export function parseServiceMetadata(params: NacosParams): Readonly<Record<string, string>> {
  const raw = params.optional('metadata');
  if (raw === undefined) return {};
  try {
    return parseMetadata(raw);
  } catch (error) {
    if (error instanceof NacosRequestError) {
      throw NacosRequestError.badParam(NacosV2ErrorCode.ServiceMetadataError, error.message);
    }
    throw error;
  }
}

/**
 * The fields of a service create or update (Nacos's ServiceController / ServiceForm): `serviceName`
 * (grouped, or with `groupName`), `namespaceId`, `protectThreshold`, `metadata`, `selector`, and the kind a
 * create stores (`ephemeral`: v1 always persistent, v2 the param, default false).
 */
export function readServiceForm(
  params: NacosParams,
  options: { thresholdRequired: boolean; ephemeral: boolean },
): ServiceForm {
  const key = params.service();
  const protectThreshold = parseProtectThreshold(params, options.thresholdRequired);
  const metadata = parseServiceMetadata(params);
  const selector = parseSelector(params.optional('selector'));
  return { key, metadata: { ephemeral: options.ephemeral, protectThreshold, selector, metadata } };
}
