import { useState } from 'preact/hooks';
import { api } from './api';
import type { Cluster } from './api';
import { ErrorBox, inputValue, useAction } from './ui';

// The clusters page's form: only the fields the kind takes; credentials and TLS material write-only.
const KINDS = ['local', 'distro', 'nacos', 'zookeeper', 'etcd'] as const;
const LAYOUTS: Record<string, string[]> = {
  zookeeper: ['dubbo', 'dubbo-app', 'spring-cloud'],
  etcd: ['grpc-naming', 'kratos'],
};

interface Form {
  name: string;
  kind: string;
  addresses: string;
  namespace: string;
  username: string;
  password: string;
  token: string;
  description: string;
  layout: string;
  prefix: string;
  tlsCa: string;
  tlsCert: string;
  tlsKey: string;
  check: boolean;
}

const EMPTY: Form = {
  name: '',
  kind: 'distro',
  addresses: '',
  namespace: '',
  username: '',
  password: '',
  token: '',
  description: '',
  layout: '',
  prefix: '',
  tlsCa: '',
  tlsCert: '',
  tlsKey: '',
  check: true,
};

function formOf(c: Cluster): Form {
  return {
    ...EMPTY,
    name: c.name,
    kind: c.kind,
    addresses: c.addresses.join('\n'),
    namespace: c.namespace ?? '',
    username: c.username ?? '',
    description: c.description ?? '',
    layout: c.layout ?? '',
    prefix: c.prefix ?? '',
    check: c.kind !== 'local',
  };
}

/** The request body: only fields the kind uses; a credential only when typed (they are write-only). */
function bodyOf(f: Form, editing: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (!editing) {
    body.name = f.name.trim();
    body.kind = f.kind;
  }
  if (f.kind !== 'local') {
    body.addresses = f.addresses
      .split(/[\s,]+/)
      .map((a) => a.trim())
      .filter(Boolean);
  }
  if (f.kind === 'nacos' && f.namespace.trim()) body.namespace = f.namespace.trim();
  if (['nacos', 'zookeeper', 'etcd'].includes(f.kind) && f.username.trim()) body.username = f.username.trim();
  if (f.password) body.password = f.password;
  if (f.token) body.token = f.token;
  if (f.description.trim() || editing) body.description = f.description.trim();
  if (LAYOUTS[f.kind] && f.layout) body.layout = f.layout;
  // An empty prefix on edit restores the layout's default; on create it is left out (the default).
  if (LAYOUTS[f.kind] && (f.prefix.trim() || editing)) body.prefix = f.prefix.trim();
  // TLS material is write-only like a password: sent only when pasted.
  if (f.kind === 'etcd') for (const k of ['tlsCa', 'tlsCert', 'tlsKey'] as const) if (f[k].trim()) body[k] = f[k];
  return body;
}

export function ClusterForm({ editing, onDone }: { editing?: Cluster; onDone: () => void }) {
  const [f, setF] = useState<Form>(editing ? formOf(editing) : EMPTY);
  const action = useAction();
  const set = (k: keyof Form) => (e: Event) => setF({ ...f, [k]: inputValue(e) });
  const save = (e: Event) => {
    e.preventDefault();
    const query = f.check && f.kind !== 'local' ? '?check=true' : '';
    void action
      .run(() =>
        editing
          ? api('PATCH', `/clusters/${editing.id}${query}`, bodyOf(f, true))
          : api('POST', `/clusters${query}`, bodyOf(f, false)),
      )
      .then((ok) => ok && onDone());
  };
  const secretHint = editing?.hasCredentials ? 'stored — type to replace' : 'not set';
  return (
    <form class="form" onSubmit={save} data-test="cluster-form">
      <div class="row">
        <label>
          Name
          <input name="name" value={f.name} disabled={!!editing} onInput={set('name')} placeholder="region-a" />
        </label>
        <label>
          Kind
          <select name="kind" value={f.kind} disabled={!!editing} onChange={set('kind')}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
      </div>
      {f.kind === 'local' ? (
        <p class="muted small">A local cluster is this region itself, in-process: no address or credentials.</p>
      ) : (
        <label>
          Addresses (one per line)
          <textarea
            name="addresses"
            rows={2}
            value={f.addresses}
            onInput={set('addresses')}
            placeholder={f.kind === 'zookeeper' ? 'zk-1:2181\nzk-2:2181/apps' : 'distro-sync.region-a:8848'}
          />
        </label>
      )}
      {f.kind === 'nacos' ? (
        <label>
          Namespace
          <input name="namespace" value={f.namespace} onInput={set('namespace')} placeholder="public" />
        </label>
      ) : null}
      {LAYOUTS[f.kind] ? (
        <label>
          Layout
          <select name="layout" value={f.layout} onChange={set('layout')}>
            <option value="">(default)</option>
            {LAYOUTS[f.kind].map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {LAYOUTS[f.kind] ? (
        <label>
          {f.kind === 'zookeeper' ? 'Root path' : 'Key prefix'}{' '}
          <span class="muted small">(empty: the layout's default)</span>
          <input
            name="prefix"
            value={f.prefix}
            onInput={set('prefix')}
            placeholder={f.kind === 'etcd' ? '/apps' : '/dubbo'}
          />
        </label>
      ) : null}
      {f.kind === 'etcd' ? (
        <div class="row">
          {(
            [
              ['tlsCa', 'TLS CA (PEM)'],
              ['tlsCert', 'TLS client certificate (PEM)'],
              ['tlsKey', 'TLS client key (PEM)'],
            ] as const
          ).map(([k, label]) => (
            <label key={k}>
              {label} <span class="muted small">({editing ? secretHint : 'write-only'})</span>
              <textarea name={k} rows={3} value={f[k]} onInput={set(k)} autoComplete="off" spellcheck={false} />
            </label>
          ))}
        </div>
      ) : null}
      {['nacos', 'zookeeper', 'etcd'].includes(f.kind) ? (
        <div class="row">
          <label>
            Username
            <input name="username" value={f.username} onInput={set('username')} autoComplete="off" />
          </label>
          <label>
            Password <span class="muted small">({editing ? secretHint : 'write-only'})</span>
            <input
              name="password"
              type="password"
              value={f.password}
              onInput={set('password')}
              autoComplete="new-password"
            />
          </label>
        </div>
      ) : null}
      {f.kind === 'distro' ? (
        <label>
          Token{' '}
          <span class="muted small">
            (the other region's ADMIN_TOKEN; {editing ? secretHint : 'write-only, never shown again'})
          </span>
          <input name="token" type="password" value={f.token} onInput={set('token')} autoComplete="new-password" />
        </label>
      ) : null}
      <label>
        Description
        <input name="description" value={f.description} onInput={set('description')} />
      </label>
      {f.kind !== 'local' ? (
        <label class="check">
          <input
            type="checkbox"
            name="check"
            checked={f.check}
            onChange={(e) => setF({ ...f, check: e.currentTarget.checked })}
          />
          Check it first: refuse to save a cluster that cannot be reached or refuses the credentials
        </label>
      ) : null}
      <ErrorBox error={action.error} />
      <div class="buttons">
        <button class="btn btn-primary" type="submit" disabled={action.busy}>
          {action.busy ? (f.check ? 'Checking…' : 'Saving…') : editing ? 'Save changes' : 'Create cluster'}
        </button>
        <button class="btn" type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
