import type { ClusterRouting } from '@/routing/cluster-routing';
import { DEFAULT_GROUP } from '@/registry';
import type { InstanceInput, NamingRegistry, ServiceKey } from '@/registry';
import { ephemeralConflict } from '@/nacos/naming-rules';
import { PersistentStoreError } from '@/persistent/persistent-store-error';
import type { NacosConnection } from './connections';
import { NacosExceptionCode, okResponse } from './messages';
import type {
  BatchInstanceRequest,
  InstanceRequest,
  NacosResponseBase,
  PersistentInstanceRequest,
  ServiceListRequest,
  ServiceQueryRequest,
  SubscribeServiceRequest,
} from './messages';
import {
  NacosRequestError,
  clusterList,
  instanceAddress,
  instanceInput,
  instanceInputs,
  requestGroup,
  requestServiceKey,
} from './naming-input';
import type { GrpcSubscription } from './push';
import { buildGrpcServiceInfo } from '@/nacos/view/grpc-service-info';

/** The app a connection names in its labels (Nacos's ConnectionMeta.getAppName), or `unknown`. */
function appName(connection: NacosConnection): string {
  return connection.labels.AppName ?? 'unknown';
}

/** What this node tells about a connection's client in the client views (never replicated). */
function connectionAttributes(connection: NacosConnection): Record<string, string> {
  return {
    connectType: 'GRPC',
    appName: appName(connection),
    version: connection.clientVersion,
    clientIp: connection.clientIp,
  };
}

/** Largest page of ServiceListRequest (as Nacos's v2 API). */
const MAX_PAGE_SIZE = 500;

type Handler = (
  connection: NacosConnection,
  body: Record<string, unknown>,
) => NacosResponseBase | Promise<NacosResponseBase>;

/** What PersistentInstanceRequest writes through: the region's durable persistent instances (src/persistent). */
export interface PersistentInstanceWriter {
  register(key: ServiceKey, input: InstanceInput): Promise<void>;
  deregister(key: ServiceKey, clusterName: string, ip: string, port: number): Promise<void>;
}

/**
 * The naming requests of the gRPC protocol. Each validates, makes one registry call and maps the
 * result. Instances belong to the connection's client (id = connection id, owned by this node).
 */
export class NamingHandlers {
  private readonly handlers: Record<string, Handler> = {
    InstanceRequest: (c, b) => this.instance(c, b as unknown as InstanceRequest),
    BatchInstanceRequest: (c, b) => this.batch(c, b as unknown as BatchInstanceRequest),
    ServiceQueryRequest: (_c, b) => this.query(b),
    SubscribeServiceRequest: (c, b) => this.subscribe(c, b as unknown as SubscribeServiceRequest),
    ServiceListRequest: (_c, b) => this.list(b),
  };

  constructor(
    private readonly registry: NamingRegistry,
    private readonly routing: ClusterRouting,
    persistent?: PersistentInstanceWriter,
  ) {
    // Nacos 2.3+: persistent instances over gRPC, where this node keeps them (the region's database).
    if (persistent !== undefined) {
      this.handlers.PersistentInstanceRequest = (_c, b) =>
        this.persistentInstance(persistent, b as unknown as PersistentInstanceRequest);
    }
  }

  /** The handler of a request type, or undefined when this is not a naming request. */
  handlerFor(type: string): Handler | undefined {
    return Object.prototype.hasOwnProperty.call(this.handlers, type) ? this.handlers[type] : undefined;
  }

  private instance(connection: NacosConnection, body: InstanceRequest): NacosResponseBase {
    const key = requestServiceKey(body);
    switch (body.type) {
      case 'registerInstance': {
        const input = instanceInput(body.instance);
        // The SDK's flag, not the stored one (connection-owned instances are kept ephemeral).
        this.refuseMixing(key, body.instance.ephemeral !== false);
        this.registry.registerInstance(connection.id, 'connection', key, input, {
          owner: this.routing.selfId(),
          attributes: connectionAttributes(connection),
        });
        break;
      }
      case 'deregisterInstance': {
        const { ip, port, clusterName } = instanceAddress(body.instance);
        this.registry.deregisterInstance(connection.id, key, clusterName ?? '', ip, port);
        break;
      }
      default:
        throw new NacosRequestError(
          NacosExceptionCode.BadRequest,
          `unsupported InstanceRequest type ${String(body.type)}`,
        );
    }
    return okResponse(body.requestId, { type: body.type });
  }

