import type { ClientKind, ClientSyncData, PublicationData } from '@/registry';
import type { WireClientData, WirePublication } from '../grpc/distro-proto';

/** A peer payload that is not valid client data; answered with INVALID_ARGUMENT, nothing applied. */
export class InvalidPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPayloadError';
  }
}

const KINDS: ReadonlySet<string> = new Set<ClientKind>(['ipport', 'connection', 'sync']);
const LIMITS = { id: 512, name: 512, ip: 128, metaEntries: 256, metaValue: 8192, publications: 100_000 };

function text(value: unknown, field: string, max: number, allowEmpty = false): string {
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0) || value.length > max) {
    throw new InvalidPayloadError(`${field} must be a string of 1-${max} characters`);
  }
  return value;
}

function num(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidPayloadError(`${field} must be a number ${min}-${max}`);
  }
  return value;
}

/** Registry client data → wire message. */
export function toWire(data: ClientSyncData): WireClientData {
  return {
    clientId: data.clientId,
    kind: data.kind,
    revision: data.revision,
    owner: data.owner ?? '',
    expiresAt: data.expiresAt ?? 0,
    publications: data.publications.map((p) => ({
      namespace: p.namespace,
      group: p.group,
      service: p.service,
      instance: {
        ip: p.instance.ip,
        port: p.instance.port,
        weight: p.instance.weight ?? 1,
        healthy: p.instance.healthy ?? true,
        enabled: p.instance.enabled ?? true,
        ephemeral: p.instance.ephemeral ?? true,
        clusterName: p.instance.clusterName ?? '',
        metadata: { ...(p.instance.metadata ?? {}) },
        instanceId: p.instance.instanceId ?? '',
      },
    })),
  };
}

/** Wire message → registry client data, validating every field; throws InvalidPayloadError. */
export function fromWire(wire: WireClientData): ClientSyncData {
  if (typeof wire !== 'object' || wire === null) throw new InvalidPayloadError('client data missing');
  const clientId = text(wire.clientId, 'clientId', LIMITS.id);
  if (!KINDS.has(wire.kind)) throw new InvalidPayloadError(`client ${clientId}: unknown kind "${String(wire.kind)}"`);
  const revision = num(wire.revision, 'revision', 0, Number.MAX_SAFE_INTEGER);
  const owner = text(wire.owner, 'owner', LIMITS.id, true);
  const expiresAt = num(wire.expiresAt, 'expiresAt', 0, Number.MAX_SAFE_INTEGER);
  if (!Array.isArray(wire.publications) || wire.publications.length > LIMITS.publications) {
    throw new InvalidPayloadError(`client ${clientId}: publications must be a list of at most ${LIMITS.publications}`);
  }
  return {
    clientId,
    kind: wire.kind as ClientKind,
    revision,
    owner: owner || undefined,
    expiresAt: expiresAt || undefined,
    publications: wire.publications.map((p) => publication(p, clientId)),
  };
}

function publication(p: WirePublication, clientId: string): PublicationData {
  const at = `client ${clientId}`;
  const i = p?.instance;
  if (!i) throw new InvalidPayloadError(`${at}: publication without instance`);
  const metadata = i.metadata ?? {};
  const entries = Object.entries(metadata);
  if (entries.length > LIMITS.metaEntries) throw new InvalidPayloadError(`${at}: too many metadata entries`);
  for (const [k, v] of entries) {
    text(k, 'metadata key', LIMITS.name);
    text(v, 'metadata value', LIMITS.metaValue, true);
  }
  return {
    namespace: text(p.namespace, `${at} namespace`, LIMITS.name),
    group: text(p.group, `${at} group`, LIMITS.name),
    service: text(p.service, `${at} service`, LIMITS.name),
    instance: {
      ip: text(i.ip, `${at} ip`, LIMITS.ip),
      port: num(i.port, `${at} port`, 0, 65535),
      weight: num(i.weight, `${at} weight`, 0, 1_000_000),
      healthy: Boolean(i.healthy),
      enabled: Boolean(i.enabled),
      ephemeral: Boolean(i.ephemeral),
      clusterName: text(i.clusterName, `${at} clusterName`, LIMITS.name, true) || undefined,
      metadata,
      instanceId: text(i.instanceId, `${at} instanceId`, LIMITS.id, true) || undefined,
    },
  };
}
