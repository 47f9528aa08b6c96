import { useState } from 'preact/hooks';
import { api, can } from '../api';
import type { Cluster, ClusterCheck, Me, Page } from '../api';
import { Badge, Card, Empty, ErrorBox, Loading, Notice, useAction, usePoll } from '../ui';
import { ClusterForm } from '../cluster-form';

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
