import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IService } from 'kubernetes-models/v1/Service';
import type { KubeObject } from './kustomize';

/** Typed access to the objects of one rendered region (base or overlay). */
export class RenderedRegion {
  constructor(readonly objects: KubeObject[]) {}

  find<T>(kind: string, name: string): T {
    const found = this.objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!found) throw new Error(`${kind}/${name} not rendered`);
    return found as unknown as T;
  }

  maybe<T>(kind: string, name: string): T | undefined {
    return this.objects.find((o) => o.kind === kind && o.metadata.name === name) as T | undefined;
  }

  get statefulSet(): IStatefulSet {
    return this.find('StatefulSet', 'distro-sync');
  }

  get app(): IContainer {
    const container = this.statefulSet.spec!.template.spec!.containers.find((c) => c.name === 'distro-sync');
    if (!container) throw new Error('container distro-sync missing');
    return container;
  }

  get headless(): IService {
    return this.find('Service', this.statefulSet.spec!.serviceName!);
  }

  get clientService(): IService {
    return this.find('Service', 'distro-sync');
  }

  get networkPolicy(): INetworkPolicy {
    return this.find('NetworkPolicy', 'distro-sync');
  }

  get pdb(): IPodDisruptionBudget {
    return this.find('PodDisruptionBudget', 'distro-sync');
  }

  get drJob(): IJob | undefined {
    return this.maybe('Job', 'distro-sync-dr-tasks');
  }

  configMap(name: string): Record<string, string> {
    return this.find<IConfigMap>('ConfigMap', name).data ?? {};
  }

  /** Plain environment of a container: `env` values and every key of its envFrom ConfigMaps. */
  plainEnv(container: IContainer): Record<string, string> {
    const env: Record<string, string> = {};
    for (const source of container.envFrom ?? []) {
      if (source.configMapRef) Object.assign(env, this.configMap(source.configMapRef.name!));
    }
    for (const variable of container.env ?? []) if (variable.value !== undefined) env[variable.name] = variable.value;
    return env;
  }

  /** Secret-backed variables of a container: name → {secret, key, optional}. */
  secretEnv(container: IContainer): Record<string, { secret: string; key: string; optional: boolean }> {
    const out: Record<string, { secret: string; key: string; optional: boolean }> = {};
    for (const variable of container.env ?? []) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (ref) out[variable.name] = { secret: ref.name!, key: ref.key, optional: ref.optional === true };
    }
    return out;
  }

  /** Every variable name a container gets, from any source. */
  envNames(container: IContainer): string[] {
    return [...new Set([...Object.keys(this.plainEnv(container)), ...(container.env ?? []).map((v) => v.name)])];
  }

  /** The container port number behind a Service/probe port given by name or number. */
  containerPort(container: IContainer, port: string | number): number | undefined {
    if (typeof port === 'number') return port;
    return container.ports?.find((p) => p.name === port)?.containerPort;
  }

  get podLabels(): Record<string, string> {
    return this.statefulSet.spec!.template.metadata!.labels!;
  }

  /** Every container of every pod template rendered. */
  get allContainers(): Array<{ owner: string; container: IContainer }> {
    return this.objects.flatMap((o) => {
      const template = (
        o.spec as { template?: { spec?: { containers?: IContainer[]; initContainers?: IContainer[] } } }
      )?.template?.spec;
      return [...(template?.containers ?? []), ...(template?.initContainers ?? [])].map((container) => ({
        owner: `${o.kind}/${o.metadata.name}`,
        container,
      }));
    });
  }
}
