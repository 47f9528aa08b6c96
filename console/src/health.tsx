import type { Task } from './api';
import { Badge } from './ui';
import type { Tone } from './ui';

export type Health = 'healthy' | 'held' | 'failing' | 'starting' | 'paused' | 'deleting';

export const HEALTH_ORDER: Health[] = ['held', 'failing', 'starting', 'paused', 'deleting', 'healthy'];

const TONE: Record<Health, Tone> = {
  healthy: 'ok',
  held: 'warn',
  failing: 'bad',
  starting: 'info',
  paused: 'muted',
  deleting: 'muted',
};

/** One word for how a task is doing, worst first: what an operator at 3 a.m. looks for. */
export function healthOf(t: Task): Health {
  if (t.status === 'deleting') return 'deleting';
  if (t.hold) return 'held';
  if (t.lastError || t.sourceReachable === false || t.targetReachable === false || t.rejectedCount > 0)
    return 'failing';
  if (t.status === 'paused') return 'paused';
  if (!t.owner || !t.lastReconcileAt) return 'starting';
  return 'healthy';
}

export function HealthBadge({ task }: { task: Task }) {
  const h = healthOf(task);
  return (
    <Badge tone={TONE[h]} title={task.lastError ?? undefined}>
      {h}
    </Badge>
  );
}

export function healthTone(h: Health): Tone {
  return TONE[h];
}
