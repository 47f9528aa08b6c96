import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { AppConfig, ENV_VARIABLES } from '../../src/config/app-config';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';
import { kustomizationDirs } from './deploy-tree';
import { validateObject } from './k8s-schema';
import { kustomize, splitImage } from './kustomize';
import { RenderedRegion } from './rendered-region';

const REQUIRED_SECRETS = ['DATABASE_URL', 'DISTRO_TOKEN', 'ADMIN_TOKEN', 'SECRET_KEY'];
const SENSITIVE = ENV_VARIABLES.filter((v) => v.sensitive).map((v) => v.name);
/** Stand-ins for the Secret's values, to check that the pods' whole environment parses. */
const SECRET_VALUES: Record<string, string> = {
  DATABASE_URL: 'postgres://distro:pw@postgres:5432/distro',
  DISTRO_TOKEN: 'distro-token-0123456789',
  ADMIN_TOKEN: 'admin-token-0123456789',
  SECRET_KEY: 'secret-key-0123456789abcdef0123456789abcdef',
};

const kustomizations = kustomizationDirs().filter((k) => k.kind === 'Kustomization');
const regions = kustomizations.map((k) => ({ name: k.name, region: new RenderedRegion(kustomize(k.dir)) }));
const overlays = regions.filter((r) => r.name.startsWith('overlays/'));

