import { Etcd3 } from 'etcd3';
import { Registry } from '../../src/registry';
import type { Instance } from '../../src/registry';
import { adminRequest } from '../../tools/support/admin-request';
import type { TestNode } from '../support/app';

/**
 * What the etcd specs share: a region node's admin API and registry, and registrations written into
 * etcd byte for byte as the frameworks write them.
 */
export const ADMIN_TOKEN = 'etcd-cluster-spec-admin-token';

export function admin<T = any>(node: TestNode, method: string, path: string, body?: unknown): Promise<T> {
  return adminRequest<T>(`${node.base}/api/v1${path}`, ADMIN_TOKEN, method, body);
}

/** The status and body of an admin call that may be refused. */
export async function adminStatus(
  node: TestNode,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${node.base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** A native (persistent) instance registered in the node's own region over Nacos HTTP v1. */
export async function registerNative(
  node: TestNode,
  service: string,
  ip: string,
  port: number,
  extra: Record<string, string> = {},
): Promise<void> {
  const qs = new URLSearchParams({ serviceName: service, ip, port: String(port), ephemeral: 'false', ...extra });
  const res = await fetch(`${node.base}/nacos/v1/ns/instance?${qs.toString()}`, { method: 'POST' });
  if (res.status >= 400) throw new Error(`register ${service} ${ip}:${port}: ${res.status} ${await res.text()}`);
}

export async function deregisterNative(node: TestNode, service: string, ip: string, port: number): Promise<void> {
  const qs = new URLSearchParams({ serviceName: service, ip, port: String(port), ephemeral: 'false' });
  const res = await fetch(`${node.base}/nacos/v1/ns/instance?${qs.toString()}`, { method: 'DELETE' });
  if (res.status >= 400) throw new Error(`deregister ${service}: ${res.status} ${await res.text()}`);
}

/** The instances of a service of the node's region (`public`, DEFAULT_GROUP), sorted by address. */
export function instancesIn(node: TestNode, service: string): Instance[] {
  return node.app
    .get(Registry)
    .listInstances({ namespace: 'public', group: 'DEFAULT_GROUP', name: service })
    .sort((x, y) => `${x.ip}:${x.port}`.localeCompare(`${y.ip}:${y.port}`));
}

/** gRPC-go's `endpoints.Manager.AddEndpoint` value (`json.Marshal` of `Update`), byte for byte. */
export function grpcNamingValue(addr: string, metadata: Record<string, string> | null = null): string {
  return `{"Op":0,"Addr":${JSON.stringify(addr)},"Metadata":${JSON.stringify(metadata)}}`;
}

/** Kratos's etcd registry value (`json.Marshal` of `registry.ServiceInstance`; Go sorts map keys). */
export function kratosValue(
  id: string,
  name: string,
  version: string,
  metadata: Record<string, string>,
  endpoints: string[],
): string {
  const sorted = Object.fromEntries(Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify({ id, name, version, metadata: sorted, endpoints });
}

/** Every key under a prefix with its value and lease, as the test's own etcd client reads it. */
export async function keysUnder(
  etcd: Etcd3,
  prefix: string,
): Promise<Map<string, { value: string; lease: string; modRevision: string }>> {
  const res = await etcd.getAll().prefix(prefix).exec();
  return new Map(
    res.kvs.map((kv) => [
      kv.key.toString(),
      { value: kv.value.toString(), lease: kv.lease, modRevision: kv.mod_revision },
    ]),
  );
}

export function etcdClient(
  address: string,
  auth?: { username: string; password: string },
  tls?: { ca: string; clientCert: string; clientKey: string },
): Etcd3 {
  return new Etcd3({
    hosts: `${tls ? 'https' : 'http'}://${address}`,
    ...(auth ? { auth } : {}),
    ...(tls
      ? {
          credentials: {
            rootCertificate: Buffer.from(tls.ca),
            certChain: Buffer.from(tls.clientCert),
            privateKey: Buffer.from(tls.clientKey),
          },
        }
      : {}),
  });
}
