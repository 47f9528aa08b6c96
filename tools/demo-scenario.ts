import { converged } from './convergence';
import type { DemoContext } from './demo';
import type { RegionStatus } from './region-status';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function copiesIn(status: RegionStatus[], region: string): number[] {
  return (status.find((r) => r.name === region)?.nodes ?? [])
    .filter((n) => n.process === 'up')
    .map((n) => n.copies ?? 0);
}

/**
 * The narrated failure story: a node of region A crashes and comes back (Distro snapshot and init
 * gate), then all of region A is lost (B keeps A's copies) and comes back (clients re-register,
 * tasks catch up). Each step says what happens and what to look at in the view above.
 */
export async function runScenario(ctx: DemoContext): Promise<void> {
  const { a, view, expected } = ctx;
  const victim = a.nodes[Math.min(1, a.nodes.length - 1)];
  const peers = a.nodes.filter((n) => n !== victim);
  const step = async (ms: number): Promise<boolean> => {
    await pause(ms);
    return !ctx.stopped();
  };

  if (!(await step(3000))) return;
  view.narrate(`step 1: killing ${victim.name} (SIGKILL, a crash: no goodbye to peers or clients)`);
  await victim.stop('SIGKILL');
  if (peers.length > 0) {
    const seen = await ctx.until(
      (s) =>
        s[0].nodes
          .filter((n) => peers.some((p) => p.name === n.name))
          .every((n) => n.membersUp !== undefined && n.membersTotal !== undefined && n.membersUp < n.membersTotal),
      20_000,
    );
    view.narrate(
      seen
        ? `${peers.map((p) => p.name).join(' and ')} see ${victim.name} down (peers column) and take over its HTTP clients`
        : `${victim.name}'s peers have not marked it down within 20 s`,
    );
  }
  const bCopies = copiesIn(ctx.latest(), 'b');
  view.narrate(
    `region B is untouched: its nodes hold ${bCopies.join('/')} copies of A's ${expected.natives.a} instances`,
  );

  if (!(await step(4000))) return;
  view.narrate(
    `step 2: restarting ${victim.name}: it loads a Distro snapshot from a peer; until then Nacos calls get 503`,
  );
  const t0 = Date.now();
  await victim.start();
  await victim.waitReady(60_000).catch(() => undefined);
  const caughtUp = await ctx.until(
    (s) => s[0].consistent && s[0].nodes.every((n) => n.process === 'up' && n.digest !== undefined),
    30_000,
  );
  view.narrate(
    caughtUp
      ? `${victim.name} is initialized after ${((Date.now() - t0) / 1000).toFixed(1)} s and holds what its peers hold (content line)`
      : `${victim.name} has not caught up within 30 s: see ${victim.logFile}`,
  );

  if (!(await step(4000))) return;
  // A lost region vanishes at once: SIGKILL, so its nodes deregister nothing on the way out.
  view.narrate('step 3: region A is lost: every node killed at once (SIGKILL)');
  const lost = Date.now();
  await a.stop('SIGKILL');
  const noticed = await ctx.until((s) => s[1].task.view?.sourceReachable === false, 30_000);
  const kept = copiesIn(ctx.latest(), 'b');
  view.narrate(
    noticed
      ? `task A->B reports its source unreachable; B keeps A's copies (${kept.join('/')} of ${expected.natives.a}) for its apps`
      : 'task A->B has not reported its source unreachable within 30 s',
  );
  if (!(await step(8000))) return;
  view.narrate(
    `${((Date.now() - lost) / 1000).toFixed(0)} s without region A: B still holds ${copiesIn(ctx.latest(), 'b').join('/')} copies of A`,
  );

  if (!(await step(2000))) return;
  view.narrate("step 4: region A returns empty; its apps' clients re-register, B->A copies B's services back");
  const t1 = Date.now();
  await a.start();
  // A region that returns empty would delete all of B's copies of it: protect mode holds that back.
  const held = await ctx.until((s) => Boolean(s[1].task.view?.hold) || converged(s, expected), 60_000);
  const hold = ctx.latest()[1].task.view?.hold;
  if (held && hold) {
    view.narrate(
      `A came back empty: task A->B holds back ${hold.wouldDelete} of ${hold.total} deletions (protect mode)`,
    );
  }
  const back = await ctx.until((s) => converged(s, expected), 120_000);
  view.narrate(
    back
      ? `both regions in step again ${((Date.now() - t1) / 1000).toFixed(1)} s after A came back; B never lost A's services`
      : 'the regions have not converged within 120 s of region A returning: see the task lines',
  );
  view.narrate('scenario complete');
}
