import { useState } from 'preact/hooks';
import { api, can } from '../api';
import type { Cluster, Me, Page, Task } from '../api';
import { HealthBadge } from '../health';
import { HoldBanner, TaskActions } from '../task-actions';
import { TaskForm } from '../task-form';
import { Badge, Card, Empty, ErrorBox, LIVE_MS, Loading, Notice, Reach, ago, duration, usePoll } from '../ui';

export function selectorText(t: Task): string {
  const s = `${t.namespace}/${t.groupName}@@${t.serviceName}`;
  return t.exclude.length ? `${s} except ${t.exclude.join(', ')}` : s;
}

function TaskRow({
  t,
  me,
  names,
  onChanged,
  onEdit,
}: {
  t: Task;
  me: Me;
  names: Map<string, string>;
  onChanged: () => void;
  onEdit: () => void;
}) {
  return (
    <tr data-test={`task-${t.name}`}>
      <td>
        <a href={`#/tasks/${t.id}`}>
          <strong>{t.name}</strong>
        </a>
        <div class="muted small mono">{selectorText(t)}</div>
      </td>
      <td>
        {names.get(t.sourceClusterId) ?? '?'} → {names.get(t.targetClusterId) ?? '?'}
        <div>
          <Reach value={t.sourceReachable} what="source" /> <Reach value={t.targetReachable} what="target" />
        </div>
      </td>
      <td>
        <Badge tone={t.status === 'running' ? 'info' : 'muted'}>{t.status}</Badge> <HealthBadge task={t} />
        {t.lastError ? <div class="small err-text">{t.lastError}</div> : null}
      </td>
      <td class="num" data-test="applied">
        {t.applied} / {t.desired}
      </td>
      <td class="num">{duration(t.lagMs)}</td>
      <td class="small">
        {t.owner ? <span class="mono">{t.owner.slice(0, 24)}</span> : <span class="muted">no holder</span>}
        <div class="muted">reconciled {ago(t.lastReconcileAt)}</div>
      </td>
      <td>
        <TaskActions task={t} me={me} onChanged={onChanged} onEdit={onEdit} />
      </td>
    </tr>
  );
}

export function Tasks({ me }: { me: Me }) {
  const tasks = usePoll(() => api<Page<Task>>('GET', '/tasks?pageSize=500'), LIVE_MS);
  const clusters = usePoll(() => api<Page<Cluster>>('GET', '/clusters?pageSize=500'), 0);
  const [editing, setEditing] = useState<Task | 'new' | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const names = new Map((clusters.data?.items ?? []).map((c) => [c.id, c.name]));
  const list = tasks.data?.items ?? [];
  const held = list.filter((t) => t.hold);
  const done = (saved: boolean) => {
    if (saved)
      setNotice(editing === 'new' ? 'Task created: its holder starts it within a lease round.' : 'Task saved.');
    setEditing(undefined);
    tasks.reload();
  };
  return (
    <div class="page">
      <h1>Sync tasks</h1>
      <Notice text={notice} />
      {held.map((t) => (
        <HoldBanner key={t.id} task={t} me={me} onChanged={tasks.reload} />
      ))}
      {editing ? (
        <Card title={editing === 'new' ? 'New task' : `Edit ${editing.name}`}>
          {clusters.data ? (
            <TaskForm task={editing === 'new' ? undefined : editing} clusters={clusters.data.items} onDone={done} />
          ) : (
            <Loading what="clusters" />
          )}
        </Card>
      ) : null}
      <Card
        title="Tasks"
        actions={
          can(me, 'admin') && !editing ? (
            <button class="btn btn-primary" onClick={() => (setNotice(undefined), setEditing('new'))}>
              New task
            </button>
          ) : null
        }
      >
        <ErrorBox error={tasks.error ?? clusters.error} />
        {!tasks.data ? (
          <Loading what="tasks" />
        ) : list.length === 0 ? (
          <Empty>
            No task yet. A task copies what matches its selector from a source cluster into a target cluster; each
            region usually pulls the other into itself.
          </Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Task</th>
                <th>Source → target</th>
                <th>Status</th>
                <th class="num">Applied / desired</th>
                <th class="num">Lag</th>
                <th>Holder</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.map((t) => (
                <TaskRow
                  key={t.id}
                  t={t}
                  me={me}
                  names={names}
                  onChanged={tasks.reload}
                  onEdit={() => (setNotice(undefined), setEditing(t))}
                />
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}
