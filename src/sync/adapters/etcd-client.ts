import { Etcd3 } from 'etcd3';

import type { ICompare, IKeyValue, IOptions, IRequestOp } from 'etcd3';

/** How to reach an etcd cluster: its client addresses and, when set, auth and TLS. */
export interface EtcdConnection {
  /** `host:port` client addresses. */
  addresses: readonly string[];
  username?: string;
  password?: string;
  /** PEM: the CA that signed the servers' certificates; with it the client speaks TLS. */
  tlsCa?: string;
  /** PEM: a client certificate and its key, for servers that ask for one. */
  tlsCert?: string;
  tlsKey?: string;
}

/** One key as read, with what the target needs to write it back safely. */
export interface EtcdKv {
  key: string;
  value: string;
  modRevision: string;
  lease: string;
}

/** A range read: every key under a prefix at one revision. */
export interface EtcdRange {
  kvs: EtcdKv[];
  revision: string;
}

/**
 * Unary calls fail after this long; streams (watch, keep-alive) are not bounded. etcd3 tries a call
 * that failed for a recoverable reason (unavailable, deadline) three times, so a server that accepts
 * connections and never answers costs three of these.
 */
const CALL_TIMEOUT_MS = 2000;
/** Keys per range page, all pages read at the first page's revision. */
const PAGE = 2000;
/** Operations per transaction (etcd refuses more than 128 by default). */
export const TXN_OPS = 100;

/**
 * The etcd v3 API as the adapter uses it, over the `etcd3` client: prefix range reads at one
 * revision (paged), conditional transactions, leases granted and kept alive one round at a time
 * (the worker decides when, not a timer here), and the server's status.
 */
export class EtcdClient {
  readonly client: Etcd3;

  constructor(connection: EtcdConnection) {
    const tls = connection.tlsCa !== undefined;
    const options: IOptions = {
      hosts: connection.addresses.map((a) => `${tls ? 'https' : 'http'}://${a}`),
      dialTimeout: CALL_TIMEOUT_MS,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + CALL_TIMEOUT_MS }),
    };
    if (connection.username !== undefined && connection.password !== undefined) {
      options.auth = { username: connection.username, password: connection.password };
    }
    if (tls) {
      options.credentials = {
        rootCertificate: Buffer.from(connection.tlsCa ?? ''),
        ...(connection.tlsCert !== undefined ? { certChain: Buffer.from(connection.tlsCert) } : {}),
        ...(connection.tlsKey !== undefined ? { privateKey: Buffer.from(connection.tlsKey) } : {}),
      };
    }
    this.client = new Etcd3(options);
  }

  /** Every key under `prefix`, all at one revision (the first page's), page by page. */
  async range(prefix: string): Promise<EtcdRange> {
    const end = prefixEnd(prefix);
    const kvs: EtcdKv[] = [];
    // etcd names "every key" as the range from \0 to \0.
    let from = prefix === '' ? Buffer.from([0]) : Buffer.from(prefix);
    let revision: string | undefined;
    for (;;) {
      const res = await this.client.kv.range({
        key: from,
        range_end: end,
        limit: PAGE,
        ...(revision !== undefined ? { revision } : {}),
      });
      revision ??= res.header.revision;
      for (const kv of res.kvs) kvs.push(toKv(kv));
      if (!res.more || res.kvs.length === 0) return { kvs, revision };
      from = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])]);
    }
  }

  /**
   * Runs `ops` under `compares` in one transaction. When a compare fails nothing is written, and the
   * keys of `readOnFailure` are read instead at that revision (to tell why): `read` holds the values
   * of those that exist.
   */
  async txn(
    compares: ICompare[],
    ops: IRequestOp[],
    readOnFailure: readonly string[] = [],
  ): Promise<{ succeeded: boolean; read: Map<string, string> }> {
    const res = await this.client.kv.txn({
      compare: compares,
      success: ops,
      failure: readOnFailure.map((key) => ({ request_range: { key: Buffer.from(key) } })),
    });
    const read = new Map<string, string>();
    if (!res.succeeded) {
      for (const r of res.responses)
        for (const kv of r.response_range?.kvs ?? []) read.set(kv.key.toString(), kv.value.toString());
    }
    return { succeeded: res.succeeded, read };
  }

  /** A new lease of `ttlSeconds`; its id. */
  async grant(ttlSeconds: number): Promise<string> {
    return (await this.client.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: 0 })).ID;
  }

  /** One keep-alive of a lease: its remaining TTL in seconds, 0 when etcd no longer has it. */
  async keepAliveOnce(id: string): Promise<number> {
    const stream = await this.client.leaseClient.leaseKeepAlive();
    try {
      const res = await new Promise<{ TTL: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('etcd lease keep-alive timed out')), CALL_TIMEOUT_MS);
        stream.on('data', (r: { TTL: string }) => {
          clearTimeout(timer);
          resolve(r);
        });
        stream.on('error', (err: Error) => {
          clearTimeout(timer);
          reject(err);
        });
        stream.write({ ID: id });
      });
      return Number(res.TTL);
    } finally {
      stream.end();
    }
  }

  async revoke(id: string): Promise<void> {
    try {
      await this.client.leaseClient.leaseRevoke({ ID: id });
    } catch (err) {
      // Revoking a lease that has expired already is done.
      if (!/requested lease not found/.test((err as Error).message)) throw err;
    }
  }

  /** The version of the server that answers. */
  async version(): Promise<string> {
    return (await this.client.maintenance.status()).version;
  }

  close(): void {
    this.client.close();
  }
}

/** A put that only takes effect when the key is still as it was read (absent: revision 0). */
export function putIfUnchanged(
  key: string,
  value: string,
  lease: string,
  modRevision: string | undefined,
): { compare: ICompare; op: IRequestOp } {
  return {
    compare: { key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: modRevision ?? 0 },
    op: { request_put: { key: Buffer.from(key), value: Buffer.from(value), lease } },
  };
}

/** A delete that only takes effect when the key is still as it was read. */
export function deleteIfUnchanged(key: string, modRevision: string): { compare: ICompare; op: IRequestOp } {
  return {
    compare: { key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: modRevision },
    op: { request_delete_range: { key: Buffer.from(key) } },
  };
}

/** The end of the range of keys starting with `prefix` (all keys for an empty prefix). */
export function prefixEnd(prefix: string): Buffer {
  const bytes = Buffer.from(prefix);
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i] < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i]++;
      return end;
    }
  }
  return Buffer.from([0]);
}

function toKv(kv: IKeyValue): EtcdKv {
  return { key: kv.key.toString(), value: kv.value.toString(), modRevision: kv.mod_revision, lease: kv.lease };
}
