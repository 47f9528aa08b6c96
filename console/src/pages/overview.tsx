import { api } from '../api';
import type { DistroStatus, Page, ServiceList, Task } from '../api';
import { HEALTH_ORDER, HealthBadge, healthOf, healthTone } from '../health';
import { Badge, Card, Empty, ErrorBox, LIVE_MS, Loading, ago, usePoll } from '../ui';

function DistroCard() {
  const distro = usePoll(() => api<DistroStatus>('GET', '/distro'), LIVE_MS);
  const d = distro.data;
  return (
    <Card
      title="Distro (this region)"
      actions={
        d ? d.initialized ? <Badge tone="ok">initialized</Badge> : <Badge tone="bad">not initialized</Badge> : null
      }
    >
      <ErrorBox error={distro.error} />
      {!d ? (
        <Loading what="Distro state" />
      ) : (
        <>
          <p>
            This node is <code>{d.self}</code>
            {d.clustered
              ? ` with ${d.members.length} peer${d.members.length === 1 ? '' : 's'}`
              : ' (standalone: no DISTRO_MEMBERS)'}
            .{' '}
            <span class="muted" data-test="init-state">
              {d.initState}
            </span>
          </p>
          {!d.initialized ? <NotInitializedHelp initState={d.initState} /> : null}
          {d.members.length === 0 ? (
            <Empty>
              A standalone node has no Distro peers; set DISTRO_MEMBERS or DISTRO_MEMBERS_DNS to form a region.
            </Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Member</th>
                  <th>State</th>
                  <th>Initialized</th>
                  <th>Last contact</th>
                  <th>Queue</th>
                  <th>Last error</th>
                </tr>
              </thead>
              <tbody>
                {d.members.map((m) => (
                  <tr key={m.id}>
                    <td>
                      <code>{m.id}</code>
                    </td>
                    <td>
                      <Badge tone={m.state === 'UP' ? 'ok' : m.state === 'SUSPICIOUS' ? 'warn' : 'bad'}>
                        {m.state}
                      </Badge>
                    </td>
                    <td>{m.peerInitialized === undefined ? '—' : m.peerInitialized ? 'yes' : 'no'}</td>
                    <td>{ago(m.lastContact)}</td>
                    <td>{m.queueDepth}</td>
                    <td class="wrap">{m.lastError ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p class="muted small">
            Clients owned here: {d.ownedClients} · replicated from peers: {d.replicatedClients} · tombstones:{' '}
            {d.tombstones}
          </p>
        </>
      )}
    </Card>
  );
}

/** docs/distro.md, "The two log lines, and what to do": the fix, on the screen where it is needed. */
function NotInitializedHelp({ initState }: { initState: string }) {
  return (
    <div class="alert alert-error">
      <strong>Distro protocol is not initialized:</strong> this node has not loaded its start-up snapshot from a peer,
      so Nacos calls answer 503 and readiness fails. The reasons it met are in the line above and in each member's last
      error below; what to check for each (highlighted: the ones seen now):
      <ReasonTable seen={initState} />
    </div>
  );
}

/** Marks the rows of the reasons `seen` names (the init state's "last failures: …"). */
function ReasonTable({ seen = '' }: { seen?: string }) {
  const failures = /last failures: ([^)]*)/.exec(seen)?.[1] ?? '';
  const row = (reason: string) => (failures.includes(reason) ? 'match' : undefined);
  return (
    <table class="help-table">
      <tbody>
        <tr class={row('refused')}>
          <td>
            <code>refused</code>
          </td>
          <td>
            Nothing answers at the member address: is the peer running, is the address its <code>DISTRO_PORT</code> (not
            the HTTP port), does a firewall or NetworkPolicy block it?
          </td>
        </tr>
        <tr class={row('timeout')}>
          <td>
            <code>timeout</code>
          </td>
          <td>
            The peer is overloaded or the path drops packets; for a very large registry raise{' '}
            <code>DISTRO_SNAPSHOT_TIMEOUT_MS</code>.
          </td>
        </tr>
        <tr class={row('unauthenticated')}>
          <td>
            <code>unauthenticated</code>
          </td>
          <td>
            <code>DISTRO_TOKEN</code> must be identical on every node.
          </td>
        </tr>
        <tr class={row('peer not initialized')}>
          <td>
            <code>peer not initialized</code>
          </td>
          <td>
            Normal while a region starts together: the lowest member id opens as the seed and the others load from it.
            With <code>DISTRO_ALLOW_FIRST_NODE=false</code> set it to <code>true</code> on one node.
          </td>
        </tr>
        <tr class={row('bad response')}>
          <td>
            <code>bad response</code>
          </td>
          <td>
            Member lists must be the same strings on all nodes (<code>DISTRO_MEMBERS</code>, <code>DISTRO_SELF</code>
            ).
          </td>
        </tr>
      </tbody>
    </table>
  );
}

function LogLinesHelp() {
  return (
    <Card title="The two Distro log lines">
      <details>
        <summary>
          What does <code>Received distro client sync data &lt;clientId&gt;, revision=&lt;r&gt;</code> mean?
        </summary>
        <p>
          Nothing is wrong. This node merged a peer's copy of one client (<code>ip:port#true</code> for HTTP clients, a
          connection id for gRPC clients, <code>sync:&lt;task&gt;</code> for sync tasks) whose newest write has version{' '}
          <code>r</code>. It is a debug line, once per client per change. Look closer only if the same client repeats
          with a growing revision (the application keeps re-registering or flapping), or a change reaches some nodes and
          not others: then check the members above for state, queue and last error, the same <code>DISTRO_TOKEN</code>{' '}
          and member list everywhere, and that <code>DISTRO_PORT</code> is reachable between nodes.
        </p>
      </details>
      <details>
        <summary>
          How do I fix <code>Distro protocol is not initialized</code>?
        </summary>
        <p>
          The node has peers and has not loaded its start-up snapshot. Read its reason here (or in{' '}
          <code>GET /api/v1/distro</code>), fix what it points at, and the node opens as soon as one peer serves a
          snapshot:
        </p>
        <ReasonTable />
        <p>
          A lone node of a new region opens as the first node after <code>DISTRO_BOOTSTRAP_WAIT_MS</code> (15 s). Stale
          addresses in the lines mean the member list is out of date: fix <code>DISTRO_MEMBERS</code> or the DNS name.
        </p>
      </details>
    </Card>
  );
}

function TasksCard() {
  const tasks = usePoll(() => api<Page<Task>>('GET', '/tasks?pageSize=500'), LIVE_MS);
  const list = tasks.data?.items ?? [];
  const worst = list.filter((t) => healthOf(t) !== 'healthy' && healthOf(t) !== 'paused');
  return (
    <Card title="Sync tasks by health" actions={<a href="#/tasks">All tasks →</a>}>
      <ErrorBox error={tasks.error} />
      {!tasks.data ? (
        <Loading what="tasks" />
      ) : list.length === 0 ? (
        <Empty>
          No sync task yet. Add this region and the other one on <a href="#/clusters">Clusters</a>, then create a task
          on <a href="#/tasks">Tasks</a>.
        </Empty>
      ) : (
        <>
          <div class="stats stats-6">
            {HEALTH_ORDER.map((h) => (
              <div key={h} class={`stat stat-${healthTone(h)}`} data-test={`health-${h}`}>
                <div class="stat-value">{list.filter((t) => healthOf(t) === h).length}</div>
                <div class="stat-label">{h}</div>
              </div>
            ))}
          </div>
          {worst.length > 0 ? (
            <ul class="plain">
              {worst.map((t) => (
                <li key={t.id}>
                  <HealthBadge task={t} /> <a href={`#/tasks/${t.id}`}>{t.name}</a>{' '}
                  <span class="muted">
                    {t.hold
                      ? `deletion of ${t.hold.wouldDelete} of ${t.hold.total} copies held`
                      : (t.lastError ?? 'no holder yet')}
                  </span>
                </li>
              ))}
            </ul>
          ) : null}
        </>
      )}
    </Card>
  );
}

function CountsCard() {
  const services = usePoll(() => api<ServiceList>('GET', '/services'), LIVE_MS * 2);
  const tasks = usePoll(() => api<Page<Task>>('GET', '/tasks?pageSize=500'), LIVE_MS * 2);
  const c = services.data?.counts;
  const copies = (tasks.data?.items ?? []).reduce((n, t) => n + t.applied, 0);
  return (
    <Card title="Registry" actions={<a href="#/services">Services →</a>}>
      <ErrorBox error={services.error} />
      {!c ? (
        <Loading what="counts" />
      ) : (
        <div class="stats">
          <div class="stat">
            <div class="stat-value">{c.namespaces}</div>
            <div class="stat-label">namespaces</div>
          </div>
          <div class="stat">
            <div class="stat-value">{c.services}</div>
            <div class="stat-label">services</div>
          </div>
          <div class="stat">
            <div class="stat-value" data-test="instances">
              {c.instances}
            </div>
            <div class="stat-label">instances</div>
          </div>
          <div class="stat">
            <div class="stat-value" data-test="copies">
              {copies}
            </div>
            <div class="stat-label">copies written by tasks</div>
          </div>
        </div>
      )}
    </Card>
  );
}

export function Overview() {
  return (
    <div class="page">
      <h1>Overview</h1>
      <div class="grid2">
        <TasksCard />
        <CountsCard />
      </div>
      <DistroCard />
      <LogLinesHelp />
    </div>
  );
}
