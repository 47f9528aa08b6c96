import * as grpc from '@grpc/grpc-js';
import { metadataViolation, printableViolation } from '@/common/text-rule';
import { DEFAULT_CLUSTER, DEFAULT_GROUP, DEFAULT_NAMESPACE, wildcard } from '@/registry';
import type { InstanceInput, PublicationData } from '@/registry';
import type { RegistryPublication, RegistrySelector } from './registry-api.types';

/** A gRPC status error with a message naming the field; thrown by validation, mapped once per call. */
export class RegistryApiError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryApiError';
  }
}

export function invalidArgument(field: string, problem: string): never {
  throw new RegistryApiError(grpc.status.INVALID_ARGUMENT, `${field}: ${problem}`);
}

const TASK_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const NAME = /^[^\s@#]{1,512}$/;
const PATTERN = /^[^\s@#]{1,512}$/;

export function taskIdOf(value: unknown): string {
  if (typeof value !== 'string' || !TASK_ID.test(value))
    invalidArgument('task_id', 'must be 1-128 of A-Z a-z 0-9 . _ : -');
  return value;
}

export function ttlOf(value: unknown, defaultMs: number, maxMs: number): number {
  const ttl = typeof value === 'number' ? value : 0;
  if (ttl === 0) return defaultMs;
  if (!Number.isInteger(ttl) || ttl < 1000 || ttl > maxMs)
    invalidArgument('ttl_ms', `must be 1000-${maxMs} (0 = default)`);
  return ttl;
}

function nameOf(value: unknown, field: string, fallback?: string): string {
  if ((value === '' || value === undefined || value === null) && fallback !== undefined) return fallback;
  if (typeof value !== 'string' || !NAME.test(value))
    invalidArgument(field, 'must be 1-512 characters without blanks, @ or #');
  printable(value, field);
  return value;
}

/** The text rule for names and ids (src/common/text-rule.ts). */
function printable(value: string, field: string): void {
  const reason = printableViolation(value);
  if (reason !== undefined) invalidArgument(field, reason);
}

/** Validates one publication; `addressOnly` skips the fields a withdrawal does not need. */
export function publicationOf(raw: RegistryPublication | null | undefined, field: string): PublicationData {
  if (raw === null || raw === undefined) invalidArgument(field, 'is required');
  const namespace = nameOf(raw.namespace, `${field}.namespace`, DEFAULT_NAMESPACE);
  const group = nameOf(raw.group, `${field}.group`, DEFAULT_GROUP);
  const service = nameOf(raw.service, `${field}.service`);
  const instance = raw.instance;
  if (instance === null || instance === undefined) invalidArgument(`${field}.instance`, 'is required');
  if (
    typeof instance.ip !== 'string' ||
    instance.ip.length === 0 ||
    instance.ip.length > 255 ||
    /\s/.test(instance.ip)
  ) {
    invalidArgument(`${field}.instance.ip`, 'must be a non-empty address');
  }
  printable(instance.ip, `${field}.instance.ip`);
  if (!Number.isInteger(instance.port) || instance.port < 1 || instance.port > 65535) {
    invalidArgument(`${field}.instance.port`, 'must be 1-65535');
  }
  if (!Number.isFinite(instance.weight) || instance.weight < 0 || instance.weight > 10000) {
    invalidArgument(`${field}.instance.weight`, 'must be 0-10000');
  }
  const metadata = instance.metadata ?? {};
  if (Object.keys(metadata).length > 256) invalidArgument(`${field}.instance.metadata`, 'has more than 256 keys');
  const broken = metadataViolation(metadata);
  if (broken !== undefined) {
    invalidArgument(`${field}.instance.metadata[${JSON.stringify(broken.key.slice(0, 40))}]`, broken.reason);
  }
  if (instance.instance_id) printable(instance.instance_id, `${field}.instance.instance_id`);
  const input: InstanceInput = {
    ip: instance.ip,
    port: instance.port,
    weight: instance.weight,
    healthy: instance.healthy,
    enabled: instance.enabled,
    ephemeral: instance.persistent !== true,
    clusterName: nameOf(instance.cluster_name, `${field}.instance.cluster_name`, DEFAULT_CLUSTER),
    metadata,
    ...(instance.instance_id ? { instanceId: instance.instance_id } : {}),
  };
  return { namespace, group, service, instance: input };
}

export function publicationsOf(raw: unknown, limit: number): PublicationData[] {
  const list = Array.isArray(raw) ? (raw as RegistryPublication[]) : [];
  if (list.length > limit) {
    throw new RegistryApiError(
      grpc.status.RESOURCE_EXHAUSTED,
      `publications: more than ${limit} (REGISTRY_API_MAX_PUBLICATIONS)`,
    );
  }
  return list.map((each, i) => publicationOf(each, `publications[${i}]`));
}

export interface SelectorMatcher {
  namespace: string;
  group: string;
  service: string;
  matches(namespace: string, group: string, service: string): boolean;
}

export function selectorOf(raw: RegistrySelector | null | undefined): SelectorMatcher {
  const namespace = raw?.namespace || DEFAULT_NAMESPACE;
  const group = raw?.group_pattern || '*';
  const service = raw?.service_pattern || '*';
  for (const [field, value] of [
    ['selector.namespace', namespace],
    ['selector.group_pattern', group],
    ['selector.service_pattern', service],
  ] as const) {
    if (!PATTERN.test(value)) invalidArgument(field, 'must be 1-512 characters without blanks, @ or #');
    printable(value, field);
  }
  const ns = wildcard(namespace);
  const gp = wildcard(group);
  const sp = wildcard(service);
  return { namespace, group, service, matches: (n, g, s) => ns(n) && gp(g) && sp(s) };
}
