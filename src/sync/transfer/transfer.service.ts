import { BadRequestException, ConflictException, HttpException, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ClusterEntity } from '../entities';
import { ClusterService } from '../clusters/cluster.service';
import type { ClusterUpdateDto } from '../clusters/cluster.dto';
import { SyncStore } from '../store/sync-store';
import { TaskService } from '../tasks/task.service';
import { TRANSFER_FORMAT } from './transfer.dto';
import type {
  ImportReportDto,
  ImportedClusterDto,
  ImportedTaskDto,
  TransferClusterDto,
  TransferDocumentDto,
  TransferTaskDto,
} from './transfer.dto';

const ACTOR = 'import';
const SECRET_FIELDS = ['password', 'token', 'tlsCa', 'tlsCert', 'tlsKey'] as const;

/** Thrown at the end of a dry run so its transaction rolls back, carrying the report. */
class DryRunDone extends Error {
  constructor(readonly report: ImportReportDto) {
    super('dry run');
  }
}

/**
 * Export and import of the sync side's configuration as one JSON document: clusters (secrets left
 * out, named so they can be entered again) and tasks (clusters by name). An import checks the
 * document, then applies it in one transaction — all of it or nothing — matching clusters and tasks
 * by name, so importing the same document twice changes nothing the second time.
 */
@Injectable()
export class TransferService {
  constructor(
    private readonly store: SyncStore,
    private readonly clusters: ClusterService,
    private readonly tasks: TaskService,
  ) {}

  async export(): Promise<TransferDocumentDto> {
    const clusters = await this.store.clusters.all();
    const names = new Map(clusters.map((c) => [c.id, c.name]));
    const tasks = (await this.store.tasks.all()).filter((t) => t.status !== 'deleting');
    return {
      format: TRANSFER_FORMAT,
      exportedAt: new Date().toISOString(),
      clusters: clusters.map(
        (c) =>
          withoutNulls({
            name: c.name,
            kind: c.kind,
            addresses: c.addresses,
            namespace: c.namespace,
            username: c.username,
            description: c.description,
            layout: c.layout,
            prefix: c.prefix,
            secrets: this.clusters.storedSecretNames(c),
          }) as unknown as TransferClusterDto,
      ),
      tasks: tasks.map((t) => ({
        name: t.name,
        source: names.get(t.sourceClusterId) ?? t.sourceClusterId,
        target: names.get(t.targetClusterId) ?? t.targetClusterId,
        namespace: t.namespace,
        groupName: t.groupName,
        serviceName: t.serviceName,
        exclude: t.exclude,
        maxDeleteRatio: t.maxDeleteRatio,
        status: t.status === 'paused' ? 'paused' : 'running',
      })),
    };
  }

  async import(doc: TransferDocumentDto, dryRun: boolean): Promise<ImportReportDto> {
    checkNamesUnique(doc);
    try {
      return await this.store.tasks.transaction(async (tx) => {
        const clusters: ImportedClusterDto[] = [];
        for (const [i, c] of doc.clusters.entries())
          clusters.push(await at(`clusters.${i}`, () => this.cluster(tx, c)));
        const tasks: ImportedTaskDto[] = [];
        for (const [i, t] of doc.tasks.entries()) tasks.push(await at(`tasks.${i}`, () => this.task(tx, t)));
        const report: ImportReportDto = {
          dryRun,
          clusters,
          tasks,
          clustersNeedingSecrets: clusters.filter((c) => c.needsSecrets.length > 0).map((c) => c.name),
        };
        if (dryRun) throw new DryRunDone(report);
        return report;
      });
    } catch (err) {
      if (!(err instanceof DryRunDone)) throw err;
      const created = <T extends { action: string; id: string | null }>(x: T): T =>
        x.action === 'created' ? { ...x, id: null } : x;
      return { ...err.report, clusters: err.report.clusters.map(created), tasks: err.report.tasks.map(created) };
    }
  }

