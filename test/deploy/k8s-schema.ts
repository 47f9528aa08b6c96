import type { Model } from '@kubernetes-models/base';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { KubeObject } from './kustomize';

/**
 * Offline validation against the Kubernetes OpenAPI schemas (kubernetes-models). Those schemas
 * accept fields they do not know, where the API server (strict field validation) would warn or
 * refuse; so the object is validated through proxies that record which fields the schema read,
 * and any field it never read is reported as unknown. Maps (labels, data, resource quantities)
 * are enumerated by the schema, which marks every key of theirs as known.
 */

interface ModelClass {
  prototype: Model<unknown>;
}

const MODELS: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

interface Tracker {
  read: Set<PropertyKey>;
  enumerated: boolean;
}

/** Every problem of `object`: schema violations and unknown fields, as readable strings. */
export function validateObject(object: KubeObject): string[] {
  const model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!model) return [`no schema known for ${object.apiVersion} ${object.kind} (add it to MODELS)`];
  const trackers = new WeakMap<object, Tracker>();
  const proxied = track(object, trackers);
  try {
    model.prototype.validate.call(proxied);
  } catch (err) {
    return [(err as Error).message];
  }
  return unknownFields(object, trackers, '');
}

function track<T>(value: T, trackers: WeakMap<object, Tracker>): T {
  if (typeof value !== 'object' || value === null) return value;
  const tracker: Tracker = { read: new Set(), enumerated: false };
  trackers.set(value, tracker);
  const children = new Map<PropertyKey, unknown>();
  return new Proxy(value, {
    get(target, key, receiver) {
      tracker.read.add(key);
      const child: unknown = Reflect.get(target, key, receiver);
      if (typeof child !== 'object' || child === null) return child;
      if (!children.has(key)) children.set(key, track(child, trackers));
      return children.get(key);
    },
    ownKeys(target) {
      tracker.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
}

function unknownFields(value: unknown, trackers: WeakMap<object, Tracker>, path: string): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const tracker = trackers.get(value);
  if (!tracker) return [];
  const problems: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const childPath = Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`;
    if (!Array.isArray(value) && !tracker.enumerated && !tracker.read.has(key)) {
      problems.push(`unknown field ${childPath.slice(1)}`);
    } else {
      problems.push(...unknownFields(child, trackers, childPath));
    }
  }
  return problems;
}
