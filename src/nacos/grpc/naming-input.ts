import { metadataTextViolation, printableViolation } from '@/common/text-rule';
import { DEFAULT_CLUSTER, serviceKey } from '@/registry';
import type { InstanceAddress, InstanceInput, ServiceKey } from '@/registry';
import { NacosExceptionCode } from './messages';
import type { NacosInstance, NamingRequestBase } from './messages';

/** Longest namespace, group, service or cluster name accepted (Nacos allows far less in practice). */
export const MAX_NAME_LENGTH = 512;
/** Most instances in one BatchInstanceRequest; the message size limit bounds it as well. */
export const MAX_BATCH_INSTANCES = 10_000;
const MAX_METADATA_ENTRIES = 256;
const NAME = /^[^\s@#]+$/;

/** A request failed in a way the client should see as a Nacos error code. */
export class NacosRequestError extends Error {
  constructor(
    readonly errorCode: NacosExceptionCode,
    message: string,
  ) {
    super(message);
    this.name = 'NacosRequestError';
  }
}

function invalid(message: string): never {
  throw new NacosRequestError(NacosExceptionCode.BadRequest, message);
}

/**
 * Where a value sits in the request: a name, or the index of an instance in a batch. Messages are
 * built from it only on error, never for each of a batch's valid instances.
 */
type Field = string | number;

function label(field: Field, sub?: string): string {
  const base = typeof field === 'number' ? `instances[${field}]` : field;
  return sub === undefined ? base : `${base}.${sub}`;
}

function optionalName(value: unknown, field: Field, sub?: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') invalid(`${label(field, sub)} must be a string`);
  if (value.length > MAX_NAME_LENGTH) invalid(`${label(field, sub)} is longer than ${MAX_NAME_LENGTH} characters`);
  const reason = printableViolation(value);
  if (reason !== undefined) invalid(`${label(field, sub)} ${reason}`);
  return value;
}

/** The service a naming request names, with Nacos defaults for namespace and group. */
export function requestServiceKey(body: NamingRequestBase): ServiceKey {
  const name = optionalName(body.serviceName, 'serviceName');
  if (name === undefined) invalid('serviceName is required');
  if (!NAME.test(name)) invalid('serviceName must not contain blanks, @ or #');
  const group = optionalName(body.groupName, 'groupName');
  if (group !== undefined && !NAME.test(group)) invalid('groupName must not contain blanks, @ or #');
  return serviceKey(optionalName(body.namespace, 'namespace'), group, name);
}

function address(raw: NacosInstance, field: Field): InstanceAddress {
  if (typeof raw !== 'object' || raw === null) invalid(`${label(field)} is required`);
  if (
    typeof raw.ip !== 'string' ||
    raw.ip.length === 0 ||
    raw.ip.length > 255 ||
    /\s/.test(raw.ip) ||
    printableViolation(raw.ip) !== undefined
  ) {
    invalid(`${label(field, 'ip')} must be a non-empty address of printable text`);
  }
  if (!Number.isInteger(raw.port) || raw.port < 1 || raw.port > 65535)
    invalid(`${label(field, 'port')} must be 1-65535`);
  const clusterName = optionalName(raw.clusterName, field, 'clusterName') ?? DEFAULT_CLUSTER;
  return { ip: raw.ip, port: raw.port, clusterName };
}

/** Validates an SDK instance and maps it to the registry's input. */
export function instanceInput(raw: NacosInstance, field: Field = 'instance'): InstanceInput {
  const { ip, port, clusterName } = address(raw, field);
  const weight = raw.weight ?? 1;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 10000) {
    invalid(`${label(field, 'weight')} must be 0-10000`);
  }
  for (const flag of ['healthy', 'enabled', 'ephemeral'] as const) {
    if (raw[flag] !== undefined && raw[flag] !== null && typeof raw[flag] !== 'boolean') {
      invalid(`${label(field, flag)} must be true or false`);
    }
  }
  const metadata = raw.metadata ?? {};
  if (typeof metadata !== 'object' || Array.isArray(metadata)) invalid(`${label(field, 'metadata')} must be an object`);
  // A keyed loop, not Object.entries: a batch validates thousands of these and the pairs are garbage.
  let keys = 0;
  for (const key in metadata) {
    if (!Object.prototype.hasOwnProperty.call(metadata, key)) continue;
    if (++keys > MAX_METADATA_ENTRIES) {
      invalid(`${label(field, 'metadata')} has more than ${MAX_METADATA_ENTRIES} keys`);
    }
    const value = metadata[key];
    if (typeof value !== 'string') invalid(`${label(field, 'metadata')}.${key} must be a string`);
    const reason = metadataTextViolation(key) ?? metadataTextViolation(value);
    if (reason !== undefined)
      invalid(`${label(field, 'metadata')} entry ${JSON.stringify(key.slice(0, 40))} ${reason}`);
  }
  const instanceId = optionalName(raw.instanceId, field, 'instanceId');
  const input: InstanceInput = {
    ip,
    port,
    clusterName,
    weight,
    healthy: raw.healthy ?? true,
    enabled: raw.enabled ?? true,
    // Connection-owned instances are ephemeral by nature: they go with the connection.
    ephemeral: true,
    metadata,
  };
  if (instanceId !== undefined) input.instanceId = instanceId;
  return input;
}

/** Validates a batch's instance list. */
export function instanceInputs(raw: unknown): InstanceInput[] {
  if (!Array.isArray(raw)) invalid('instances must be an array');
  if (raw.length > MAX_BATCH_INSTANCES) invalid(`instances has more than ${MAX_BATCH_INSTANCES} entries`);
  return (raw as NacosInstance[]).map((each, i) => instanceInput(each, i));
}

/** Only the identifying part of an instance (deregistration). */
export function instanceAddress(raw: NacosInstance, field: Field = 'instance'): InstanceAddress {
  return address(raw, field);
}

/** `a,b` → ['a','b']; empty → []; names that are not printable text are refused naming `field`. */
export function clusterList(value: unknown, field: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (typeof value !== 'string') invalid(`${field} must be a string`);
  const reason = printableViolation(value);
  if (reason !== undefined) invalid(`${field} ${reason}`);
  return value
    .split(',')
    .map((each) => each.trim())
    .filter((each) => each.length > 0);
}

/** The namespace and group of a request that names no service (ServiceListRequest), with Nacos defaults. */
export function requestGroup(body: NamingRequestBase): { namespace: string; group: string | undefined } {
  return {
    namespace: optionalName(body.namespace, 'namespace') ?? 'public',
    group: optionalName(body.groupName, 'groupName'),
  };
}
