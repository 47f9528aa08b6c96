import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { findKubectl, kustomizationDirs } from './deploy-tree';
import { kustomize, objectId, splitImage } from './kustomize';
import type { KubeObject } from './kustomize';

function byId(objects: KubeObject[]): Record<string, KubeObject> {
  return Object.fromEntries(objects.map((o) => [objectId(o), o]));
}

describe(kustomize.name, () => {
  let root: string;
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const deployment = (name: string, image: string): string =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: ${image}\n`;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kustomize-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  describe('rendering deploy/k8s', () => {
    const kubectl = findKubectl();
    const kustomizations = kustomizationDirs().filter((k) => k.kind === 'Kustomization');

    it('should find the base and both region overlays', () => {
      expect(kustomizations.map((k) => k.name)).toEqual(
        expect.arrayContaining(['base', 'overlays/region-a', 'overlays/region-b']),
      );
    });

    // The renderer is only trusted because it agrees with the real kustomize wherever one exists.
    (kubectl ? it.each(kustomizations.map((k) => [k.name, k.dir])) : it.skip.each([['(no kubectl)', '']]))(
      'should render %s exactly as kubectl kustomize does',
      (_name, dir) => {
        const out = execFileSync(kubectl!, ['kustomize', dir], { encoding: 'utf8', timeout: 60000 });
        const theirs = parseAllDocuments(out).map((d) => d.toJS() as KubeObject);
        expect(byId(kustomize(dir))).toEqual(byId(theirs));
      },
    );
  });

  describe('features', () => {
    it('should set the namespace on namespaced objects only', () => {
      write('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n');
      write('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  A: "1"\n');
      write('kustomization.yaml', 'namespace: team\nresources:\n  - ns.yaml\n  - cm.yaml\n');
      const out = byId(kustomize(root));
      expect(Object.keys(out).sort()).toEqual(['ConfigMap/team/cm', 'Namespace//team']);
    });

    it('should merge a patch into maps and delete keys patched to null', () => {
      write('base/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  A: "1"\n  B: "2"\n');
      write('base/kustomization.yaml', 'resources:\n  - cm.yaml\n');
      write('p.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  B: null\n  C: "3"\n');
      write('kustomization.yaml', 'resources:\n  - base\npatches:\n  - path: p.yaml\n');
      expect(kustomize(root)[0].data).toEqual({ A: '1', C: '3' });
    });

    it('should let a component patch the objects of the kustomization that includes it', () => {
      write('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  A: "1"\n');
      write(
        'comp/kustomization.yaml',
        'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - extra.yaml\npatches:\n  - path: p.yaml\n',
      );
      write('comp/extra.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n');
      write('comp/p.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  A: patched\n');
      write('kustomization.yaml', 'resources:\n  - cm.yaml\ncomponents:\n  - comp\n');
      const out = byId(kustomize(root));
      expect(out['ConfigMap//cm'].data).toEqual({ A: 'patched' });
      expect(out['ConfigMap//extra']).toBeDefined();
    });

    it('should generate a config map from files and literals under a fixed name', () => {
      write('script.js', 'console.log(1);\n');
      write(
        'kustomization.yaml',
        'configMapGenerator:\n  - name: gen\n    files:\n      - script.js\n      - other.js=script.js\n    literals:\n      - K=v=w\n    options:\n      disableNameSuffixHash: true\n',
      );
      expect(kustomize(root)).toEqual([
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'gen' },
          data: { 'script.js': 'console.log(1);\n', 'other.js': 'console.log(1);\n', K: 'v=w' },
        },
      ]);
    });

    it('should replace image names, tags and digests by the image name', () => {
      write('d.yaml', [deployment('a', 'app'), deployment('b', 'app:1.0'), deployment('c', 'other:2')].join('---\n'));
      write(
        'kustomization.yaml',
        'resources:\n  - d.yaml\nimages:\n  - name: app\n    newName: reg.example:5000/team/app\n    newTag: "1.2"\n',
      );
      const images = kustomize(root).map(
        (o) =>
          (o.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]
            .image,
      );
      expect(images).toEqual(['reg.example:5000/team/app:1.2', 'reg.example:5000/team/app:1.2', 'other:2']);
    });

    it('should split image references the way kustomize matches them', () => {
      expect(splitImage('reg.example:5000/app:1.0@sha256:ab')).toEqual({
        name: 'reg.example:5000/app',
        tag: '1.0',
        digest: 'sha256:ab',
      });
      expect(splitImage('reg.example:5000/app')).toEqual({ name: 'reg.example:5000/app', digest: undefined });
    });

    it.each([
      ['an unsupported field', 'commonLabels:\n  a: b\n', /unsupported kustomization fields: commonLabels/],
      [
        'a generated name with a hash suffix',
        'configMapGenerator:\n  - name: gen\n    literals:\n      - A=1\n',
        /disableNameSuffixHash/,
      ],
      ['a missing resource', 'resources:\n  - nope.yaml\n', /does not exist/],
      ['a duplicate object', 'resources:\n  - cm.yaml\n  - again.yaml\n', /defined twice/],
      ['a patch without a target', 'resources:\n  - cm.yaml\npatches:\n  - path: other.yaml\n', /matches 0 objects/],
      ['a patch of a list', 'resources:\n  - cm.yaml\npatches:\n  - path: list.yaml\n', /lists cannot be patched/],
    ])('should refuse %s', (_what, kustomization, message) => {
      const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n';
      write('cm.yaml', cm);
      write('again.yaml', cm);
      write('other.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n');
      write('list.yaml', `${cm}binaryData:\n  x: []\nitems:\n  - a\n`);
      write('kustomization.yaml', kustomization);
      expect(() => kustomize(root)).toThrow(message);
    });
  });
});
