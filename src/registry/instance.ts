import type { ClusterIndex } from './catalog';
import type { Client } from './client';
import { defaultInstanceId, groupedName } from './model';
import type { Instance, InstanceData, InstanceInput, InstancePatch, Metadata } from './model';

/** Shared by every instance without metadata, which is most of them. */
export const EMPTY_METADATA: Metadata = Object.freeze({});

const HEALTHY = 1;
const ENABLED = 2;
const EPHEMERAL = 4;

/** Packs the three booleans into one small integer (one field instead of three per instance). */
export function instanceFlags(healthy: boolean, enabled: boolean, ephemeral: boolean): number {
  return (healthy ? HEALTHY : 0) | (enabled ? ENABLED : 0) | (ephemeral ? EPHEMERAL : 0);
}

/** Flags of an input, with Nacos defaults (all true) for omitted booleans. */
export function inputFlags(input: InstanceInput): number {
  return instanceFlags(input.healthy !== false, input.enabled !== false, input.ephemeral !== false);
}

/** True when both hold the same keys and values. */
export function sameMetadata(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(b, key) || a[key] !== b[key]) return false;
  }
  return true;
}

/**
 * Equal metadata objects are shared: many instances carry the same few keys and values
 * (`preserved.register.source`, a version, a zone), and each copy costs about 80 bytes. The pool
 * is bounded; when full it is cleared, which only stops sharing for objects already handed out.
 */
const METADATA_POOL_LIMIT = 4096;
const metadataPool = new Map<string, Metadata>();
/**
 * The object the pool handed out last. Consecutive writes (the instances of one batch, a sync
 * page, a Distro snapshot) mostly carry equal metadata, and comparing with it allocates nothing.
 */
let lastPooled: Metadata | undefined;

function pooled(metadata: Record<string, string>): Metadata {
  const keys = Object.keys(metadata).sort();
  const signature = JSON.stringify(keys.map((key) => [key, metadata[key]]));
  let found = metadataPool.get(signature);
  if (found === undefined) {
    if (metadataPool.size >= METADATA_POOL_LIMIT) metadataPool.clear();
    found = Object.freeze(metadata);
    metadataPool.set(signature, found);
  }
  lastPooled = found;
  return found;
}

/**
 * Frozen inputs already normalized → their pooled form. A Distro reader hands one frozen object to
 * every instance with equal metadata; recognising it skips the copy and the pool signature.
 */
const normalizedFrozen = new WeakMap<object, Metadata>();
/** The last frozen input recognised and its pooled form (held until the next one, so at most one object). */
let lastFrozenInput: object | undefined;
let lastFrozenResult: Metadata | undefined;

/**
 * A frozen string-valued copy of `input`: `previous` when equal (so an unchanged re-registration
 * allocates nothing), the shared empty object when there is nothing, else a pooled object.
 */
export function normalizeMetadata(
  input: Readonly<Record<string, unknown>> | null | undefined,
  previous?: Metadata,
): Metadata {
  if (input === null || input === undefined || typeof input !== 'object') return EMPTY_METADATA;
  // The object a Distro reader handed to the instance before (usually the same one) needs no lookup.
  if (input === lastFrozenInput && lastFrozenResult !== undefined) {
    return previous !== undefined && sameMetadata(previous, lastFrozenResult) ? previous : lastFrozenResult;
  }
  const known = normalizedFrozen.get(input);
  if (known !== undefined) {
    lastFrozenInput = input;
    lastFrozenResult = known;
    return previous !== undefined && sameMetadata(previous, known) ? previous : known;
  }
  // Equal to a string-valued object means string-valued and equal: no copy needed (a batch's
  // instances mostly carry the metadata of the one before).
  if (previous !== undefined && sameMetadata(previous, input)) return previous;
  if (lastPooled !== undefined && sameMetadata(lastPooled, input)) return lastPooled;
  const entries = Object.entries(input);
  if (entries.length === 0) return EMPTY_METADATA;
  const allStrings = entries.every(([, value]) => typeof value === 'string');
  // fromEntries defines own properties, so a key like `__proto__` survives as data.
  const copy = Object.fromEntries(allStrings ? entries : entries.map(([key, value]) => [key, String(value)])) as Record<
    string,
    string
  >;
  if (previous !== undefined && sameMetadata(previous, copy)) return previous;
  const shared = pooled(copy);
  if (Object.isFrozen(input)) normalizedFrozen.set(input, shared);
  return shared;
}

