import { api, can } from './api';
import type { Me, Task } from './api';
import { ErrorBox, ago, useAction } from './ui';

/** Pause or resume, resync and delete: buttons for the roles that may use them, and nothing for a viewer. */
export function TaskActions({
  task,
  me,
  onChanged,
  onEdit,
}: {
  task: Task;
  me: Me;
  onChanged: () => void;
  onEdit?: () => void;
}) {
  const action = useAction();
  if (!can(me, 'operator') || task.status === 'deleting') return null;
  const post = (what: string) => () => void action.run(() => api('POST', `/tasks/${task.id}/${what}`)).then(onChanged);
  const remove = () => {
    if (!confirm(`Delete task ${task.name}? Its ${task.applied} copies are withdrawn from the target.`)) return;
    void action.run(() => api('DELETE', `/tasks/${task.id}`)).then(onChanged);
  };
  return (
    <div class="actions">
      {task.status === 'paused' ? (
        <button class="btn btn-small" disabled={action.busy} onClick={post('resume')}>
          Resume
        </button>
      ) : (
        <button class="btn btn-small" disabled={action.busy} onClick={post('pause')}>
          Pause
        </button>
      )}
      <button class="btn btn-small" disabled={action.busy} onClick={post('resync')}>
        Resync
      </button>
      {can(me, 'admin') && onEdit ? (
        <button class="btn btn-small" onClick={onEdit}>
          Edit
        </button>
      ) : null}
      {can(me, 'admin') ? (
        <button class="btn btn-small btn-danger" disabled={action.busy} onClick={remove}>
          Delete
        </button>
      ) : null}
      <ErrorBox error={action.error} />
    </div>
  );
}

/** The mass-delete hold, impossible to miss, with its release for operators. */
export function HoldBanner({ task, me, onChanged }: { task: Task; me: Me; onChanged: () => void }) {
  const action = useAction();
  const hold = task.hold;
  if (!hold) return null;
  const release = () => void action.run(() => api('POST', `/tasks/${task.id}/release-hold`)).then(onChanged);
  return (
    <div class="alert alert-warn hold" data-test={`hold-${task.name}`}>
      <div>
        <strong>Deletion held:</strong> a round would remove {hold.wouldDelete} of {task.name}'s {hold.total} copies,
        more than its max delete ratio ({Math.round(task.maxDeleteRatio * 100)} %). The copies stay in the target (as
        the source last reported them) until released, or until the hold expires {ago(hold.expiresAt)}. Release it when
        the deletion is meant; leave it when the source lost its instances by accident (a restart, an outage).
      </div>
      {can(me, 'operator') ? (
        <button class="btn btn-warn" disabled={action.busy} onClick={release}>
          Release hold: delete {hold.wouldDelete} copies
        </button>
      ) : null}
      <ErrorBox error={action.error} />
    </div>
  );
}
