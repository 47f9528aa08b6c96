import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import type { Cluster, Copy, Task, TaskDiff } from './api';
import { Badge, ErrorBox, inputValue, useAction } from './ui';

interface Form {
  name: string;
  sourceClusterId: string;
  targetClusterId: string;
  namespace: string;
  groupName: string;
  serviceName: string;
  exclude: string;
  maxDeleteRatio: string;
}

function formOf(t: Task | undefined, clusters: Cluster[]): Form {
  if (t)
    return {
      name: t.name,
      sourceClusterId: t.sourceClusterId,
      targetClusterId: t.targetClusterId,
      namespace: t.namespace,
      groupName: t.groupName,
      serviceName: t.serviceName,
      exclude: t.exclude.join(', '),
      maxDeleteRatio: String(t.maxDeleteRatio),
    };
  const local = clusters.find((c) => c.kind === 'local');
  const other = clusters.find((c) => c.kind !== 'local');
  return {
    name: '',
    sourceClusterId: other?.id ?? '',
    targetClusterId: local?.id ?? '',
    namespace: 'public',
    groupName: 'DEFAULT_GROUP',
    serviceName: '*',
    exclude: '',
    maxDeleteRatio: '0.5',
  };
}

const excludeOf = (f: Form): string[] =>
  f.exclude
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

function selectorOf(f: Form) {
  return {
    namespace: f.namespace.trim(),
    groupName: f.groupName.trim(),
    serviceName: f.serviceName.trim(),
    exclude: excludeOf(f),
  };
}