  private batch(connection: NacosConnection, body: BatchInstanceRequest): NacosResponseBase {
    const key = requestServiceKey(body);
    switch (body.type) {
      case 'batchRegisterInstance': {
        const inputs = instanceInputs(body.instances);
        for (const each of body.instances) {
          this.refuseMixing(key, each.ephemeral !== false, 'batch register');
        }
        this.registry.batchRegister(connection.id, 'connection', key, inputs, {
          owner: this.routing.selfId(),
          attributes: connectionAttributes(connection),
        });
        break;
      }
      case 'batchDeregisterInstance': {
        const addresses = instanceInputs(body.instances).map(({ ip, port, clusterName }) => ({
          ip,
          port,
          clusterName,
        }));
        this.registry.batchDeregister(connection.id, key, addresses);
        break;
      }
      default:
        throw new NacosRequestError(
          NacosExceptionCode.BadRequest,
          `unsupported BatchInstanceRequest type ${String(body.type)}`,
        );
    }
    return okResponse(body.requestId, { type: body.type });
  }

  /**
   * PersistentInstanceRequest (Nacos 2.3+, PersistentInstanceRequestHandler): a persistent instance
   * of the server (client `ip:port#false`), not of the connection; answered once the database took it.
   */
  private async persistentInstance(
    persistent: PersistentInstanceWriter,
    body: PersistentInstanceRequest,
  ): Promise<NacosResponseBase> {
    const key = requestServiceKey(body);
    try {
      if (body.type === 'registerInstance') {
        const input = instanceInput(body.instance);
        this.refuseMixing(key, false);
        await persistent.register(key, { ...input, ephemeral: false });
      } else if (body.type === 'deregisterInstance') {
        const { ip, port, clusterName } = instanceAddress(body.instance);
        await persistent.deregister(key, clusterName ?? '', ip, port);
      } else {
        throw new NacosRequestError(
          NacosExceptionCode.BadRequest,
          `unsupported PersistentInstanceRequest type ${String(body.type)}`,
        );
      }
    } catch (err) {
      // Not acknowledged: the database did not take it (its message says why, and to retry).
      if (err instanceof PersistentStoreError) throw new NacosRequestError(NacosExceptionCode.ServerError, err.message);
      throw err;
    }
    return okResponse(body.requestId, { type: body.type });
  }

  /** Nacos never mixes ephemeral and persistent instances in one service. */
  private refuseMixing(key: ServiceKey, ephemeral: boolean, verb: 'register' | 'batch register' = 'register'): void {
    const conflict = ephemeralConflict(this.registry, key, ephemeral, verb);
    if (conflict !== undefined) throw new NacosRequestError(NacosExceptionCode.BadRequest, conflict);
  }

  private query(body: ServiceQueryRequest): NacosResponseBase {
    const key = requestServiceKey(body);
    const serviceInfo = buildGrpcServiceInfo(
      this.registry,
      key,
      clusterList(body.cluster, 'cluster'),
      body.healthyOnly === true,
    );
    return okResponse(body.requestId, { serviceInfo });
  }

  private subscribe(connection: NacosConnection, body: SubscribeServiceRequest): NacosResponseBase {
    const key = requestServiceKey(body);
    const clusters = clusterList(body.clusters, 'clusters');
    if (body.subscribe === false) {
      this.registry.unsubscribe(key, connection.id);
    } else {
      const subscription: GrpcSubscription = {
        connectionId: connection.id,
        clusters,
        clientIp: connection.clientIp,
        agent: connection.clientVersion,
        app: appName(connection),
      };
      this.registry.subscribe(key, connection.id, subscription);
    }
    const serviceInfo = buildGrpcServiceInfo(this.registry, key, clusters);
    return okResponse(body.requestId, { serviceInfo });
  }

  private list(body: ServiceListRequest): NacosResponseBase {
    // Nacos reads a page below 1 as page 1 (ServiceUtil.pageServiceName), as over HTTP.
    const pageNo = Math.max(body.pageNo ?? 1, 1);
    const pageSize = body.pageSize ?? 10;
    if (!Number.isInteger(pageNo))
      throw new NacosRequestError(NacosExceptionCode.BadRequest, 'pageNo must be an integer');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new NacosRequestError(NacosExceptionCode.BadRequest, `pageSize must be 1-${MAX_PAGE_SIZE}`);
    }
    const { namespace, group } = requestGroup(body);
    const page = this.registry.listServices(namespace, { group: group ?? DEFAULT_GROUP, pageNo, pageSize });
    return okResponse(body.requestId, { count: page.count, serviceNames: page.names });
  }
}
