import { useState } from 'preact/hooks';
import { api, can } from '../api';
import type { Cluster, Copy, Me, Page, Task, TaskEvent } from '../api';
import { HealthBadge } from '../health';
import { HoldBanner, TaskActions } from '../task-actions';
import { TaskForm } from '../task-form';
import { Badge, Card, Empty, ErrorBox, LIVE_MS, Loading, Pager, Reach, ago, duration, usePoll } from '../ui';
import { selectorText } from './tasks';

const PAGE = 20;

function Summary({ t, names }: { t: Task; names: Map<string, string> }) {
  return (
    <dl class="facts">
      <dt>Selector</dt>
      <dd class="mono">{selectorText(t)}</dd>
      <dt>Clusters</dt>
      <dd>
        {names.get(t.sourceClusterId) ?? t.sourceClusterId} → {names.get(t.targetClusterId) ?? t.targetClusterId}{' '}
        <Reach value={t.sourceReachable} what="source" /> <Reach value={t.targetReachable} what="target" />
      </dd>
      <dt>Status</dt>
      <dd>
        <Badge tone={t.status === 'running' ? 'info' : 'muted'}>{t.status}</Badge> <HealthBadge task={t} />
      </dd>
      <dt>Copies</dt>
      <dd data-test="detail-applied">
        {t.applied} applied of {t.desired} desired
      </dd>
      <dt>Lag</dt>
      <dd>{duration(t.lagMs)}</dd>
      <dt>Holder</dt>
      <dd class="mono">{t.owner ?? '— (no replica holds it yet)'}</dd>
      <dt>Last reconcile</dt>
      <dd>{ago(t.lastReconcileAt)}</dd>
      <dt>Max delete ratio</dt>
      <dd>{Math.round(t.maxDeleteRatio * 100)} %</dd>
      {t.lastError ? (
        <>
          <dt>Last error</dt>
          <dd class="err-text">
            {t.lastError}
            {t.nextAttemptAt ? <span class="muted"> · next attempt {ago(t.nextAttemptAt)}</span> : null}
          </dd>
        </>
      ) : null}
    </dl>
  );
}

function Rejected({ t }: { t: Task }) {
  if (t.rejectedCount === 0) return null;
  return (
    <Card title={`Refused instances (${t.rejectedCount})`}>
      <p class="muted small">
        Kept out on their own while everything else flows; retried when the source changes them.
      </p>
      <table>
        <tbody>
          {t.rejected.map((r) => (
            <tr key={r.service + r.address}>
              <td class="mono">{r.service}</td>
              <td class="mono">{r.address}</td>
              <td>refused by {r.refusedBy}</td>
              <td class="wrap">{r.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}

function Ledger({ id }: { id: string }) {
  const [page, setPage] = useState(1);
  const ledger = usePoll(
    () => api<Page<Copy>>('GET', `/tasks/${id}/instances?page=${page}&pageSize=${PAGE}`),
    LIVE_MS * 2,
    `${id}:${page}`,
  );
  const d = ledger.data;
  return (
    <Card title="Ledger: the copies this task wrote">
      <ErrorBox error={ledger.error} />
      {!d ? (
        <Loading what="the ledger" />
      ) : d.total === 0 ? (
        <Empty>No copy written yet.</Empty>
      ) : (
        <>
          <table data-test="ledger">
            <thead>
              <tr>
                <th>Service</th>
                <th>Address</th>
                <th>Cluster</th>
                <th>Weight</th>
                <th>Healthy</th>
                <th>Written</th>
              </tr>
            </thead>
            <tbody>
              {d.items.map((c) => (
                <tr key={`${c.namespace}/${c.groupName}/${c.serviceName}/${c.clusterName}/${c.ip}:${c.port}`}>
                  <td class="mono">
                    {c.namespace}/{c.groupName}@@{c.serviceName}
                  </td>
                  <td class="mono">
                    {c.ip}:{c.port}
                  </td>
                  <td>{c.clusterName}</td>
                  <td>{c.weight}</td>
                  <td>{c.healthy ? 'yes' : <Badge tone="warn">no</Badge>}</td>
                  <td>{ago(c.writtenAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={page} pageSize={PAGE} total={d.total} go={setPage} />
        </>
      )}
    </Card>
  );
}

export function EventTrail({ path, live }: { path: string; live: boolean }) {
  const [page, setPage] = useState(1);
  const sep = path.includes('?') ? '&' : '?';
  const events = usePoll(
    () => api<Page<TaskEvent>>('GET', `${path}${sep}page=${page}&pageSize=${PAGE}`),
    live ? LIVE_MS * 2 : 0,
    `${path}:${page}`,
  );
  const d = events.data;
  return (
    <Card title="Event trail">
      <ErrorBox error={events.error} />
      {!d ? (
        <Loading what="events" />
      ) : d.total === 0 ? (
        <Empty>No event recorded.</Empty>
      ) : (
        <>
          <table data-test="events">
            <thead>
              <tr>
                <th>When</th>
                <th>Kind</th>
                <th>Who</th>
                <th>What</th>
              </tr>
            </thead>
            <tbody>
              {d.items.map((e) => (
                <tr key={e.id}>
                  <td title={e.createdAt}>{ago(e.createdAt)}</td>
                  <td>
                    <Badge tone="muted">{e.kind}</Badge>
                  </td>
                  <td class="mono small">{e.actor}</td>
                  <td class="wrap">{e.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={page} pageSize={PAGE} total={d.total} go={setPage} />
        </>
      )}
    </Card>
  );
}

export function TaskDetail({ id, me }: { id: string; me: Me }) {
  const task = usePoll(() => api<Task>('GET', `/tasks/${id}`), LIVE_MS, id);
  const clusters = usePoll(() => api<Page<Cluster>>('GET', '/clusters?pageSize=500'), 0);
  const [editing, setEditing] = useState(false);
  const names = new Map((clusters.data?.items ?? []).map((c) => [c.id, c.name]));
  const t = task.data;
  const gone = !t && task.error?.includes('not found');
  return (
    <div class="page">
      <p>
        <a href="#/tasks">← All tasks</a>
      </p>
      <h1>{t ? t.name : 'Task'}</h1>
      {gone ? (
        <div class="alert alert-warn">This task is deleted (or never existed). Its event trail is kept:</div>
      ) : (
        <ErrorBox error={task.error} />
      )}
      {gone ? <EventTrail path={`/events?taskId=${id}`} live={false} /> : null}
      {t ? (
        <>
          <HoldBanner task={t} me={me} onChanged={task.reload} />
          {editing && clusters.data ? (
            <Card title="Edit task">
              <TaskForm
                task={t}
                clusters={clusters.data.items}
                onDone={() => {
                  setEditing(false);
                  task.reload();
                }}
              />
            </Card>
          ) : null}
          <Card
            title="State"
            actions={
              <TaskActions
                task={t}
                me={me}
                onChanged={task.reload}
                onEdit={can(me, 'admin') && !editing ? () => setEditing(true) : undefined}
              />
            }
          >
            <Summary t={t} names={names} />
          </Card>
          <Rejected t={t} />
          <Ledger id={id} />
          <EventTrail path={`/tasks/${id}/events`} live />
        </>
      ) : !task.error ? (
        <Loading what="the task" />
      ) : null}
    </div>
  );
}
