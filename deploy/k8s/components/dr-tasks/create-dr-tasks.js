#!/usr/bin/env node
'use strict';
/**
 * Creates, through the admin API of this region, whatever is missing of:
 *   1. the cluster row of this region   {name: LOCAL_CLUSTER_NAME, kind: 'local'}
 *   2. the cluster row of the peer      {name: PEER_CLUSTER_NAME, kind: PEER_CLUSTER_KIND, addresses}
 *   3. the sync task peer → local for every namespace, group and service
 * Each is looked up by name first, so running it again changes nothing; rows that exist are left
 * as they are (change them with PATCH, see docs/deploy.md). Plain Node 20, no dependencies: it runs
 * in the app's own image from a ConfigMap. Tokens are sent, never printed.
 */

const env = process.env;

function setting(name, fallback) {
  const value = (env[name] ?? '').trim();
  if (value) return value;
  if (fallback !== undefined) return fallback;
  throw new Error(`${name} is required`);
}

function log(message, fields = {}) {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg: message, ...fields })}\n`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class AdminApi {
  constructor(baseUrl, token) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.token = token;
  }

  async call(method, path, body) {
    const headers = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10000),
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.status, body: json };
  }

  /** Waits until the node behind the Service reports ready (database up, Distro initialized). */
  async waitReady(deadlineMs) {
    let last = 'no answer';
    while (Date.now() < deadlineMs) {
      try {
        const res = await this.call('GET', '/health/ready');
        if (res.status === 200) return;
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      log('admin API not ready yet', { reason: last });
      await sleep(2000);
    }
    throw new Error(`admin API not ready in time (${last})`);
  }

  /** The row of `collection` named exactly `name`, or undefined. */
  async findByName(collection, name) {
    const res = await this.call('GET', `/api/v1/${collection}?name=${encodeURIComponent(name)}`);
    if (res.status !== 200) throw new Error(`GET /api/v1/${collection}: HTTP ${res.status} ${describe(res.body)}`);
    return rowsOf(res.body).find((row) => row && row.name === name);
  }

  /** Finds the row named `spec.name`, creating it when missing; a concurrent creator (409) is fine. */
  async ensure(collection, spec) {
    const existing = await this.findByName(collection, spec.name);
    if (existing) {
      log(`${collection}: "${spec.name}" exists, left as it is`, { id: existing.id });
      return existing;
    }
    const res = await this.call('POST', `/api/v1/${collection}`, spec);
    if (res.status === 200 || res.status === 201) {
      log(`${collection}: created "${spec.name}"`, { id: res.body && res.body.id });
      return res.body;
    }
    if (res.status === 409) {
      const raced = await this.findByName(collection, spec.name);
      if (raced) return raced;
    }
    throw new Error(`POST /api/v1/${collection} "${spec.name}": HTTP ${res.status} ${describe(res.body)}`);
  }
}

/** Paged answers may be a bare array or carry the rows under items/data. */
function rowsOf(body) {
  if (Array.isArray(body)) return body;
  if (body && Array.isArray(body.items)) return body.items;
  if (body && Array.isArray(body.data)) return body.data;
  return [];
}

function describe(body) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return (text ?? '').slice(0, 500);
}

async function main() {
  const api = new AdminApi(setting('ADMIN_URL'), setting('ADMIN_TOKEN', ''));
  const localName = setting('LOCAL_CLUSTER_NAME');
  const peerName = setting('PEER_CLUSTER_NAME');
  const peerToken = setting('PEER_TOKEN', '');
  const addresses = setting('PEER_ADDRESSES')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
  const taskName = setting('TASK_NAME', `${peerName}-to-${localName}`);

  await api.waitReady(Date.now() + Number(setting('WAIT_READY_SECONDS', '600')) * 1000);
  const local = await api.ensure('clusters', { name: localName, kind: 'local' });
  const peer = await api.ensure('clusters', {
    name: peerName,
    kind: setting('PEER_CLUSTER_KIND', 'distro'),
    addresses,
    ...(peerToken ? { token: peerToken } : {}),
  });
  await api.ensure('tasks', {
    name: taskName,
    sourceClusterId: peer.id,
    targetClusterId: local.id,
    namespace: '*',
    groupName: '*',
    serviceName: '*',
  });
  log('DR task in place', { task: taskName, source: peerName, target: localName });
}

main().catch((err) => {
  log('DR task set-up failed', { error: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
});
