import { Inject, Injectable } from '@nestjs/common';
import { DEFAULT_CLUSTER, DEFAULT_NAMESPACE, GROUP_SEPARATOR, Registry, groupedName, ipPortClientId } from '@/registry';
import type { Instance, InstancePatch, NamingRegistry, ServiceKey } from '@/registry';
import { hostView } from '@/nacos/view/service-info';
import type { HostView } from '@/nacos/view/service-info';
import { NacosRequestError, NacosV2ErrorCode } from './nacos-errors';
import { parseMetadata, parseServiceName, validIp, validName, validPort } from './nacos-params';
import type { NacosParams } from './nacos-params';
import { NacosNamingService } from './naming.service';
import { PersistentInstances } from '@/persistent/persistent-instances';
import { ClusterCheckers } from '@/persistent/health/cluster-checkers';
import { isPersistentClientId } from '@/persistent/persistent-write';

/** Instances a metadata batch names (`instances` JSON); undefined = every instance of the service. */
interface BatchTarget {
  ip: string;
  port: number;
  clusterName: string;
}

/** A change to one persistent instance, as the metadata batch and PATCH make it. */
interface PersistentUpdate {
  key: ServiceKey;
  cluster: string;
  ip: string;
  port: number;
  patch: InstancePatch;
}

/** Longest `instances` list a metadata batch takes. */
const MAX_BATCH_TARGETS = 10_000;

/** What a write on existing instances changed: the answer, and the ip-port clients to wait for (replication). */
export interface MaintenanceResult<T> {
  answer: T;
  clientIds: string[];
}

/** A result, or the promise of one when persistent instances were written (their database commit comes first). */
export type Maintenance<T> = MaintenanceResult<T> | Promise<MaintenanceResult<T>>;

/**
 * Changes to instances that exist, as Nacos's operators make them: PATCH, manual health, metadata
 * batches, and the console's paged instance list. They change HTTP-registered (ip-port) instances
 * in place; an instance a gRPC connection or a sync task publishes belongs to its owner and is
 * refused (PATCH) or left out (batches).
 */
@Injectable()
export class InstanceMaintainer {
  constructor(
    @Inject(Registry) private readonly registry: NamingRegistry,
    private readonly naming: NacosNamingService,
    private readonly persistent: PersistentInstances,
    private readonly checkers: ClusterCheckers,
  ) {}

  /**
   * v1 PATCH: sets only the given fields among metadata (replaced whole), weight and enabled.
   * `clusterName`, else `cluster`, names the cluster.
   */
  patch(params: NacosParams, clusterParams: readonly string[]): Maintenance<'ok'> {
    const key = params.service();
    const ip = params.ip();
    const port = params.port();
    const clusterParam = clusterParams.find((name) => params.has(name));
    const cluster = clusterParam === undefined ? DEFAULT_CLUSTER : params.cluster(clusterParam);
    const patch: InstancePatch = {};
    const metadata = params.metadata();
    if (metadata !== undefined) patch.metadata = metadata;
    const weight = params.weight();
    if (weight !== undefined) patch.weight = weight;
    const enabled = params.bool('enabled');
    if (enabled !== undefined) patch.enabled = enabled;
    const instance = this.naming.listedInstance(key, cluster, ip, port);
    const clientId = this.ipPortOwner(key, instance);
    if (clientId === undefined) {
      throw NacosRequestError.badParam(
        NacosV2ErrorCode.InstanceError,
        `instance ${ip}:${port} of ${groupedName(key.group, key.name)} is published by a gRPC connection or a ` +
          'sync task, not over HTTP; only its owner changes it',
      );
    }
    const result: MaintenanceResult<'ok'> = { answer: 'ok', clientIds: [clientId] };
    if (isPersistentClientId(clientId)) return this.persistentUpdates([{ key, cluster, ip, port, patch }], result);
    this.registry.updateInstance(clientId, key, cluster, ip, port, patch);
    return result;
  }

