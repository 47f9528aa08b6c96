import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { registerSecret, scrubSecrets } from '@/common/secret-scrubber';
import { AppConfig } from '@/config';
import { mapConstraintErrors } from '@/admin/constraint-errors';
import type { Page } from '@/admin/page.dto';
import type { ClusterEntity, ClusterKind } from '../entities';
import { checkAddresses, checkPrefix, kindFieldProblems, resolveLayout } from './cluster-kinds';
import { SyncStore } from '../store/sync-store';
import type { ClusterRepository } from '../store/cluster.repository';
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
  ) {
    this.repo = store.clusters;
    this.sealer = new CredentialSealer(config.sync.secretKey);
  }

  async create(dto: ClusterCreateDto): Promise<ClusterEntity> {
    if (dto.kind === 'local' && dto.addresses.length > 0)
      throw new BadRequestException(['addresses must be empty for a local cluster']);
    if (dto.kind !== 'local' && dto.addresses.length === 0)
      throw new BadRequestException([`addresses must name at least one host:port for a ${dto.kind} cluster`]);
    requireAddresses(dto.kind, dto.addresses);
    const layout = layoutOf(dto.kind, dto.layout, dto.prefix);
    const problems = kindFieldProblems(dto.kind, { ...dto });
    if (problems.length > 0) throw new BadRequestException(problems);
    const cluster = {
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
    return mapConstraintErrors(() => this.repo.insert(cluster), CONFLICTS);
  }

  async list(query: ClusterListQueryDto): Promise<Page<ClusterEntity>> {
    return this.repo.page(query.name, query.page, query.pageSize);
  }

  async get(id: string): Promise<ClusterEntity> {
    const found = await this.repo.findOne(id);
    if (!found) throw new NotFoundException(`cluster ${id} not found`);
    return found;
  }

  async update(id: string, dto: ClusterUpdateDto): Promise<ClusterEntity> {
    const cluster = await this.get(id);
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
    const secretFields = ['password', 'token', 'tlsCa', 'tlsCert', 'tlsKey'] as const;
    if (secretFields.some((f) => dto[f] !== undefined)) {
      const current = this.secretsOf(cluster);
      const next: ClusterSecrets = {};
      // Absent keeps the stored value, an empty string removes it.
      for (const f of secretFields) next[f] = dto[f] === undefined ? current[f] : dto[f] || undefined;
      cluster.credentials = this.seal(next);
    }
    return mapConstraintErrors(() => this.repo.update(cluster), CONFLICTS);
  }

  async remove(id: string): Promise<void> {
    await this.get(id);
    await mapConstraintErrors(() => this.repo.delete(id), CONFLICTS);
  }

  /** Reaches the registry through its adapter; never throws for an unreachable one. Texts are scrubbed. */
  async check(id: string): Promise<ClusterCheckDto> {
    const cluster = await this.get(id);
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

  private seal(secrets: ClusterSecrets): Buffer | null {
    registerSecrets(secrets);
    if (Object.values(secrets).every((v) => v === undefined)) return null;
    if (!this.sealer.available) {
      throw new BadRequestException([
        'password/token/TLS settings cannot be stored: SECRET_KEY is not set on the server',
      ]);
    }
    return this.sealer.seal(secrets);
  }
}
