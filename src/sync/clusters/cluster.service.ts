import { BadRequestException, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { registerSecret, scrubSecrets } from '@/common/secret-scrubber';
import { AppConfig } from '@/config';
import { mapConstraintErrors } from '@/admin/constraint-errors';
import type { Page } from '@/admin/page.dto';
import type { ClusterEntity, ClusterKind } from '../entities';
import { checkAddresses, checkPrefix, kindFieldProblems, resolveLayout } from './cluster-kinds';
import { SyncStore } from '../store/sync-store';
import type { ClusterRepository, NewCluster } from '../store/cluster.repository';
import { TaskEventLog } from '../tasks/task-event-log';
import type { ClusterCheckDto, ClusterCreateDto, ClusterListQueryDto, ClusterUpdateDto } from './cluster.dto';
import { AdapterFactory } from '../adapters/adapter-factory';
import type { RegistryAdapter } from '../adapters/registry-adapter';
import { CredentialSealer } from './credential-sealer';
import type { ClusterSecrets } from './credential-sealer';

/** The layout a cluster is stored with, or a 400 naming the field (see cluster-kinds.ts). */
function layoutOf(kind: ClusterKind, layout: string | undefined, prefix: string | undefined): string | null {
  const resolved = resolveLayout(kind, layout);
  if ('error' in resolved) throw new BadRequestException([resolved.error]);
  const prefixError = checkPrefix(kind, prefix);
  if (prefixError) throw new BadRequestException([prefixError]);
  return resolved.layout;
}

/** A 400 naming the field when the addresses do not fit the kind (see cluster-kinds.ts). */
function requireAddresses(kind: ClusterKind, addresses: readonly string[]): void {
  const error = checkAddresses(kind, addresses);
  if (error) throw new BadRequestException([error]);
}

/** The scrubber learns every secret a cluster carries (a TLS key too; CA and certificate are public). */
function registerSecrets(secrets: ClusterSecrets): void {
  registerSecret(secrets.password);
  registerSecret(secrets.token);
  registerSecret(secrets.tlsKey);
}

const ADMIN = 'admin';

/** A cluster not saved yet, as the adapters take it (a check before the insert). */
function candidate(cluster: NewCluster): ClusterEntity {
  const now = new Date();
  return { ...cluster, id: '00000000-0000-4000-8000-000000000000', createdAt: now, updatedAt: now };
}

const CONFLICTS = {
  UQ_cluster_name: 'a cluster with this name exists',
  UQ_cluster_name_ci: 'a cluster with this name exists (names are unique regardless of case)',
  UQ_cluster_single_local: 'a local cluster exists already: there is one per region',
  FK_sync_task_source: 'the cluster is the source of a task; delete the task first',
  FK_sync_task_target: 'the cluster is the target of a task; delete the task first',
};

/** Registries that tasks read and write; credentials are sealed with SECRET_KEY. */
@Injectable()
export class ClusterService {
  private readonly repo: ClusterRepository;
  private readonly sealer: CredentialSealer;

  constructor(
    store: SyncStore,
    config: AppConfig,
    private readonly adapters: AdapterFactory,
    private readonly events: TaskEventLog,
  ) {
    this.repo = store.clusters;
    this.sealer = new CredentialSealer(config.sync.secretKey);
  }

  /** Registers a cluster; with `check`, only one its adapter can reach and authenticate with (422 otherwise). */
  async create(dto: ClusterCreateDto, check = false): Promise<ClusterEntity> {
    const cluster = this.build(dto);
    if (check) await this.requireReachable(candidate(cluster));
    return this.repo.transaction((tx) => this.insertIn(tx, cluster));
  }

  /** The row a create writes, validated per kind, its secrets sealed (400 naming the field otherwise). */
  build(dto: ClusterCreateDto): NewCluster {
    if (dto.kind === 'local' && dto.addresses.length > 0)
      throw new BadRequestException(['addresses must be empty for a local cluster']);
    if (dto.kind !== 'local' && dto.addresses.length === 0)
      throw new BadRequestException([`addresses must name at least one host:port for a ${dto.kind} cluster`]);
    requireAddresses(dto.kind, dto.addresses);
    const layout = layoutOf(dto.kind, dto.layout, dto.prefix);
    const problems = kindFieldProblems(dto.kind, { ...dto });
    if (problems.length > 0) throw new BadRequestException(problems);
    return {
      name: dto.name,
      kind: dto.kind,
      addresses: dto.addresses,
      namespace: dto.namespace ?? null,
      username: dto.username ?? null,
      credentials: this.seal({
        password: dto.password,
        token: dto.token,
        tlsCa: dto.tlsCa,
        tlsCert: dto.tlsCert,
        tlsKey: dto.tlsKey,
      }),
      description: dto.description ?? null,
      layout,
      prefix: dto.prefix ?? null,
    };
  }

  /** Inserts a built cluster inside `tx`, with its audit event. */
  async insertIn(tx: EntityManager, cluster: NewCluster, actor = ADMIN): Promise<ClusterEntity> {
    const saved = await mapConstraintErrors(() => this.repo.insert(cluster, tx), CONFLICTS);
    await this.events.record(
      {
        taskId: null,
        taskName: null,
        clusterIds: [saved.id],
        kind: 'cluster-created',
        actor,
        message: `cluster ${saved.name} (${saved.kind}) registered`,
      },
      tx,
    );
    return saved;
  }

  async list(query: ClusterListQueryDto): Promise<Page<ClusterEntity>> {
    return this.repo.page(query.name, query.page, query.pageSize);
  }

  async get(id: string): Promise<ClusterEntity> {
    const found = await this.repo.findOne(id);
    if (!found) throw new NotFoundException(`cluster ${id} not found`);
    return found;
  }

  /** Changes a cluster; with `check`, only to settings its adapter can reach and authenticate with (422 otherwise). */
  async update(id: string, dto: ClusterUpdateDto, check = false): Promise<ClusterEntity> {
    const cluster = await this.get(id);
    const changed = this.applyUpdate(cluster, dto);
    if (check) await this.requireReachable(cluster);
    return this.repo.transaction((tx) => this.saveIn(tx, cluster, changed));
  }

  /**
   * Applies `dto` to `cluster` in memory, validated per kind (400 naming the field otherwise), and
   * returns the names of the fields it changed (secrets by name only).
   */
  applyUpdate(cluster: ClusterEntity, dto: ClusterUpdateDto): string[] {
    const before = { ...cluster };
    const problems = kindFieldProblems(cluster.kind, { ...dto });
    if (problems.length > 0) throw new BadRequestException(problems);
    if (dto.addresses !== undefined) {
      if (cluster.kind === 'local' && dto.addresses.length > 0)
        throw new BadRequestException(['addresses must be empty for a local cluster']);
      if (cluster.kind !== 'local' && dto.addresses.length === 0)
        throw new BadRequestException(['addresses must name at least one host:port']);
      requireAddresses(cluster.kind, dto.addresses);
      cluster.addresses = dto.addresses;
    }
    if (dto.namespace !== undefined) cluster.namespace = dto.namespace;
    if (dto.username !== undefined) cluster.username = dto.username;
    if (dto.description !== undefined) cluster.description = dto.description;
    if (dto.layout !== undefined || dto.prefix !== undefined) {
      cluster.layout = layoutOf(cluster.kind, dto.layout ?? cluster.layout ?? undefined, dto.prefix);
    }
    if (dto.prefix !== undefined) cluster.prefix = dto.prefix || null;
    const changed: string[] = (
      ['addresses', 'namespace', 'username', 'description', 'layout', 'prefix'] as const
    ).filter((f) => JSON.stringify(before[f]) !== JSON.stringify(cluster[f]));
    const secretFields = ['password', 'token', 'tlsCa', 'tlsCert', 'tlsKey'] as const;
    if (secretFields.some((f) => dto[f] !== undefined)) {
      const current = this.secretsOf(cluster);
      const next: ClusterSecrets = {};
      // Absent keeps the stored value, an empty string removes it.
      for (const f of secretFields) next[f] = dto[f] === undefined ? current[f] : dto[f] || undefined;
      changed.push(...secretFields.filter((f) => next[f] !== current[f]));
      cluster.credentials = this.seal(next);
    }
    return changed;
  }

  /** Writes back a cluster changed by `applyUpdate` inside `tx`, with its audit event when anything changed. */
  async saveIn(tx: EntityManager, cluster: ClusterEntity, changed: string[], actor = ADMIN): Promise<ClusterEntity> {
    if (changed.length === 0) return cluster;
    const saved = await mapConstraintErrors(() => this.repo.update(cluster, tx), CONFLICTS);
    await this.events.record(
      {
        taskId: null,
        taskName: null,
        clusterIds: [cluster.id],
        kind: 'cluster-updated',
        actor,
        message: `cluster ${cluster.name}: changed ${changed.join(', ')}`,
        details: { changed },
      },
      tx,
    );
    return saved;
  }

  async remove(id: string): Promise<void> {
    const cluster = await this.get(id);
    await this.repo.transaction(async (tx) => {
      await mapConstraintErrors(() => this.repo.delete(id, tx), CONFLICTS);
      await this.events.record(
        {
          taskId: null,
          taskName: null,
          clusterIds: [id],
          kind: 'cluster-deleted',
          actor: ADMIN,
          message: `cluster ${cluster.name} (${cluster.kind}) removed`,
        },
        tx,
      );
    });
  }

  /** Reaches the registry through its adapter; never throws for an unreachable one. Texts are scrubbed. */
  async check(id: string): Promise<ClusterCheckDto> {
    return this.probe(await this.get(id));
  }

  /** A 422 carrying the check's result when the registry cannot be reached or refuses the credentials. */
  private async requireReachable(cluster: ClusterEntity): Promise<void> {
    const report = await this.probe(cluster);
    if (report.reachable) return;
    throw new UnprocessableEntityException({
      statusCode: 422,
      error: 'Unprocessable Entity',
      message: `check=true: cluster ${cluster.name} could not be reached or refused the credentials (${report.error ?? 'no reason given'}); nothing was saved — fix the addresses or credentials, or leave out check=true to save it anyway`,
      check: report,
    });
  }

  private async probe(cluster: ClusterEntity): Promise<ClusterCheckDto> {
    const started = Date.now();
    let adapter: RegistryAdapter | undefined;
    let report: ClusterCheckDto;
    try {
      adapter = this.adapters.create(cluster, this.secretsOf(cluster));
      report = await adapter.check();
    } catch (err) {
      report = { reachable: false, latencyMs: Date.now() - started, error: (err as Error).message };
    } finally {
      await adapter?.close().catch(() => undefined);
    }
    return {
      ...report,
      ...(report.version === undefined ? {} : { version: scrubSecrets(report.version) }),
      ...(report.error === undefined ? {} : { error: scrubSecrets(report.error) }),
    };
  }

  /**
   * The cluster's secrets, for the adapters that connect to it (never for the API). Each is known
   * to the secret scrubber from here on, so no error quoting it reaches a log or a response.
   */
  secretsOf(cluster: ClusterEntity): ClusterSecrets {
    const secrets: ClusterSecrets = cluster.credentials ? this.sealer.open(cluster.credentials) : {};
    registerSecrets(secrets);
    return secrets;
  }

  /** Which secrets a cluster stores, by name (an export lists them to be entered again); `credentials` when they cannot be opened. */
  storedSecretNames(cluster: ClusterEntity): string[] {
    if (!cluster.credentials) return [];
    try {
      return Object.entries(this.secretsOf(cluster))
        .filter(([, v]) => v !== undefined)
        .map(([k]) => k);
    } catch {
      return ['credentials'];
    }
  }

  private seal(secrets: ClusterSecrets): Buffer | null {
    registerSecrets(secrets);
    if (Object.values(secrets).every((v) => v === undefined)) return null;
    if (!this.sealer.available) {
      throw new BadRequestException([
        'password/token/TLS settings cannot be stored: SECRET_KEY is not set on this server; start it with SECRET_KEY (at least 32 characters, the same on every replica of the region) to store credentials sealed, or leave them out (a distro region without ADMIN_TOKEN or REGISTRY_API_TOKEN needs no token)',
      ]);
    }
    return this.sealer.seal(secrets);
  }
}