describe('deploy/k8s manifests', () => {
  describe.each(regions)('$name', ({ region }) => {
    const sts = region.statefulSet;
    const pod = sts.spec!.template.spec!;
    const app = region.app;

    it('should hold only objects valid against the Kubernetes schemas, without unknown fields', () => {
      const problems = region.objects.flatMap((o) =>
        validateObject(o).map((p) => `${o.kind}/${o.metadata.name}: ${p}`),
      );
      expect(problems).toEqual([]);
    });

    it('should run three peers started in parallel behind a headless Service that publishes not-ready pods', () => {
      expect(sts.spec!.replicas).toBe(3);
      expect(sts.spec!.podManagementPolicy).toBe('Parallel');
      expect(region.headless.spec!.clusterIP).toBe('None');
      expect(region.headless.spec!.publishNotReadyAddresses).toBe(true);
      expect(sts.spec!.selector.matchLabels).toEqual(expect.objectContaining(region.headless.spec!.selector));
      expect(region.podLabels).toEqual(expect.objectContaining(sts.spec!.selector.matchLabels));
      expect(region.podLabels).toEqual(expect.objectContaining(region.clientService.spec!.selector));
    });

    it("should use the app's default ports in the pods, the ConfigMap and the Services", () => {
      const defaults = AppConfig.fromEnv({});
      const env = region.plainEnv(app);
      const ports = { http: defaults.http.port, grpc: defaults.nacosGrpc.port, distro: defaults.distro.port };
      expect(ports).toEqual({ http: 8848, grpc: 9848, distro: 9849 });
      for (const [name, port] of Object.entries(ports)) expect(region.containerPort(app, name)).toBe(port);
      expect([env.HTTP_PORT, env.NACOS_GRPC_PORT, env.DISTRO_PORT].map(Number)).toEqual([8848, 9848, 9849]);
      const servicePorts = (svc: typeof region.clientService): number[] =>
        svc.spec!.ports!.map((p) => {
          expect(region.containerPort(app, p.targetPort!)).toBe(p.port);
          return p.port;
        });
      expect(servicePorts(region.clientService).sort()).toEqual([8848, 9848]);
      expect(servicePorts(region.headless)).toEqual([9849]);
    });

    it('should give the app only variables it reads, whose values it accepts', () => {
      const unknown = region.envNames(app).filter((name) => !ENV_VARIABLES.some((v) => v.name === name));
      expect(unknown).toEqual([]);
      const env = { ...region.plainEnv(app), ...SECRET_VALUES };
      expect(() => AppConfig.fromEnv(env)).not.toThrow();
      expect(AppConfig.fromEnv(env).log.format).toBe('json');
    });

    it('should take every secret the app needs from the Secret, and no secret from plain values', () => {
      const secrets = region.secretEnv(app);
      for (const name of REQUIRED_SECRETS) {
        expect(secrets[name]).toEqual({ secret: 'distro-sync', key: name, optional: false });
      }
      for (const name of SENSITIVE) expect(secrets[name]).toBeDefined();
      expect(Object.keys(region.plainEnv(app)).filter((name) => SENSITIVE.includes(name))).toEqual([]);
    });

    it('should point the discovery name at the headless Service of its own namespace', () => {
      const dns = region.plainEnv(app).DISTRO_MEMBERS_DNS;
      const namespace = sts.metadata!.namespace;
      const service = region.headless.metadata!.name!;
      expect(dns).toBe(namespace ? `${service}.${namespace}.svc.cluster.local` : service);
    });

    it('should probe the health routes on the HTTP port, with a start-up budget longer than the database wait', () => {
      const config = AppConfig.fromEnv({ ...region.plainEnv(app), ...SECRET_VALUES });
      expect(app.livenessProbe?.httpGet?.path).toBe('/health/live');
      expect(app.readinessProbe?.httpGet?.path).toBe('/health/ready');
      expect(app.startupProbe?.httpGet?.path).toBe('/health/live');
      for (const probe of [app.livenessProbe, app.readinessProbe, app.startupProbe]) {
        expect(region.containerPort(app, probe!.httpGet!.port)).toBe(config.http.port);
      }
      const startupBudget = app.startupProbe!.periodSeconds! * app.startupProbe!.failureThreshold!;
      expect(startupBudget * 1000).toBeGreaterThan(config.database.startupTimeoutMs);
    });

    it("should give the pod a grace period a little above the app's shutdown timeout", () => {
      const { shutdownTimeoutMs } = AppConfig.fromEnv({ ...region.plainEnv(app), ...SECRET_VALUES }).node;
      const grace = pod.terminationGracePeriodSeconds! * 1000;
      expect(grace).toBeGreaterThan(shutdownTimeoutMs);
      expect(grace).toBeLessThanOrEqual(shutdownTimeoutMs + 30000);
    });

    it('should pin every image by tag or digest, never latest', () => {
      for (const { owner, container } of region.allContainers) {
        const image = splitImage(container.image!);
        expect({ owner, pinned: Boolean(image.digest) || (image.tag !== undefined && image.tag !== 'latest') }).toEqual(
          { owner, pinned: true },
        );
      }
    });

    it('should set requests and a memory limit on every container', () => {
      for (const { owner, container } of region.allContainers) {
        const { requests, limits } = container.resources ?? {};
        expect({ owner, cpu: requests?.cpu, memory: requests?.memory, limit: limits?.memory }).toEqual({
          owner,
          cpu: expect.anything(),
          memory: expect.anything(),
          limit: expect.anything(),
        });
      }
    });

    it('should run every container as non-root on a read-only root, without privileges or capabilities', () => {
      for (const { owner, container } of region.allContainers) {
        const sc = container.securityContext ?? {};
        expect({ owner, ...sc, capabilities: sc.capabilities?.drop }).toEqual(
          expect.objectContaining({
            owner,
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: ['ALL'],
          }),
        );
      }
      expect(pod.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, runAsUser: 1000 }));
      expect(pod.automountServiceAccountToken).toBe(false);
      const tmp = app.volumeMounts?.find((m) => m.mountPath === '/tmp');
      expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
    });

    it('should open the Distro port only to pods of the same StatefulSet', () => {
      const policy = region.networkPolicy.spec!;
      expect(region.podLabels).toEqual(expect.objectContaining(policy.podSelector.matchLabels));
      expect(policy.policyTypes).toEqual(['Ingress']);
      const rules = policy.ingress!;
      const distroRules = rules.filter((r) => r.ports?.some((p) => p.port === 9849 || p.port === 'distro'));
      expect(distroRules).toHaveLength(1);
      expect(distroRules[0].from).toEqual([{ podSelector: { matchLabels: sts.spec!.selector.matchLabels } }]);
      // A rule without ports would open every port, the Distro port included.
      expect(rules.every((r) => r.ports && r.ports.length > 0)).toBe(true);
      const open = rules.filter((r) => !r.from).flatMap((r) => r.ports!.map((p) => p.port));
      expect(open.sort()).toEqual([8848, 9848]);
    });

    it('should let at most one peer be disrupted and spread the peers over nodes and zones', () => {
      expect(region.pdb.spec!.maxUnavailable).toBe(1);
      expect(region.pdb.spec!.selector!.matchLabels).toEqual(sts.spec!.selector.matchLabels);
      const terms = (pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map(
        (t) => t.podAffinityTerm,
      );
      expect(terms.map((t) => t.topologyKey).sort()).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
      for (const term of terms)
        expect(region.podLabels).toEqual(expect.objectContaining(term.labelSelector!.matchLabels));
    });

    it('should ask Prometheus to scrape /metrics on the HTTP port', () => {
      const annotations = sts.spec!.template.metadata!.annotations!;
      expect(annotations['prometheus.io/scrape']).toBe('true');
      expect(annotations['prometheus.io/path']).toBe('/metrics');
      expect(Number(annotations['prometheus.io/port'])).toBe(region.containerPort(app, 'http'));
    });
  });

  describe.each(overlays)('$name', ({ name, region }) => {
    const namespace = region.statefulSet.metadata!.namespace!;

    it('should put everything in its own namespace and create that namespace', () => {
      expect(namespace).toMatch(/^distro-sync-/);
      expect(region.maybe('Namespace', namespace)).toBeDefined();
      for (const o of region.objects.filter((o) => o.kind !== 'Namespace'))
        expect(o.metadata.namespace).toBe(namespace);
    });

    it('should run the DR-task Job, when it has one, with the app image, the admin token and the script', () => {
      const job = region.drJob;
      if (!job) return expect(name).toBe('overlays/trial');
      const pod = job.spec!.template.spec!;
      const container = pod.containers[0];
      expect(container.image).toBe(region.app.image);
      expect(region.secretEnv(container).ADMIN_TOKEN).toEqual({
        secret: 'distro-sync',
        key: 'ADMIN_TOKEN',
        optional: false,
      });
      const script = container.command!.at(-1)!;
      const mount = container.volumeMounts!.find((m) => script.startsWith(`${m.mountPath}/`))!;
      const volume = pod.volumes!.find((v) => v.name === mount.name)!;
      const scriptSource = readFileSync(
        join(__dirname, '../../deploy/k8s/components/dr-tasks/create-dr-tasks.js'),
        'utf8',
      );
      expect(region.configMap(volume.configMap!.name!)[script.slice(mount.mountPath.length + 1)]).toBe(scriptSource);
      const settings = region.plainEnv(container);
      const adminUrl = new URL(settings.ADMIN_URL);
      expect(adminUrl.hostname).toBe(region.clientService.metadata!.name);
      expect(Number(adminUrl.port)).toBe(8848);
      expect(job.spec!.ttlSecondsAfterFinished).toBeGreaterThan(0);
    });
  });

  it('should create the DR tasks A→B and B→A between the two region overlays', () => {
    const settings = (name: string): Record<string, string> => {
      const region = overlays.find((o) => o.name === name)!.region;
      return region.plainEnv(region.drJob!.spec!.template.spec!.containers[0]);
    };
    const a = settings('overlays/region-a');
    const b = settings('overlays/region-b');
    // Each region pulls the other into itself: its local cluster is the task's target.
    expect([a.PEER_CLUSTER_NAME, a.LOCAL_CLUSTER_NAME]).toEqual(['region-b', 'region-a']);
    expect([b.PEER_CLUSTER_NAME, b.LOCAL_CLUSTER_NAME]).toEqual(['region-a', 'region-b']);
    expect(a.PEER_ADDRESSES).toContain('distro-sync-b');
    expect(b.PEER_ADDRESSES).toContain('distro-sync-a');
  });

  it('should use every component in some overlay', () => {
    const used = kustomizations.flatMap((k) => {
      const doc = parse(readFileSync(join(k.dir, 'kustomization.yaml'), 'utf8')) as { components?: string[] };
      return (doc.components ?? []).map((c) => join(k.dir, c));
    });
    for (const component of kustomizationDirs().filter((k) => k.kind === 'Component')) {
      expect(used).toContain(component.dir);
    }
  });

  describe('the routes the manifests name', () => {
    let db: TestDatabase;
    let sut: TestNode;

    beforeAll(async () => {
      db = await createTestDatabase();
      sut = await startTestNode({ DATABASE_URL: db.url, DATABASE_POOL_SIZE: '2', LOG_LEVEL: 'warn' });
    });

    afterAll(async () => {
      await sut?.close();
      await db?.drop();
    });

    it('should be served by the app: probes and the scrape path', async () => {
      const { app, statefulSet } = regions[0].region;
      const paths = [app.livenessProbe, app.readinessProbe, app.startupProbe].map((p) => p!.httpGet!.path!);
      paths.push(statefulSet.spec!.template.metadata!.annotations!['prometheus.io/path']);
      for (const path of new Set(paths)) {
        const res = await fetch(`${sut.base}${path}`);
        // Ready may still be 503 while a gate is closed; what matters is that the route exists.
        expect({ path, exists: res.status !== 404 }).toEqual({ path, exists: true });
      }
      expect((await fetch(`${sut.base}/health/live`)).status).toBe(200);
      expect(await (await fetch(`${sut.base}/metrics`)).text()).toContain('# TYPE');
    });
  });
});
