import type { ServiceKey } from '@/registry';
import type { CopyRecord } from '../reconcile/copy-plan';
import { copyInstance } from '../reconcile/copy-plan';
import { NacosClientError } from './nacos-grpc-client';
import type { NacosNamingClient } from './nacos-grpc-client';
import type { NacosV1Client } from './nacos-v1-client';

/** Nacos's answer to a request type the server has no handler for (servers before 2.3 for PersistentInstanceRequest). */
const NO_HANDLER = 302;

/**
 * Writes persistent copies into a Nacos 2.x/3.x cluster as the Nacos Java client writes persistent
 * instances: PersistentInstanceRequest over gRPC where the server has it (2.3 and later), else the
 * HTTP v1 API of the same servers with `ephemeral=false` (NamingHttpClientProxy). The first "no
 * handler" answer moves this writer to HTTP v1 for good; the v1 client is made only then.
 */
export class NacosPersistentWriter {
  private overHttp = false;
  private v1: NacosV1Client | undefined;

  constructor(
    private readonly grpc: NacosNamingClient,
    private readonly makeV1: () => NacosV1Client,
  ) {}

  /** The protocol persistent copies go over now. */
  get protocol(): 'grpc' | 'http-v1' {
    return this.overHttp ? 'http-v1' : 'grpc';
  }

  register(key: ServiceKey, copy: CopyRecord): Promise<void> {
    return this.write('registerInstance', key, copy);
  }

  deregister(key: ServiceKey, copy: CopyRecord): Promise<void> {
    return this.write('deregisterInstance', key, copy);
  }

  private async write(type: 'registerInstance' | 'deregisterInstance', key: ServiceKey, copy: CopyRecord) {
    const persistent: CopyRecord = { ...copy, ephemeral: false };
    if (!this.overHttp) {
      try {
        await this.grpc.persistent(type, key.name, copyInstance(persistent), { group: key.group });
        return;
      } catch (err) {
        if (!(err instanceof NacosClientError && err.errorCode === NO_HANDLER)) throw err;
        this.overHttp = true;
      }
    }
    this.v1 ??= this.makeV1();
    if (type === 'registerInstance') await this.v1.register(key, persistent);
    else await this.v1.deregister(key, persistent);
  }
}
