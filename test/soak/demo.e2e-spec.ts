import { eventually } from '../../tools/support/eventually';
import { alive, runTool } from './tool-process';

/** `npm run demo` as a user runs it in CI or a pipe: one compact line per second, narration, Ctrl-C. */
describe('demo', () => {
  it('should list its options with --help and refuse unknown ones', async () => {
    const help = runTool('demo', ['--help']);
    expect(await help.exit).toBe(0);
    for (const option of ['--nodes', '--services', '--instances', '--duration', '--no-scenario', '--keep-logs']) {
      expect(help.stdout).toContain(option);
    }
    const bad = runTool('demo', ['--nodes', '0']);
    expect(await bad.exit).toBe(2);
    expect(bad.stderr).toContain('--nodes must be between 1 and 5');
  });

  it('should start two regions, sync them both ways, and stop every process on SIGINT', async () => {
    const demo = runTool('demo', ['--no-scenario', '--services', '4', '--instances', '3', '--duration', '150']);
    // Waits for the first sync, or fails at once with the output when the demo ends before it.
    await eventually(() => demo.stdout.includes('initial sync done') || demo.ended, {
      timeoutMs: 120_000,
      intervalMs: 250,
      what: 'the initial sync',
    }).catch(() => undefined);
    if (!demo.stdout.includes('initial sync done')) {
      demo.signal('SIGINT');
      await demo.exit;
      throw new Error(`no initial sync:\n${demo.stdout}\n${demo.stderr}`);
    }
    // 4 services x 3 instances per region, half over HTTP v1 and half over gRPC.
    expect(demo.stdout).toContain('region A: 12 instances registered with');
    expect(demo.stdout).toContain('region B: 12 instances registered with');
    // The compact live line: every node of A holds 12 natives + 12 copies, both tasks fully applied.
    await eventually(
      () =>
        expect(demo.stdout).toMatch(
          /A\[a1 initialized 12\+12, a2 initialized 12\+12, a3 initialized 12\+12\] B->A 12\/12/,
        ),
      { timeoutMs: 10_000, intervalMs: 250 },
    );
    expect(demo.stdout).toMatch(/B\[b1 initialized 12\+12, b2 initialized 12\+12, b3 initialized 12\+12\] A->B 12\/12/);
    const pids = [...demo.stdout.matchAll(/[ab]\d pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(6);

    demo.signal('SIGINT');
    expect(await demo.exit).toBe(0);
    expect(demo.stdout).toContain('demo stopped: every node process has exited');
    expect(alive(pids)).toEqual([]);
  }, 200_000);
});