/** The live dry run: asked again 400 ms after the selector last changed. */
function useDryRun(f: Form, task: Task | undefined): { diff?: TaskDiff; error?: string; busy: boolean } {
  const [state, setState] = useState<{ diff?: TaskDiff; error?: string; busy: boolean }>({ busy: false });
  const body = task
    ? { taskId: task.id, ...selectorOf(f) }
    : { sourceClusterId: f.sourceClusterId, targetClusterId: f.targetClusterId, ...selectorOf(f) };
  const key = JSON.stringify(body);
  useEffect(() => {
    if (!task && (!f.sourceClusterId || !f.targetClusterId)) {
      setState({ busy: false });
      return;
    }
    let alive = true;
    setState((s) => ({ ...s, busy: true }));
    const timer = setTimeout(() => {
      api<TaskDiff>('POST', '/tasks/dry-run', body).then(
        (diff) => alive && setState({ diff, busy: false }),
        (err: unknown) => alive && setState({ error: err instanceof Error ? err.message : String(err), busy: false }),
      );
    }, 400);
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [key]);
  return state;
}

const copyName = (c: Copy) => `${c.namespace}/${c.groupName}@@${c.serviceName} ${c.ip}:${c.port}`;

function DiffList({
  title,
  tone,
  copies,
  count,
}: {
  title: string;
  tone: 'ok' | 'info' | 'bad';
  copies: Copy[];
  count: number;
}) {
  if (count === 0) return null;
  return (
    <div class="diff-list">
      <Badge tone={tone}>
        {title} {count}
      </Badge>
      <ul class="plain mono small">
        {copies.slice(0, 8).map((c) => (
          <li key={copyName(c)}>{copyName(c)}</li>
        ))}
        {count > 8 ? <li class="muted">… and {count - 8} more</li> : null}
      </ul>
    </div>
  );
}

function DryRun({ f, task }: { f: Form; task: Task | undefined }) {
  const run = useDryRun(f, task);
  const d = run.diff;
  return (
    <div class="dry-run" data-test="dry-run">
      <h3>Dry run {run.busy ? <span class="muted small">updating…</span> : null}</h3>
      {run.error ? (
        <ErrorBox error={run.error} />
      ) : !d ? (
        <p class="muted small">Pick a source and a target to see what the task would copy.</p>
      ) : d.counts.add + d.counts.update + d.counts.remove === 0 ? (
        <p class="muted" data-test="dry-run-summary">
          Nothing would change{task ? '' : ': no source instance matches the selector yet'}.
        </p>
      ) : (
        <>
          <p data-test="dry-run-summary">
            Would add <strong>{d.counts.add}</strong>, update <strong>{d.counts.update}</strong> and remove{' '}
            <strong>{d.counts.remove}</strong> copies in the target.
          </p>
          <DiffList title="add" tone="ok" copies={d.diff.add} count={d.counts.add} />
          <DiffList title="update" tone="info" copies={d.diff.update} count={d.counts.update} />
          <DiffList title="remove" tone="bad" copies={d.diff.remove} count={d.counts.remove} />
        </>
      )}
    </div>
  );
}

/** Create a task, or edit one's name, selector, excludes and maxDeleteRatio, with the dry run beside. */
export function TaskForm({
  task,
  clusters,
  onDone,
}: {
  task?: Task;
  clusters: Cluster[];
  onDone: (saved: boolean) => void;
}) {
  const [f, setF] = useState<Form>(() => formOf(task, clusters));
  const action = useAction();
  const set = (k: keyof Form) => (e: Event) => setF({ ...f, [k]: inputValue(e) });
  const save = (e: Event) => {
    e.preventDefault();
    const ratio = Number(f.maxDeleteRatio);
    const body: Record<string, unknown> = {
      ...selectorOf(f),
      maxDeleteRatio: Number.isFinite(ratio) ? ratio : f.maxDeleteRatio,
    };
    if (f.name.trim()) body.name = f.name.trim();
    if (!task) Object.assign(body, { sourceClusterId: f.sourceClusterId, targetClusterId: f.targetClusterId });
    void action
      .run(() => (task ? api('PATCH', `/tasks/${task.id}`, body) : api('POST', '/tasks', body)))
      .then((ok) => ok && onDone(true));
  };
  const clusterSelect = (k: 'sourceClusterId' | 'targetClusterId') => (
    <select name={k} value={f[k]} disabled={!!task} onChange={set(k)}>
      <option value="">(choose)</option>
      {clusters.map((c) => (
        <option key={c.id} value={c.id}>
          {c.name} ({c.kind})
        </option>
      ))}
    </select>
  );
  return (
    <div class="split">
      <form class="form" onSubmit={save} data-test="task-form">
        <div class="row">
          <label>Source {clusterSelect('sourceClusterId')}</label>
          <label>Target {clusterSelect('targetClusterId')}</label>
        </div>
        <div class="row">
          <label>
            Namespace
            <input name="namespace" value={f.namespace} onInput={set('namespace')} />
          </label>
          <label>
            Group
            <input name="groupName" value={f.groupName} onInput={set('groupName')} />
          </label>
          <label>
            Service
            <input name="serviceName" value={f.serviceName} onInput={set('serviceName')} />
          </label>
        </div>
        <p class="muted small">
          <code>*</code> matches any run of characters: <code>*</code> for everything, <code>order*</code> for a family.
        </p>
        <label>
          Exclude (patterns, comma separated)
          <input
            name="exclude"
            value={f.exclude}
            onInput={set('exclude')}
            placeholder="internal-*, DEFAULT_GROUP@@canary"
          />
        </label>
        <div class="row">
          <label>
            Name <span class="muted small">(optional)</span>
            <input name="name" value={f.name} onInput={set('name')} />
          </label>
          <label>
            Max delete ratio
            <input name="maxDeleteRatio" value={f.maxDeleteRatio} onInput={set('maxDeleteRatio')} inputMode="decimal" />
          </label>
        </div>
        <p class="muted small">
          A round that would delete more than this share of the copies (and at least 3) is held for 5 minutes until
          released: protection when the source restarts empty.
        </p>
        <ErrorBox error={action.error} />
        <div class="buttons">
          <button class="btn btn-primary" type="submit" disabled={action.busy}>
            {task ? 'Save changes' : 'Create task'}
          </button>
          <button class="btn" type="button" onClick={() => onDone(false)}>
            Cancel
          </button>
        </div>
      </form>
      <DryRun f={f} task={task} />
    </div>
  );
}
