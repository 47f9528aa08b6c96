import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * A small kustomize that renders exactly the features deploy/k8s uses, so the manifests can be
 * rendered and checked where no `kubectl` is installed: `resources` (files and directories),
 * `components`, `namespace`, `patches` (strategic-merge files whose target is the patch's own
 * kind and name; maps merge, `null` deletes), `images`, and `configMapGenerator` (files and
 * literals, fixed names). Anything else in a kustomization is refused rather than ignored, so a
 * manifest change this renderer does not understand fails loudly instead of rendering wrongly.
 * Where `kubectl` exists, kustomize.int-spec.ts checks that both render the same objects.
 */

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonMap = { [key: string]: Json };

const SUPPORTED_FIELDS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'components',
  'namespace',
  'patches',
  'images',
  'configMapGenerator',
]);

/** Kinds that live outside namespaces among those a kustomization here may hold. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
]);

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  components?: string[];
  namespace?: string;
  patches?: Array<{ path?: string; patch?: string; [key: string]: unknown }>;
  images?: Array<{ name: string; newName?: string; newTag?: string; digest?: string; [key: string]: unknown }>;
  configMapGenerator?: ConfigMapGenerator[];
}

interface ConfigMapGenerator {
  name: string;
  files?: string[];
  literals?: string[];
  options?: { disableNameSuffixHash?: boolean; [key: string]: unknown };
  [key: string]: unknown;
}

export class KustomizeError extends Error {
  constructor(dir: string, message: string) {
    super(`${dir}: ${message}`);
    this.name = 'KustomizeError';
  }
}

/** Renders the kustomization in `dir` (a directory holding kustomization.yaml). */
export function kustomize(dir: string): KubeObject[] {
  return build(resolve(dir), 'Kustomization', []);
}

/** `kind/namespace/name`, the identity kustomize refuses to see twice. */
export function objectId(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function build(dir: string, expectedKind: 'Kustomization' | 'Component', input: KubeObject[]): KubeObject[] {
  const k = readKustomization(dir);
  const kind = k.kind ?? 'Kustomization';
  if (kind !== expectedKind) throw new KustomizeError(dir, `expected kind ${expectedKind}, found ${kind}`);
  let objects = [...input];
  for (const entry of k.resources ?? []) {
    const path = resolve(dir, entry);
    if (!existsSync(path)) throw new KustomizeError(dir, `resource ${entry} does not exist`);
    objects.push(...(statSync(path).isDirectory() ? build(path, 'Kustomization', []) : readObjects(path)));
  }
  for (const entry of k.components ?? []) objects = build(resolve(dir, entry), 'Component', objects);
  for (const generator of k.configMapGenerator ?? []) objects.push(generateConfigMap(dir, generator));
  for (const patch of k.patches ?? []) applyPatch(dir, objects, patch);
  if (k.namespace) for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  for (const image of k.images ?? []) setImages(dir, objects, image);
  assertUnique(dir, objects);
  return objects;
}

function readKustomization(dir: string): Kustomization {
  const file = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].map((f) => join(dir, f)).find(existsSync);
  if (!file) throw new KustomizeError(dir, 'no kustomization.yaml');
  const docs = readYaml(file);
  if (docs.length !== 1 || !isMap(docs[0])) throw new KustomizeError(dir, 'kustomization must be one YAML map');
  const unsupported = Object.keys(docs[0]).filter((key) => !SUPPORTED_FIELDS.has(key));
  if (unsupported.length > 0)
    throw new KustomizeError(dir, `unsupported kustomization fields: ${unsupported.join(', ')}`);
  return docs[0];
}

function readYaml(file: string): Json[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => {
      if (doc.errors.length > 0) throw new KustomizeError(file, doc.errors.map((e) => e.message).join('; '));
      return doc.toJS() as Json;
    })
    .filter((doc) => doc !== null && doc !== undefined);
}

function readObjects(file: string): KubeObject[] {
  return readYaml(file).map((doc) => {
    if (!isMap(doc) || typeof doc.kind !== 'string' || typeof doc.apiVersion !== 'string') {
      throw new KustomizeError(file, 'every document must be a Kubernetes object with apiVersion and kind');
    }
    const metadata = doc.metadata;
    if (!isMap(metadata) || typeof metadata.name !== 'string') throw new KustomizeError(file, 'metadata.name missing');
    return doc as unknown as KubeObject;
  });
}

