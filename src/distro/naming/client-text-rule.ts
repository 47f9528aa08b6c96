import { metadataViolation, printableViolation } from '@/common/text-rule';
import type { ClientSyncData, PublicationData, TombstoneData } from '@/registry';

/** One part of a peer's client that breaks the text rule and was left out. */
export interface TextRuleRejection {
  clientId: string;
  /**
   * What was left out, names JSON-quoted so control characters stay escaped: `client "<id>"`, or
   * `publication "<ns>/<group>/<service> <ip>:<port>" of client "<id>"`, or `tombstone … of client …`.
   */
  part: string;
  /** The field and why, e.g. `metadata "k": value must not contain NUL characters`. */
  reason: string;
}

/**
 * Verdicts on metadata objects already checked. The codec hands one frozen object to every instance
 * with equal metadata, so a batch of thousands of instances checks each distinct map once.
 */
const metadataVerdicts = new WeakMap<object, string | undefined>();

function metadataReason(metadata: Readonly<Record<string, string>> | undefined): string | undefined {
  if (metadata === undefined) return undefined;
  if (metadataVerdicts.has(metadata)) return metadataVerdicts.get(metadata);
  const broken = metadataViolation(metadata);
  const reason = broken && `metadata ${JSON.stringify(broken.key.slice(0, 40))}: ${broken.reason}`;
  metadataVerdicts.set(metadata, reason);
  return reason;
}

/** `name: reason` when `value` (absent or empty: fine) is not printable text. */
function unprintable(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const reason = printableViolation(value);
  return reason === undefined ? undefined : `${name}: ${reason}`;
}

// Field by field rather than over a list: this runs for every publication of every sync batch.
function publicationReason(p: PublicationData): string | undefined {
  const i = p.instance;
  return (
    unprintable('namespace', p.namespace) ??
    unprintable('group', p.group) ??
    unprintable('service', p.service) ??
    unprintable('ip', i.ip) ??
    unprintable('clusterName', i.clusterName) ??
    unprintable('instanceId', i.instanceId) ??
    unprintable('writer', p.writer) ??
    metadataReason(i.metadata)
  );
}

function tombstoneReason(t: TombstoneData): string | undefined {
  return (
    unprintable('namespace', t.namespace) ??
    unprintable('group', t.group) ??
    unprintable('service', t.service) ??
    unprintable('cluster', t.cluster) ??
    unprintable('ip', t.ip) ??
    unprintable('writer', t.writer)
  );
}

/**
 * The text rule (src/common/text-rule.ts) on clients a peer sent: names and ids printable, metadata
 * any Unicode but NUL. A client whose own ids break it is left out whole; otherwise only the
 * publications and tombstones that break it are, so one bad record never stops the rest of the
 * batch. Merging is per address, so a left-out publication leaves what this node holds there as it
 * was. Returns `items` itself when everything keeps the rule (the usual case: edges apply it too).
 */
export function keepTextRule(
  items: readonly ClientSyncData[],
  onRejected: (rejection: TextRuleRejection) => void,
): readonly ClientSyncData[] {
  let kept: ClientSyncData[] | undefined;
  for (let at = 0; at < items.length; at++) {
    const data = items[at];
    const checked = checkClient(data, onRejected);
    if (checked === data && kept === undefined) continue;
    kept ??= items.slice(0, at);
    if (checked !== undefined) kept.push(checked);
  }
  return kept ?? items;
}

/** `data` itself when it keeps the rule, a copy without the parts that break it, or undefined to leave it out. */
function checkClient(
  data: ClientSyncData,
  onRejected: (rejection: TextRuleRejection) => void,
): ClientSyncData | undefined {
  const own =
    unprintable('clientId', data.clientId) ??
    unprintable('owner', data.owner) ??
    unprintable('floorWriter', data.floorWriter) ??
    unprintable('metaWriter', data.metaWriter);
  if (own !== undefined) {
    onRejected({ clientId: data.clientId, part: `client ${JSON.stringify(data.clientId)}`, reason: own });
    return undefined;
  }
  let publications: PublicationData[] | undefined;
  for (let at = 0; at < data.publications.length; at++) {
    const p = data.publications[at];
    const reason = publicationReason(p);
    if (reason === undefined) {
      publications?.push(p);
      continue;
    }
    publications ??= data.publications.slice(0, at);
    const part = `publication ${JSON.stringify(`${p.namespace}/${p.group}/${p.service} ${p.instance.ip}:${p.instance.port}`)} of client ${JSON.stringify(data.clientId)}`;
    onRejected({ clientId: data.clientId, part, reason });
  }
  let tombstones: TombstoneData[] | undefined;
  const held = data.tombstones ?? [];
  for (let at = 0; at < held.length; at++) {
    const t = held[at];
    const reason = tombstoneReason(t);
    if (reason === undefined) {
      tombstones?.push(t);
      continue;
    }
    tombstones ??= held.slice(0, at);
    const part = `tombstone ${JSON.stringify(`${t.namespace}/${t.group}/${t.service} ${t.ip}:${t.port}`)} of client ${JSON.stringify(data.clientId)}`;
    onRejected({ clientId: data.clientId, part, reason });
  }
  if (publications === undefined && tombstones === undefined) return data;
  return { ...data, publications: publications ?? data.publications, tombstones: tombstones ?? data.tombstones };
}
