import { useState } from 'preact/hooks';
import { api, can } from '../api';
import type { Cluster, ClusterCheck, Me, Page } from '../api';
import { Badge, Card, Empty, ErrorBox, Loading, Notice, inputValue, useAction, usePoll } from '../ui';

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

function ClusterForm({ editing, onDone }: { editing?: Cluster; onDone: () => void }) {
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

function CheckResult({ check }: { check: ClusterCheck }) {
  const facts = [
    check.version,
    check.protocol && `protocol ${check.protocol}`,
    check.layout && `layout ${check.layout}${check.layoutFound === false ? ' (not found)' : ''}`,
    check.services !== undefined && `${check.services} services`,
    check.instances !== undefined && `${check.instances} instances`,
    `${check.latencyMs} ms`,
  ].filter(Boolean);
  return (
    <div class={`alert ${check.reachable ? 'alert-ok' : 'alert-error'}`} data-test="check-result">
      {check.reachable ? 'Reachable' : 'Not reachable'} — {check.error ?? facts.join(' · ')}
    </div>
  );
}

function ClusterRow({ c, me, onEdit, reload }: { c: Cluster; me: Me; onEdit: () => void; reload: () => void }) {
  const action = useAction();
  const [check, setCheck] = useState<ClusterCheck | undefined>(undefined);
  const admin = can(me, 'admin');
  const runCheck = () =>
    void action.run(async () => setCheck(await api<ClusterCheck>('POST', `/clusters/${c.id}/check`)));
  const remove = () => {
    if (!confirm(`Delete cluster ${c.name}? Tasks must not use it.`)) return;
    void action.run(() => api('DELETE', `/clusters/${c.id}`)).then((ok) => ok && reload());
  };
  return (
    <>
      <tr data-test={`cluster-${c.name}`}>
        <td>
          <strong>{c.name}</strong>
          {c.description ? <div class="muted small">{c.description}</div> : null}
        </td>
        <td>
          <Badge tone="info">{c.kind}</Badge>
          {c.layout ? <span class="muted small"> {c.layout}</span> : null}
        </td>
        <td class="wrap">{c.kind === 'local' ? <span class="muted">this region</span> : c.addresses.join(', ')}</td>
        <td>{c.hasCredentials ? <Badge tone="muted">stored</Badge> : <span class="muted">none</span>}</td>
        <td class="actions">
          {admin ? (
            <>
              <button class="btn btn-small" disabled={action.busy} onClick={runCheck}>
                Check
              </button>
              <button class="btn btn-small" onClick={onEdit}>
                Edit
              </button>
              <button class="btn btn-small btn-danger" disabled={action.busy} onClick={remove}>
                Delete
              </button>
            </>
          ) : null}
        </td>
      </tr>
      {check || action.error ? (
        <tr>
          <td colSpan={5}>
            {check ? <CheckResult check={check} /> : null}
            <ErrorBox error={action.error} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

export function Clusters({ me }: { me: Me }) {
  const clusters = usePoll(() => api<Page<Cluster>>('GET', '/clusters?pageSize=500'), 0);
  const [editing, setEditing] = useState<Cluster | 'new' | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const done = (what: string) => () => {
    setEditing(undefined);
    setNotice(what);
    clusters.reload();
  };
  const list = clusters.data?.items ?? [];
  return (
    <div class="page">
      <h1>Clusters</h1>
      <p class="muted">
        The registries tasks copy from and into: <code>local</code> is this region; <code>distro</code> another
        distro-sync region (its registry API takes the other region's <code>ADMIN_TOKEN</code>); <code>nacos</code>,{' '}
        <code>zookeeper</code> and <code>etcd</code> foreign registries. Credentials are write-only.
      </p>
      <Notice text={notice} />
      {editing ? (
        <Card title={editing === 'new' ? 'New cluster' : `Edit ${editing.name}`}>
          <ClusterForm
            editing={editing === 'new' ? undefined : editing}
            onDone={done(editing === 'new' ? 'Cluster created.' : 'Cluster saved.')}
          />
        </Card>
      ) : null}
      <Card
        title="Clusters"
        actions={
          can(me, 'admin') && !editing ? (
            <button class="btn btn-primary" onClick={() => (setNotice(undefined), setEditing('new'))}>
              New cluster
            </button>
          ) : null
        }
      >
        <ErrorBox error={clusters.error} />
        {!clusters.data ? (
          <Loading what="clusters" />
        ) : list.length === 0 ? (
          <Empty>No cluster yet. {can(me, 'admin') ? 'Start with this region: New cluster, kind local.' : ''}</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Addresses</th>
                <th>Credentials</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <ClusterRow
                  key={c.id}
                  c={c}
                  me={me}
                  onEdit={() => (setNotice(undefined), setEditing(c))}
                  reload={clusters.reload}
                />
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}