function generateConfigMap(dir: string, generator: ConfigMapGenerator): KubeObject {
  const unknown = Object.keys(generator).filter((key) => !['name', 'files', 'literals', 'options'].includes(key));
  if (unknown.length > 0) throw new KustomizeError(dir, `unsupported configMapGenerator fields: ${unknown.join(', ')}`);
  // The content hash suffix and its name references are not implemented: generated names are fixed.
  if (generator.options?.disableNameSuffixHash !== true || Object.keys(generator.options).length !== 1) {
    throw new KustomizeError(dir, `configMapGenerator ${generator.name} needs options: {disableNameSuffixHash: true}`);
  }
  const data: Record<string, string> = {};
  for (const entry of generator.files ?? []) {
    const [key, path] = entry.includes('=') ? (entry.split('=', 2) as [string, string]) : [basename(entry), entry];
    data[key] = readFileSync(resolve(dir, path), 'utf8');
  }
  for (const literal of generator.literals ?? []) {
    const at = literal.indexOf('=');
    if (at <= 0) throw new KustomizeError(dir, `literal "${literal}" is not KEY=VALUE`);
    data[literal.slice(0, at)] = literal.slice(at + 1);
  }
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data };
}

function applyPatch(dir: string, objects: KubeObject[], entry: { path?: string; patch?: string }): void {
  const unknown = Object.keys(entry).filter((key) => key !== 'path' && key !== 'patch');
  if (unknown.length > 0) throw new KustomizeError(dir, `unsupported patch fields: ${unknown.join(', ')}`);
  const docs = entry.path
    ? readObjects(resolve(dir, entry.path))
    : parseAllDocuments(entry.patch ?? '').map((d) => d.toJS() as KubeObject);
  for (const patch of docs) {
    const targets = objects.filter(
      (o) =>
        o.kind === patch.kind &&
        o.apiVersion === patch.apiVersion &&
        o.metadata.name === patch.metadata.name &&
        (patch.metadata.namespace === undefined || o.metadata.namespace === patch.metadata.namespace),
    );
    if (targets.length !== 1) {
      throw new KustomizeError(dir, `patch ${patch.kind}/${patch.metadata.name} matches ${targets.length} objects`);
    }
    const target = targets[0];
    const merged = mergePatch(dir, target as unknown as JsonMap, patch as unknown as JsonMap, '');
    for (const key of Object.keys(target)) delete (target as Record<string, unknown>)[key];
    Object.assign(target, merged);
  }
}

/** Strategic merge for maps; lists would need the Kubernetes merge keys, so they are refused. */
function mergePatch(dir: string, target: JsonMap, patch: JsonMap, path: string): JsonMap {
  const out: JsonMap = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) throw new KustomizeError(dir, `patch directive ${path}/${key} is not supported`);
    if (value === null) delete out[key];
    else if (Array.isArray(value)) throw new KustomizeError(dir, `patch ${path}/${key}: lists cannot be patched here`);
    else if (isMap(value) && isMap(out[key])) out[key] = mergePatch(dir, out[key], value, `${path}/${key}`);
    else out[key] = value;
  }
  return out;
}

/** Where kustomize's image transformer looks: containers of pods, pod templates and job templates. */
function containersOf(o: KubeObject): Array<{ image?: string }> {
  const spec = o.spec as JsonMap | undefined;
  const podSpecs = [
    spec,
    (spec?.template as JsonMap | undefined)?.spec,
    (((spec?.jobTemplate as JsonMap | undefined)?.spec as JsonMap | undefined)?.template as JsonMap | undefined)?.spec,
  ].filter(isMap);
  return podSpecs.flatMap((podSpec) =>
    ['containers', 'initContainers'].flatMap((field) =>
      Array.isArray(podSpec[field]) ? (podSpec[field] as Array<{ image?: string }>) : [],
    ),
  );
}

/** Splits `registry/name:tag@digest` into the name kustomize matches on and the rest. */
export function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  const [withTag, digest] = image.split('@', 2) as [string, string | undefined];
  const slash = withTag.lastIndexOf('/');
  const colon = withTag.lastIndexOf(':');
  if (colon > slash) return { name: withTag.slice(0, colon), tag: withTag.slice(colon + 1), digest };
  return { name: withTag, digest };
}

function setImages(dir: string, objects: KubeObject[], rule: NonNullable<Kustomization['images']>[number]): void {
  const unknown = Object.keys(rule).filter((key) => !['name', 'newName', 'newTag', 'digest'].includes(key));
  if (unknown.length > 0) throw new KustomizeError(dir, `unsupported image fields: ${unknown.join(', ')}`);
  for (const container of objects.flatMap(containersOf)) {
    if (!container.image) continue;
    const current = splitImage(container.image);
    if (current.name !== rule.name) continue;
    const name = rule.newName ?? current.name;
    if (rule.digest) container.image = `${name}@${rule.digest}`;
    else if (rule.newTag) container.image = `${name}:${rule.newTag}`;
    else {
      const tag = current.tag ? `:${current.tag}` : '';
      container.image = `${name}${tag}${current.digest ? `@${current.digest}` : ''}`;
    }
  }
}

function assertUnique(dir: string, objects: KubeObject[]): void {
  const seen = new Set<string>();
  for (const o of objects) {
    const id = objectId(o);
    if (seen.has(id)) throw new KustomizeError(dir, `${id} is defined twice`);
    seen.add(id);
  }
}

function isMap(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
