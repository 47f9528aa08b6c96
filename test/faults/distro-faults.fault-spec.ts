import type { ScenarioResult } from './scenario';
import { runScenario, SUITE_SEED } from './scenario';

/**
 * Distro under faults: three real nodes, each in its own network namespace, under seeded write load
 * (8 writers, v1 HTTP, round-robin with retries on the next node), one fault per scenario, then the
 * checker (checker.ts): acknowledged writes kept and no deregistered instance back on any node, and
 * every node holding the same content within a bound after the fault. A failure prints the seed, the
 * contract point, and for each offending instance its history and what every node holds.
 * FAULT_SEED=<n> replays the writers' choices; FAULT_LOG_DIR keeps the node logs and reports there.
 */

const RESTART_BOUND_MS = 5000;
const HEAL_BOUND_MS = 30000;
/** Three node starts (20-30 s each when the shared machine is busy), the scenario, and the convergence wait. */
const TIMEOUT_MS = 240000;

/** Writes go on for 3 s after the fault ends; content must be identical within HEAL_BOUND_MS of its end. */
function afterHeal(ctx: { history: { now(): number } }, what: string) {
  return { reference: ctx.history.now(), referenceWhat: what, boundMs: HEAL_BOUND_MS, writeOnMs: 3000 };
}

function expectContract(result: ScenarioResult): void {
  if (result.failed) throw new Error(result.report);
}

describe('Distro under faults (3 nodes in network namespaces)', () => {
  beforeAll(() => {
    process.stderr.write(`[faults] suite seed ${SUITE_SEED} — FAULT_SEED=${SUITE_SEED} replays it\n`);
  });

  it(
    'should keep acknowledged writes when a node is SIGKILLed mid-load and restarted 4 s later',
    async () => {
      const result = await runScenario('sigkill-restart', {}, async (ctx) => {
        await ctx.sleep(3000);
        await ctx.kill(1);
        await ctx.sleep(4000);
        const ready = await ctx.restart(1);
        return { reference: ready, referenceWhat: 'n2 was ready again', boundMs: RESTART_BOUND_MS, writeOnMs: 3000 };
      });
      expectContract(result);
    },
    TIMEOUT_MS,
  );

  it(
    'should keep acknowledged writes across a 6 s SIGSTOP of a node (a long GC pause)',
    async () => {
      const result = await runScenario('sigstop-6s', {}, async (ctx) => {
        await ctx.sleep(3000);
        const end = ctx.fault('SIGSTOP n2');
        ctx.nodes[1].signal('SIGSTOP');
        await ctx.sleep(6000);
        ctx.nodes[1].signal('SIGCONT');
        end();
        return afterHeal(ctx, 'SIGCONT n2');
      });
      expectContract(result);
    },
    TIMEOUT_MS,
  );

  it(
    'should merge both sides of a 20 s symmetric partition of one node without losing or resurrecting anything',
    async () => {
      const result = await runScenario('partition-20s', {}, async (ctx) => {
        await ctx.sleep(3000);
        const end = ctx.fault('partition n3 (cluster link cut both ways; n3 keeps taking writes)');
        await ctx.rig.partition(2);
        await ctx.sleep(20000);
        await ctx.rig.heal();
        end();
        return afterHeal(ctx, 'the partition healed');
      });
      expectContract(result);
    },
    TIMEOUT_MS,
  );

  it(
    'should survive a 15 s asymmetric partition (packets n1 -> n2 delivered, n2 -> n1 dropped)',
    async () => {
      const result = await runScenario('asymmetric-15s', {}, async (ctx) => {
        await ctx.sleep(3000);
        const end = ctx.fault('asymmetric: packets n2 -> n1 dropped, n1 -> n2 delivered');
        await ctx.rig.asymmetric(0, 1);
        await ctx.sleep(15000);
        await ctx.rig.heal();
        end();
        return afterHeal(ctx, 'the partition healed');
      });
      expectContract(result);
    },
    TIMEOUT_MS,
  );

  it(
    "should converge after 100 ± 20 ms latency and 5 % loss on one node's cluster link during writes",
    async () => {
      const result = await runScenario('netem-latency-loss', { wired: [2] }, async (ctx) => {
        await ctx.sleep(3000);
        const end = ctx.fault('netem n3: +100 ± 20 ms, 5 % loss on what it sends to peers');
        await ctx.rig.netem(2, { delayMs: 100, jitterMs: 20, lossPct: 5 });
        await ctx.sleep(12000);
        await ctx.rig.clearNetem(2);
        end();
        return afterHeal(ctx, 'netem was removed');
      });
      expectContract(result);
    },
    TIMEOUT_MS,
  );
});