  /**
   * Manual health (`healthy`, or Nacos's older `valid`). As in Nacos it applies only to persistent
   * instances of a cluster whose health checker is NONE (PUT /cluster): the others are checked by
   * the node responsible for them (TCP by default), and an ephemeral instance's health follows its
   * heartbeats; both are refused with Nacos's words. The cluster's checker is read from the database,
   * after the write is stamped, so the write keeps the version of the moment it was accepted.
   */
  setHealth(params: NacosParams): Maintenance<'ok'> {
    const healthParam = params.has('healthy') ? 'healthy' : params.has('valid') ? 'valid' : undefined;
    if (healthParam === undefined) {
      throw params.missing('healthy');
    }
    const healthy = params.bool(healthParam) as boolean;
    const key = params.service();
    const ip = params.ip();
    const port = params.port();
    const cluster = params.cluster();
    const clientId = ipPortClientId(ip, port, false);
    const stillWorking = (): NacosRequestError => {
      const message = `health check is still working, service: ${groupedName(key.group, key.name)}, cluster: ${cluster}`;
      return new NacosRequestError(400, NacosV2ErrorCode.ServerError, message, message);
    };
    const write = this.persistent.stampUpdate(key, cluster, ip, port, { healthy });
    if (write === undefined) throw stillWorking();
    return (async () => {
      const checker = await this.checkers.current(key, cluster);
      if (checker.healthChecker.type !== 'NONE') throw stillWorking();
      await this.persistent.commit(write);
      return { answer: 'ok' as const, clientIds: [clientId] };
    })();
  }

  /**
   * PUT (`mode` update: keys added or replaced) or DELETE (keys removed) of metadata on the named
   * `instances` (JSON `[{ip, port, clusterName}]`), or on every instance of the service when none
   * are named. Answers the changed instances as Nacos names them: `ip:port:unknown:cluster:ephemeral|persist`.
   */
  batchMetadata(params: NacosParams, mode: 'update' | 'delete'): Maintenance<{ updated: string[] }> {
    const key = params.service();
    const metadata = parseMetadata(params.required('metadata'));
    const targets = parseTargets(params.optional('instances'));
    const instances =
      targets === undefined
        ? this.registry.listInstances(key)
        : targets
            .map(({ ip, port, clusterName }) => this.registry.getInstance(key, clusterName, ip, port))
            .filter((instance) => instance !== undefined);
    const updated: string[] = [];
    const clientIds: string[] = [];
    const durable: PersistentUpdate[] = [];
    for (const instance of instances) {
      const clientId = this.ipPortOwner(key, instance);
      if (clientId === undefined) continue;
      const next: Record<string, string> = { ...instance.metadata };
      for (const [name, value] of Object.entries(metadata)) {
        if (mode === 'update') next[name] = value;
        else delete next[name];
      }
      const { ip, port, clusterName, ephemeral } = instance;
      if (isPersistentClientId(clientId))
        durable.push({ key, cluster: clusterName, ip, port, patch: { metadata: next } });
      else this.registry.updateInstance(clientId, key, clusterName, ip, port, { metadata: next });
      updated.push(`${ip}:${port}:unknown:${clusterName}:${ephemeral ? 'ephemeral' : 'persist'}`);
      clientIds.push(clientId);
    }
    const result = { answer: { updated }, clientIds };
    return durable.length === 0 ? result : this.persistentUpdates(durable, result);
  }

  /**
   * Persistent instances are changed through their store: each update is stamped now, committed to the
   * database, then applied; the result follows once every one is (a refused one rejects the whole answer).
   */
  private async persistentUpdates<T>(
    updates: readonly PersistentUpdate[],
    result: MaintenanceResult<T>,
  ): Promise<MaintenanceResult<T>> {
    const writes = updates.map(({ key, cluster, ip, port, patch }) =>
      this.persistent.stampUpdate(key, cluster, ip, port, patch),
    );
    await Promise.all(writes.map((write) => (write === undefined ? Promise.resolve() : this.persistent.commit(write))));
    return result;
  }

