import { api } from '../api';
import type { Page, Task, Worker } from '../api';
import { Badge, Card, Empty, ErrorBox, LIVE_MS, Loading, ago, usePoll } from '../ui';

export function Workers() {
  const workers = usePoll(() => api<Worker[]>('GET', '/workers'), LIVE_MS * 2);
  const tasks = usePoll(() => api<Page<Task>>('GET', '/tasks?pageSize=500'), LIVE_MS * 2);
  const names = new Map((tasks.data?.items ?? []).map((t) => [t.id, t.name]));
  const list = workers.data ?? [];
  return (
    <div class="page">
      <h1>Workers</h1>
      <p class="muted">
        Every replica runs a sync worker; a Postgres lease gives each task to one replica at a time, and another takes
        it over within the lease TTL when a replica stops.
      </p>
      <Card title="Replicas">
        <ErrorBox error={workers.error} />
        {!workers.data ? (
          <Loading what="workers" />
        ) : list.length === 0 ? (
          <Empty>No worker has registered yet.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Worker</th>
                <th>Host / pid</th>
                <th>Version</th>
                <th>Started</th>
                <th>Heartbeat</th>
                <th>Leases held</th>
              </tr>
            </thead>
            <tbody>
              {list.map((w) => (
                <tr key={w.id} data-test="worker">
                  <td class="mono small">{w.id}</td>
                  <td>
                    {w.hostname} / {w.pid}
                  </td>
                  <td>{w.version}</td>
                  <td>{ago(w.startedAt)}</td>
                  <td>{ago(w.lastHeartbeatAt)}</td>
                  <td>
                    {w.leases.length === 0 ? (
                      <span class="muted">none</span>
                    ) : (
                      w.leases.map((id) => (
                        <a key={id} href={`#/tasks/${id}`}>
                          <Badge tone="info">{names.get(id) ?? id.slice(0, 8)}</Badge>
                        </a>
                      ))
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}
