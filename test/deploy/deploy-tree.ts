import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parse } from 'yaml';

export const REPO = resolve(__dirname, '..', '..');
export const K8S = join(REPO, 'deploy', 'k8s');

export interface KustomizationDir {
  /** Path relative to deploy/k8s, e.g. `overlays/region-a`. */
  name: string;
  dir: string;
  kind: 'Kustomization' | 'Component';
}

/** Every kustomization and component under deploy/k8s. */
export function kustomizationDirs(root = K8S): KustomizationDir[] {
  const found: KustomizationDir[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name === 'kustomization.yaml') {
        const doc = parse(readFileSync(join(dir, entry.name), 'utf8')) as { kind?: string };
        found.push({
          name: relative(root, dir),
          dir,
          kind: doc.kind === 'Component' ? 'Component' : 'Kustomization',
        });
      }
    }
  };
  walk(root);
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** `kubectl` when installed and able to run kustomize offline, else undefined. */
export function findKubectl(): string | undefined {
  try {
    execFileSync('kubectl', ['kustomize', '--help'], { stdio: 'ignore', timeout: 20000 });
    return 'kubectl';
  } catch {
    return undefined;
  }
}