/** A weight as Nacos accepts it: a finite number, default 1. */
export function normalizeWeight(weight: number | undefined): number {
  return typeof weight === 'number' && Number.isFinite(weight) ? weight : 1;
}

/**
 * One publication: an instance as one client published it. Never mutated except for `beatAt`
 * and its version stamp; a change creates a new record, so records handed out stay valid snapshots.
 * Fields are kept few and small because there is one of these per registered instance:
 * booleans are packed into `flags`, cluster/service/group come through `cluster`, and the
 * instance id is computed on demand. A record knows the client that publishes it, so a client's
 * publication is found through the service's index (one lookup by address) instead of a second
 * index per client.
 */
export class InstanceRecord implements Instance {
  /** Position in the owner's publication list while that list is an array (O(1) removal). */
  slot = 0;

  constructor(
    readonly owner: Client,
    readonly ip: string,
    readonly port: number,
    readonly weight: number,
    readonly flags: number,
    readonly cluster: ClusterIndex,
    readonly metadata: Metadata,
    /** Last heartbeat (or registration), relative to the registry's time base. */
    public beatAt: number,
    /** Set only when a writer gave an id other than the Nacos default. */
    readonly customId: string | undefined,
    /** Version of the write that left the publication so (version.ts); set when it is stored. */
    public version = 0,
    /** Node that stamped `version`. */
    public writer = '',
  ) {}

  get healthy(): boolean {
    return (this.flags & HEALTHY) !== 0;
  }

  get enabled(): boolean {
    return (this.flags & ENABLED) !== 0;
  }

  get ephemeral(): boolean {
    return (this.flags & EPHEMERAL) !== 0;
  }

  get clusterName(): string {
    return this.cluster.name;
  }

  get serviceName(): string {
    const service = this.cluster.service;
    return groupedName(service.group, service.name);
  }

  get instanceId(): string {
    return this.customId ?? defaultInstanceId(this.ip, this.port, this.cluster.name, this.serviceName);
  }

  /** The same instance with `patch` applied, or this record when the patch changes nothing. */
  patched(patch: InstancePatch): InstanceRecord {
    const weight = patch.weight === undefined ? this.weight : normalizeWeight(patch.weight);
    const flags = instanceFlags(patch.healthy ?? this.healthy, patch.enabled ?? this.enabled, this.ephemeral);
    const metadata = patch.metadata === undefined ? this.metadata : normalizeMetadata(patch.metadata, this.metadata);
    if (weight === this.weight && flags === this.flags && metadata === this.metadata) return this;
    return new InstanceRecord(
      this.owner,
      this.ip,
      this.port,
      weight,
      flags,
      this.cluster,
      metadata,
      this.beatAt,
      this.customId,
      this.version,
      this.writer,
    );
  }

  toJSON(): InstanceData {
    return {
      ip: this.ip,
      port: this.port,
      weight: this.weight,
      healthy: this.healthy,
      enabled: this.enabled,
      ephemeral: this.ephemeral,
      clusterName: this.cluster.name,
      metadata: this.metadata,
      instanceId: this.instanceId,
    };
  }

  /** Replication form: like toJSON, but the id only when it is not the derivable default. */
  toInput(): InstanceInput {
    const input: InstanceInput = {
      ip: this.ip,
      port: this.port,
      weight: this.weight,
      healthy: this.healthy,
      enabled: this.enabled,
      ephemeral: this.ephemeral,
      clusterName: this.cluster.name,
      metadata: this.metadata,
    };
    if (this.customId !== undefined) input.instanceId = this.customId;
    return input;
  }
}

/**
 * Returns `value` as one flat string. Strings built by `+` are kept by V8 as trees of pieces (about
 * 70 bytes more for `ip:port#true`, three pieces deep). Node 20's V8 dropped the tree at the next GC
 * once a read had flattened it; Node 24's keeps it, so reading a character no longer helps
 * (measured: 466 → 647 B per instance). `normalize()` returns the flat string itself, and a string
 * already in NFC (every ASCII one) comes back equal; any other is returned as it was, since the
 * registry stores what it is given, not a normalised form. V8 joins strings shorter than 13
 * characters into one flat string at once, so those (most IPv4 addresses) skip the call, which
 * matters on Distro's receive path (one ip per replicated instance). Used on strings the registry keeps.
 */
export function compact(value: string): string {
  if (value.length < 13) return value;
  const flat = value.normalize();
  return flat === value ? flat : value;
}