  /** The console's instances of one cluster, paged as Nacos's CatalogController (page 0 is empty). */
  catalogInstances(params: NacosParams): { list: HostView[]; count: number } {
    const key = params.service();
    const cluster = validName('clusterName', params.required('clusterName'));
    const pageNo = pageInteger(params, 'pageNo');
    const pageSize = pageInteger(params, 'pageSize');
    const instances = this.registry.listInstances(key, { clusters: [cluster] });
    const end = Math.min(pageNo * pageSize, instances.length);
    const start = Math.min(Math.max((pageNo - 1) * pageSize, 0), instances.length);
    const list = instances.slice(start, Math.max(start, end)).map((each) => hostView(each, this.naming.timings));
    return { list, count: instances.length };
  }

  /**
   * Nacos's beat-check read (`/instance/statuses`): `key` is `(namespace##)?group@@name`, the
   * service name grouped as Nacos's checkServiceNameFormat demands; every instance of the service,
   * unhealthy and disabled ones included, as `ip:port_<healthy>`; none for an unknown service.
   */
  instanceStatuses(rawKey: string): { ips: string[] } {
    const at = rawKey.indexOf('##');
    const namespace = at < 0 ? DEFAULT_NAMESPACE : validName('key', rawKey.slice(0, at));
    const grouped = at < 0 ? rawKey : rawKey.slice(at + 2);
    if (!grouped.includes(GROUP_SEPARATOR)) {
      throw NacosRequestError.badParam(
        NacosV2ErrorCode.ServiceNameError,
        `Param 'serviceName' is illegal, it should be format as 'groupName@@serviceName', got '${grouped}'.`,
      );
    }
    const key = parseServiceName(grouped, namespace, undefined);
    validName('serviceName', key.name);
    validName('groupName', key.group);
    return {
      ips: this.registry.listInstances(key).map((instance) => `${instance.ip}:${instance.port}_${instance.healthy}`),
    };
  }

  /** The ip-port client publishing the listed instance (ephemeral `#true` or persistent `#false`), if any. */
  private ipPortOwner(key: ServiceKey, instance: Instance): string | undefined {
    const { ip, port, clusterName } = instance;
    for (const ephemeral of [instance.ephemeral, !instance.ephemeral]) {
      const clientId = ipPortClientId(ip, port, ephemeral);
      if (this.registry.getPublication(clientId, key, clusterName, ip, port) !== undefined) return clientId;
    }
    return undefined;
  }
}

function pageInteger(params: NacosParams, name: string): number {
  const refusal = `Param '${name}' must be an integer 0-1000000.`;
  params.required(name);
  // Read as sent: a number with blanks around it is refused like any loose number.
  const value = params.integer(name, refusal) as number;
  if (value < 0 || value > 1_000_000) {
    throw NacosRequestError.badParam(NacosV2ErrorCode.ParameterValidateError, refusal);
  }
  return value;
}

/**
 * The `instances` param of a metadata batch. Nacos ignores one it cannot read and changes every
 * instance of the service; here it is refused, so a typo never rewrites a whole service.
 */
function parseTargets(raw: string | undefined): BatchTarget[] | undefined {
  if (raw === undefined) return undefined;
  const invalid = (why: string): NacosRequestError =>
    NacosRequestError.badParam(NacosV2ErrorCode.ParameterValidateError, `Param 'instances' ${why}.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid('is not valid JSON');
  }
  if (!Array.isArray(parsed)) throw invalid('must be a JSON array of {ip, port, clusterName}');
  if (parsed.length > MAX_BATCH_TARGETS) throw invalid(`has more than ${MAX_BATCH_TARGETS} entries`);
  if (parsed.length === 0) return undefined;
  return parsed.map((each: unknown, i) => {
    if (each === null || typeof each !== 'object' || Array.isArray(each)) throw invalid(`[${i}] must be an object`);
    const { ip, port, clusterName } = each as Record<string, unknown>;
    const cluster = typeof clusterName === 'string' && clusterName.trim() !== '' ? clusterName.trim() : DEFAULT_CLUSTER;
    return {
      ip: validIp(`instances[${i}].ip`, typeof ip === 'string' ? ip : ''),
      port: validPort(`instances[${i}].port`, typeof port === 'number' || typeof port === 'string' ? port : ''),
      clusterName: validName(`instances[${i}].clusterName`, cluster),
    };
  });
}
