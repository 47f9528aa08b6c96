import { alive, runTool } from './tool-process';

interface SoakSummary {
  ok: boolean;
  churn: Record<string, number>;
  convergedAfterMs: number | null;
  checks: Array<{ name: string; ok: boolean; detail: string }>;
  pids: number[];
}

/**
 * The 2-minute soak of the suite: both regions under churn, then every convergence check. Longer
 * runs (`npm run soak -- --minutes 60`) are for people.
 */
describe('soak', () => {
  it('should converge after 2 minutes of churn with node restarts and killed task holders, leaving no process behind', async () => {
    const soak = runTool('soak', ['--minutes', '2', '--restart-every', '15', '--json']);
    const exit = await soak.exit;
    const summary = JSON.parse(soak.stdout.trim().split('\n').pop() ?? '{}') as SoakSummary;
    if (exit !== 0) throw new Error(`soak exited ${exit}:\n${soak.stderr}`);
    expect(summary.ok).toBe(true);
    expect(summary.convergedAfterMs).not.toBeNull();
    expect(summary.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'region A: every node holds the same content',
        'region B: every node holds the same content',
        "region B: copies = region A's natives",
        "region A: copies = region B's natives",
        'task A->B: ledger = the copies in region B',
        'task B->A: ledger = the copies in region A',
        'node logs: no unexpected error',
      ]),
    );
    expect(summary.checks.every((c) => c.ok)).toBe(true);
    // The churn really happened: writes of every kind, clean restarts and a crashed task holder.
    expect(summary.churn.registrations).toBeGreaterThan(50);
    expect(summary.churn.deregistrations).toBeGreaterThan(10);
    expect(summary.churn.metadataChanges).toBeGreaterThan(10);
    expect(summary.churn.nodeRestarts + summary.churn.holdersKilled).toBeGreaterThanOrEqual(3);
    expect(summary.churn.holdersKilled).toBeGreaterThanOrEqual(1);
    expect(summary.pids.length).toBeGreaterThanOrEqual(6);
    expect(alive(summary.pids)).toEqual([]);
  }, 330_000);
});
