import { alive, runTool } from './tool-process';

/** `npm run demo -- --zookeeper` as a user runs it in CI or a pipe: the narrated Dubbo migration, to its end. */
describe('demo --zookeeper', () => {
  it('should list its options with --help and refuse bad ones', async () => {
    const help = runTool('demo', ['--zookeeper', '--help']);
    expect(await help.exit).toBe(0);
    for (const option of ['--nodes', '--interfaces', '--providers', '--keep-logs'])
      expect(help.stdout).toContain(option);
    const bad = runTool('demo', ['--zookeeper', '--providers', '0']);
    expect(await bad.exit).toBe(2);
    expect(bad.stderr).toContain('--providers must be between 1 and 20');
  });

  it('should move Dubbo providers and consumers off ZooKeeper with nothing lost, and stop everything', async () => {
    const demo = runTool('demo', ['--zookeeper', '--nodes', '1', '--interfaces', '2', '--providers', '2']);
    const code = await demo.exit;
    if (code !== 0) throw new Error(`demo exited ${code}:\n${demo.stdout}\n${demo.stderr}`);
    expect(demo.stdout).toMatch(
      /cluster zk \(kind zookeeper, layout dubbo\): zookeeper 3\.\d+\.\d+ via .*, 2 services, 4 instances/,
    );
    expect(demo.stdout).toContain('every provider is in region B');
    expect(demo.stdout).toContain('all 4 providers are native in region B');
    expect(demo.stdout).toContain('region B still holds 4/4 providers');
    expect(demo.stdout).toContain('nothing lost');
    expect(demo.stdout).toContain('demo stopped: ZooKeeper and every node process have exited');
    const pids = [...demo.stdout.matchAll(/b\d pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(1);
    expect(alive(pids)).toEqual([]);
  });
});
