import { useState } from 'preact/hooks';
import { api } from '../api';
import type { BrowsedInstance, Page, ServiceList, Task } from '../api';
import { Badge, Card, Empty, ErrorBox, LIVE_MS, Loading, usePoll } from '../ui';

interface Picked {
  group: string;
  name: string;
}

function Instances({
  namespace,
  picked,
  taskNames,
}: {
  namespace: string;
  picked: Picked;
  taskNames: Map<string, string>;
}) {
  const q = new URLSearchParams({ namespace, group: picked.group, service: picked.name }).toString();
  const instances = usePoll(() => api<BrowsedInstance[]>('GET', `/services/instances?${q}`), LIVE_MS * 2, q);
  const list = instances.data ?? [];
  return (
    <Card title={`${picked.group}@@${picked.name}`}>
      <ErrorBox error={instances.error} />
      {!instances.data ? (
        <Loading what="instances" />
      ) : list.length === 0 ? (
        <Empty>The service has no instance now.</Empty>
      ) : (
        <table data-test="instances">
          <thead>
            <tr>
              <th>Address</th>
              <th>Cluster</th>
              <th>Weight</th>
              <th>Health</th>
              <th>Origin</th>
            </tr>
          </thead>
          <tbody>
            {list.map((i) => (
              <tr key={`${i.clusterName}/${i.ip}:${i.port}`}>
                <td class="mono">
                  {i.ip}:{i.port}
                </td>
                <td>{i.clusterName}</td>
                <td>{i.weight}</td>
                <td>
                  {!i.enabled ? (
                    <Badge tone="muted">disabled</Badge>
                  ) : i.healthy ? (
                    <Badge tone="ok">healthy</Badge>
                  ) : (
                    <Badge tone="bad">unhealthy</Badge>
                  )}{' '}
                  <span class="muted small">{i.ephemeral ? 'ephemeral' : 'persistent'}</span>
                </td>
                <td>
                  {i.copyOf ? (
                    <span data-test="copy-origin">
                      <Badge tone="info">copy from {i.copyOf.sourceCluster}</Badge>{' '}
                      <a class="small" href={`#/tasks/${i.copyOf.taskId}`}>
                        {taskNames.get(i.copyOf.taskId) ?? 'task'}
                      </a>
                    </span>
                  ) : (
                    <span class="muted">registered here</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

export function Services() {
  const [namespace, setNamespace] = useState('public');
  const [picked, setPicked] = useState<Picked | undefined>(undefined);
  const services = usePoll(
    () => api<ServiceList>('GET', `/services?namespace=${encodeURIComponent(namespace)}`),
    LIVE_MS * 2,
    namespace,
  );
  const tasks = usePoll(() => api<Page<Task>>('GET', '/tasks?pageSize=500'), 0);
  const taskNames = new Map((tasks.data?.items ?? []).map((t) => [t.id, t.name]));
  const d = services.data;
  const groups = new Map<string, ServiceList['services']>();
  for (const s of d?.services ?? []) groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
  return (
    <div class="page">
      <h1>Services</h1>
      <div class="toolbar">
        <label>
          Namespace{' '}
          <select
            name="namespace"
            value={namespace}
            onChange={(e) => {
              setNamespace(e.currentTarget.value);
              setPicked(undefined);
            }}
          >
            {(d?.namespaces ?? [namespace]).map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        {d ? (
          <span class="muted">
            {d.total} services in {namespace}
            {d.total > d.services.length ? ` (first ${d.services.length} listed)` : ''}
          </span>
        ) : null}
      </div>
      <div class="split">
        <Card title="Groups and services">
          <ErrorBox error={services.error} />
          {!d ? (
            <Loading what="services" />
          ) : d.services.length === 0 ? (
            <Empty>No service in namespace {namespace}.</Empty>
          ) : (
            [...groups].map(([group, list]) => (
              <div key={group} class="group">
                <h3>{group}</h3>
                <table>
                  <tbody>
                    {list.map((s) => (
                      <tr
                        key={s.name}
                        class={picked?.group === group && picked.name === s.name ? 'picked clickable' : 'clickable'}
                        onClick={() => setPicked({ group, name: s.name })}
                        data-test={`service-${s.name}`}
                      >
                        <td>
                          <button type="button" class="link">
                            {s.name}
                          </button>
                        </td>
                        <td class="num">{s.instances} instances</td>
                        <td class="num">{s.copies > 0 ? <Badge tone="info">{s.copies} copies</Badge> : null}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ))
          )}
        </Card>
        {picked ? (
          <Instances namespace={namespace} picked={picked} taskNames={taskNames} />
        ) : (
          <Card title="Instances">
            <Empty>Pick a service to see its instances; copies are marked with the cluster they come from.</Empty>
          </Card>
        )}
      </div>
    </div>
  );
}