  private async cluster(tx: EntityManager, c: TransferClusterDto): Promise<ImportedClusterDto> {
    const given = SECRET_FIELDS.filter((f) => c[f] !== undefined);
    const existing = await this.store.clusters.findByName(c.name, tx);
    if (!existing) {
      const saved = await this.clusters.insertIn(tx, this.clusters.build(c), ACTOR);
      return { name: saved.name, id: saved.id, action: 'created', changed: [], needsSecrets: missing(c, given) };
    }
    if (existing.kind !== c.kind) {
      throw new BadRequestException([
        `cluster ${existing.name} exists as a ${existing.kind} cluster; the document says ${c.kind} (a kind cannot change: rename one of them)`,
      ]);
    }
    const update: ClusterUpdateDto = {
      addresses: c.addresses,
      namespace: c.namespace,
      username: c.username,
      description: c.description,
      layout: c.layout,
      prefix: c.prefix,
    };
    for (const f of given) update[f] = c[f];
    const changed = this.clusters.applyUpdate(existing, update);
    await this.clusters.saveIn(tx, existing, changed, ACTOR);
    const stored = this.clusters.storedSecretNames(existing);
    return {
      name: existing.name,
      id: existing.id,
      action: changed.length > 0 ? 'updated' : 'unchanged',
      changed,
      needsSecrets: missing(c, [...given, ...stored]),
    };
  }

  private async task(tx: EntityManager, t: TransferTaskDto): Promise<ImportedTaskDto> {
    const source = await this.clusterNamed(tx, t.source, 'source');
    const target = await this.clusterNamed(tx, t.target, 'target');
    const existing = await this.store.tasks.findByName(tx, t.name);
    if (!existing) {
      const id = await this.tasks.insertIn(tx, { ...t, sourceClusterId: source.id, targetClusterId: target.id }, ACTOR);
      if (t.status === 'paused')
        await this.tasks.setRunningIn(tx, { ...(await this.mustFind(tx, id)) }, 'paused', ACTOR);
      return { name: t.name, id, action: 'created', changed: [] };
    }
    if (existing.sourceClusterId !== source.id || existing.targetClusterId !== target.id) {
      throw new BadRequestException([
        `task ${t.name} exists between other clusters; the document says ${t.source} to ${t.target} (clusters cannot change: rename the task, or delete the existing one first)`,
      ]);
    }
    if (existing.status === 'deleting')
      throw new ConflictException(`task ${t.name} is being deleted; import again once it is gone`);
    const changed = await this.tasks.change(
      tx,
      existing.id,
      {
        namespace: t.namespace,
        groupName: t.groupName,
        serviceName: t.serviceName,
        exclude: t.exclude,
        maxDeleteRatio: t.maxDeleteRatio,
      },
      ACTOR,
    );
    if (await this.tasks.setRunningIn(tx, existing, t.status, ACTOR)) changed.push('status');
    return { name: t.name, id: existing.id, action: changed.length > 0 ? 'updated' : 'unchanged', changed };
  }

  private async clusterNamed(tx: EntityManager, name: string, side: string): Promise<ClusterEntity> {
    const found = await this.store.clusters.findByName(name, tx);
    if (!found)
      throw new BadRequestException([
        `${side} names no cluster: ${name} is neither in the document nor in the database`,
      ]);
    return found;
  }

  private async mustFind(tx: EntityManager, id: string) {
    const found = await this.store.tasks.findForUpdate(tx, id);
    if (!found) throw new ConflictException(`task ${id} vanished during the import`);
    return found;
  }
}

/** The secrets the export left out (`c.secrets`) that are not `have`. */
function missing(c: TransferClusterDto, have: readonly string[]): string[] {
  return (c.secrets ?? []).filter((s) => !have.includes(s));
}

function withoutNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}

/** Names unique within the document (clusters regardless of case, as the database has them). */
function checkNamesUnique(doc: TransferDocumentDto): void {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  doc.clusters.forEach((c, i) => {
    const key = c.name.toLowerCase();
    if (seen.has(key)) problems.push(`clusters.${i}: name ${c.name} is also clusters.${seen.get(key)}'s`);
    seen.set(key, i);
  });
  const tasks = new Map<string, number>();
  doc.tasks.forEach((t, i) => {
    if (tasks.has(t.name)) problems.push(`tasks.${i}: name ${t.name} is also tasks.${tasks.get(t.name)}'s`);
    tasks.set(t.name, i);
    if (t.source.toLowerCase() === t.target.toLowerCase()) problems.push(`tasks.${i}: target must differ from source`);
  });
  if (problems.length > 0) throw new BadRequestException(problems);
}

/** Runs one item's import; a 4xx it raises names the item (`tasks.3: …`) and keeps its status. */
async function at<T>(label: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof HttpException) || err.getStatus() >= 500) throw err;
    const body = err.getResponse();
    const raw = typeof body === 'string' ? body : (body as { message?: unknown }).message;
    const messages = (Array.isArray(raw) ? raw : [raw]).map((m) => `${label}: ${String(m)}`);
    throw new HttpException({ statusCode: err.getStatus(), message: messages }, err.getStatus());
  }
}
