import type { Content, NodeRead, ObservedInstance } from './checker';
import { allowedEffects, checkKept, describeViolation, differences } from './checker';
import type { Effect, InstanceKey, OpKind, Outcome } from './history';
import { History, keyId } from './history';

/** The checker's rules on hand-made histories: no processes, no network. */

const GRACE = 3000;
const K: InstanceKey = { service: 'svc', ip: '172.16.0.1', port: 8080 };

function present(weight: number, tag = String(weight)): Effect {
  return { present: true, weight, metadata: { write: tag } };
}

function op(
  history: History,
  kind: OpKind,
  effect: Effect,
  from: number,
  to: number | undefined,
  outcome: Exclude<Outcome, 'pending'> | 'pending',
  key: InstanceKey = K,
): void {
  const record = history.invoke(0, kind, key, effect, 'n1', 1);
  record.invokedAt = from;
  if (outcome !== 'pending') {
    record.completedAt = to;
    record.outcome = outcome;
    record.detail = outcome;
  }
}

function observed(effect: Effect, fields: Partial<ObservedInstance> = {}, key: InstanceKey = K): ObservedInstance {
  if (!effect.present) throw new Error('absent has no instance');
  return {
    ...key,
    weight: effect.weight,
    metadata: effect.metadata,
    healthy: true,
    enabled: true,
    ephemeral: true,
    clusterName: 'DEFAULT',
    ...fields,
  };
}

function read(node: string, ...instances: ObservedInstance[]): NodeRead {
  const content: Content = new Map(instances.map((i) => [keyId(i), i]));
  return { node, content, at: 0 };
}

describe('fault checker', () => {
  it('should keep an acknowledged registration nothing followed, with its values', () => {
    const h = new History();
    op(h, 'register', present(3), 0, 10, 'ok');
    expect(checkKept(h, [read('n1', observed(present(3))), read('n2', observed(present(3)))], GRACE)).toEqual([]);
    const [lost] = checkKept(h, [read('n1', observed(present(3))), read('n2')], GRACE);
    expect(lost).toMatchObject({ kind: 'lost', key: keyId(K) });
    expect(lost.holdings).toEqual([
      { node: 'n1', holds: 'present w=3 md={"write":"3"}', ok: true },
      { node: 'n2', holds: 'absent', ok: false },
    ]);
  });

  it('should call an acknowledged deregistration followed by presence a resurrection', () => {
    const h = new History();
    op(h, 'register', present(3), 0, 10, 'ok');
    op(h, 'deregister', { present: false }, 100, 120, 'ok');
    expect(checkKept(h, [read('n1')], GRACE)).toEqual([]);
    expect(checkKept(h, [read('n1'), read('n2', observed(present(3)))], GRACE)).toMatchObject([
      { kind: 'resurrected', allowed: ['absent'] },
    ]);
  });

  it('should call an overwritten value stale', () => {
    const h = new History();
    op(h, 'register', present(3), 0, 10, 'ok');
    op(h, 'update', present(7), 100, 120, 'ok');
    expect(checkKept(h, [read('n1', observed(present(3)))], GRACE)).toMatchObject([{ kind: 'stale' }]);
  });

  it('should allow either effect of an operation that was not acknowledged, while it may still land', () => {
    const h = new History();
    op(h, 'register', present(3), 0, 10, 'ok');
    op(h, 'deregister', { present: false }, 100, 3100, 'timeout');
    expect(allowedEffects(h.opsOf(keyId(K)), h, GRACE)).toEqual([present(3), { present: false }]);
    // a later acknowledged write invoked after its deadline (3100 + 3000) ends that
    op(h, 'register', present(9), 6200, 6210, 'ok');
    expect(allowedEffects(h.opsOf(keyId(K)), h, GRACE)).toEqual([present(9)]);
  });

  it('should keep an unacknowledged write possible until a fault it overlapped has ended, plus its duration and the grace', () => {
    const h = new History();
    h.faults.push({ what: 'partition n3', from: 1000, to: 20000 });
    op(h, 'register', present(3), 0, 10, 'ok');
    op(h, 'deregister', { present: false }, 2000, 5000, 'failed');
    // the fault ends at 20000; a retransmission may come up to its duration (19000) later, then the grace
    expect(h.applyDeadline(h.opsOf(keyId(K))[1], GRACE)).toBe(20000 + 19000 + GRACE);
    op(h, 'register', present(4), 41000, 41010, 'ok'); // before the deadline: the failed one may land after it
    expect(allowedEffects(h.opsOf(keyId(K)), h, GRACE)).toEqual([{ present: false }, present(4)]);
    op(h, 'register', present(6), 42100, 42110, 'ok'); // after it: only this one
    expect(allowedEffects(h.opsOf(keyId(K)), h, GRACE)).toEqual([present(6)]);
    h.faults.push({ what: 'pause n2', from: 41500 }); // an open fault the deadline reaches: no end yet
    expect(h.applyDeadline(h.opsOf(keyId(K))[1], GRACE)).toBe(Infinity);
  });

  it('should allow absence when nothing was ever acknowledged, and ignore definite rejections', () => {
    const h = new History();
    op(h, 'register', present(3), 0, 3000, 'timeout');
    op(h, 'update', present(5), 10000, 10010, 'rejected');
    expect(allowedEffects(h.opsOf(keyId(K)), h, GRACE)).toEqual([{ present: false }, present(3)]);
    expect(checkKept(h, [read('n1'), read('n2', observed(present(3)))], GRACE)).toEqual([]);
  });

  it('should report an instance nobody wrote, and wrong health or cluster fields', () => {
    const h = new History();
    op(h, 'register', present(3), 0, 10, 'ok');
    const stranger: InstanceKey = { service: 'svc', ip: '9.9.9.9', port: 1 };
    const violations = checkKept(
      h,
      [read('n1', observed(present(3), { healthy: false }), observed(present(1), {}, stranger))],
      GRACE,
    );
    expect(violations.map((v) => v.kind).sort()).toEqual(['phantom', 'wrong fields']);
  });

  it('should describe a violation with every operation, each node and what was allowed', () => {
    const h = new History();
    op(h, 'register', present(3), 0, 10, 'ok');
    op(h, 'deregister', { present: false }, 100, 3100, 'failed');
    op(h, 'deregister', { present: false }, 3200, 3300, 'ok');
    op(h, 'register', present(5), 10000, 10100, 'ok');
    op(h, 'deregister', { present: false }, 20000, 20100, 'ok');
    const [v] = checkKept(h, [read('n1'), read('n3', observed(present(5)))], GRACE);
    const text = describeViolation(v, h, GRACE);
    expect(text).toContain('resurrected');
    expect(text).toContain('n3 ✗: present w=5');
    expect(text).toContain(
      '#2 w0 deregister via n1: t=0.100–3.100 s FAILED (failed) [may take effect until t=6.100 s]',
    );
    expect(text).toContain('#5 w0 deregister via n1: t=20.000–20.100 s OK');
    expect(differences([read('n1'), read('n3', observed(present(5)))])).toEqual([
      `${keyId(K)}: n1: absent | n3: present w=5 md={"write":"5"}`,
    ]);
  });
});
