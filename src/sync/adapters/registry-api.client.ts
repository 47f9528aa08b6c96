import * as grpc from '@grpc/grpc-js';
import { NO_CHANNELZ } from '@/common/grpc-options';
import { registryProto, serviceClient } from '@/common/protos';
import type {
  ListRequest,
  ListResponse,
  PublishResponse,
  RegistryInstance,
  RegistryPublication,
  RegistrySelector,
  RenewResponse,
  WatchEvent,
  WithdrawResponse,
} from '@/registry-api';

/** An instance to publish; omitted fields take the Nacos defaults (weight 1, healthy, enabled, DEFAULT). */
export interface PublishInstance {
  ip: string;
  port: number;
  weight?: number;
  healthy?: boolean;
  enabled?: boolean;
  clusterName?: string;
  metadata?: Record<string, string>;
  instanceId?: string;
  /** A persistent copy (kept in the target region's database until withdrawn). */
  persistent?: boolean;
}

export interface PublishItem {
  namespace?: string;
  group?: string;
  service: string;
  instance: PublishInstance;
}

export interface RegistryApiClientOptions {
  /** Bearer token (REGISTRY_API_TOKEN or ADMIN_TOKEN of the server). */
  token?: string;
  /** Deadline of each unary call. Default 5000. */
  timeoutMs?: number;
}

export interface Watch {
  /** Ends the stream. */
  cancel(): void;
  /** Resolves when the stream ends (cancelled, server gone, or refused: then with the error). */
  readonly ended: Promise<grpc.StatusObject | Error>;
}

type Stub = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

function toWire(item: PublishItem): RegistryPublication {
  const i = item.instance;
  const instance: RegistryInstance = {
    ip: i.ip,
    port: i.port,
    weight: i.weight ?? 1,
    healthy: i.healthy ?? true,
    enabled: i.enabled ?? true,
    cluster_name: i.clusterName ?? '',
    metadata: i.metadata ?? {},
    instance_id: i.instanceId ?? '',
    persistent: i.persistent === true,
  };
  return { namespace: item.namespace ?? '', group: item.group ?? '', service: item.service, instance };
}

/**
 * Client of the registry API (proto/registry/v1) that sync tasks use to keep copies alive in a
 * distro-sync region: publish under `sync:<taskId>` with a lease, renew once per task, withdraw,
 * list, watch. Errors are gRPC ServiceErrors carrying the status code and the field at fault.
 */
export class RegistryApiClient {
  private readonly stub: Stub;
  private readonly timeoutMs: number;
  private readonly metadata = new grpc.Metadata();

  constructor(address: string, options: RegistryApiClientOptions = {}) {
    const Client = serviceClient(registryProto(), 'registry.v1.RegistryService');
    this.stub = new Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      // A watch may sit silent for long: pings keep middleboxes from dropping it unnoticed.
      'grpc.keepalive_time_ms': 30_000,
      ...NO_CHANNELZ,
    }) as unknown as Stub;
    this.timeoutMs = options.timeoutMs ?? 5000;
    if (options.token !== undefined) this.metadata.set('authorization', `Bearer ${options.token}`);
  }

  /** Publishes and (re)starts the lease; `replace` makes the batch everything the task publishes. */
  publish(
    taskId: string,
    items: PublishItem[],
    options: { ttlMs?: number; replace?: boolean } = {},
  ): Promise<PublishResponse> {
    return this.unary('Publish', {
      task_id: taskId,
      publications: items.map(toWire),
      ttl_ms: options.ttlMs ?? 0,
      replace: options.replace ?? false,
    });
  }

  renew(taskId: string, ttlMs = 0): Promise<RenewResponse> {
    return this.unary('Renew', { task_id: taskId, ttl_ms: ttlMs });
  }

  /** Withdraws the named instances, or everything the task publishes when `items` is 'all'. */
  withdraw(taskId: string, items: PublishItem[] | 'all'): Promise<WithdrawResponse> {
    return items === 'all'
      ? this.unary('Withdraw', { task_id: taskId, all: true, publications: [] })
      : this.unary('Withdraw', { task_id: taskId, all: false, publications: items.map(toWire) });
  }

  list(
    selector: Partial<RegistrySelector>,
    options: Partial<Omit<ListRequest, 'selector'>> = {},
  ): Promise<ListResponse> {
    return this.unary('List', {
      selector: { namespace: '', group_pattern: '', service_pattern: '', ...selector },
      task_id: options.task_id ?? '',
      page_size: options.page_size ?? 0,
      page_token: options.page_token ?? '',
    });
  }

  /** Streams snapshots and then changes of every matching service to `onEvent`. */
  watch(selector: Partial<RegistrySelector>, onEvent: (event: WatchEvent) => void): Watch {
    const call = this.stub.Watch(
      { selector: { namespace: '', group_pattern: '', service_pattern: '', ...selector } },
      this.metadata,
    ) as grpc.ClientReadableStream<WatchEvent>;
    call.on('data', onEvent);
    const ended = new Promise<grpc.StatusObject | Error>((resolve) => {
      call.on('status', resolve);
      call.on('error', resolve);
    });
    return { cancel: () => call.cancel(), ended };
  }

  close(): void {
    this.stub.close();
  }

  private unary<T>(method: string, request: object): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.stub[method](
        request,
        this.metadata,
        { deadline: Date.now() + this.timeoutMs },
        (err: grpc.ServiceError | null, response: T) => (err ? reject(err) : resolve(response)),
      );
    });
  }
}
