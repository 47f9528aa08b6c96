import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { MIGRATIONS } from '../../src/database/migration-list';
import { killAll, spawnNode } from '../support/node-process';
import type { NodeProcess } from '../support/node-process';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';

/** The built app as a real process: start-up validation, signals, several replicas at once. */
describe('node process', () => {
  it('should refuse to start on a bad env value, naming the variable and why', async () => {
    const sut = spawn({ HTTP_PORT: 'eighty', DISTRO_MEMBERS: 'nocolon', DATA_DIR: 'memory' });
    expect(await sut.exited).toBe(2);
    const out = sut.output.join('\n');
    expect(out).toMatch(/HTTP_PORT must be a port number 0-65535, got "eighty"/);
    expect(out).toMatch(/DISTRO_MEMBERS "nocolon" is not host:port/);
  });

  const running: NodeProcess[] = [];
  const spawn = (env: Record<string, string>): NodeProcess => {
    const node = spawnNode(env);
    running.push(node);
    return node;
  };

  afterEach(async () => {
    await killAll(running.splice(0));
  });

  it('should shut down cleanly on SIGTERM and exit 0 well within 10 s', async () => {
    const sut = spawn({ DATA_DIR: 'memory' });
    const base = await sut.ready;
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    const started = Date.now();
    sut.kill('SIGTERM');
    expect(await sut.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10000);
    expect(sut.output.join('\n')).toContain('stopped cleanly');
  });

  it('should print one start-up line with the URLs of the API, docs and metrics', async () => {
    const sut = spawn({ DATA_DIR: 'memory', ADMIN_TOKEN: 'admin-token-for-the-test' });
    const base = await sut.ready;
    const line = sut.output.find((l) => l.includes('ready — API'));
    expect(line).toContain(`${base}/api/v1`);
    expect(line).toContain(`${base}/api/docs`);
    expect(line).toContain(`${base}/metrics`);
    // Nest's module and route lines are at debug; the ready line carries no config blob.
    expect(sut.output.filter((l) => /RouterExplorer|RoutesResolver|InstanceLoader/.test(l))).toEqual([]);
    expect(sut.output.length).toBeLessThanOrEqual(6);
    expect(line!.length).toBeLessThan(400);
    sut.kill('SIGINT');
    expect(await sut.exited).toBe(0);
  });

  it('should name the variable when a port is taken, in one JSON line', async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const sut = spawn({ DATA_DIR: 'memory', DISTRO_PORT: String(taken) });
      expect(await sut.exited).toBe(1);
      const fatal = sut.output.filter((l) => l.includes('cannot start'));
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toContain(`DISTRO_PORT: cannot listen on 127.0.0.1:${taken}`);
      expect(fatal[0]).toContain('in use');
      for (const line of sut.output) expect(() => JSON.parse(line) as unknown).not.toThrow();
    } finally {
      blocker.close();
    }
  });

  it('should report an unreachable database in one clear line, JSON only, no stack', async () => {
    const sut = spawn({
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      DATABASE_STARTUP_TIMEOUT_MS: '1000',
    });
    expect(await sut.exited).toBe(1);
    for (const line of sut.output) expect(() => JSON.parse(line) as unknown).not.toThrow();
    const fatal = sut.output.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toContain('cannot start: database unreachable');
    expect(sut.output.join('\n')).not.toMatch(/\bat \S+ \(/);
    expect(sut.output.join('\n')).not.toContain(String.fromCharCode(27));
  });

  describe('replicas sharing one database', () => {
    const onPostgres = process.env.DATABASE_URL ? it : it.skip;
    let db: TestDatabase | undefined;

    afterAll(async () => {
      await db?.drop();
    });

    onPostgres('should let two processes start at once, both come up, and migrate once', async () => {
      db = await createTestDatabase({ empty: true });
      const nodes = [spawn({ DATABASE_URL: db.url }), spawn({ DATABASE_URL: db.url })];
      try {
        const bases = await Promise.all(nodes.map((n) => n.ready));
        for (const base of bases) expect((await fetch(`${base}/health/ready`)).status).toBe(200);
        const applied = nodes.flatMap((n) => n.output.filter((l) => l.includes('migrations applied')));
        expect(applied).toHaveLength(1);
        const client = new Client({ connectionString: db.url });
        await client.connect();
        const { rows } = await client.query('SELECT name FROM migrations');
        await client.end();
        expect(rows.map((r: { name: string }) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
      } finally {
        for (const n of nodes) n.kill('SIGTERM');
        expect(await Promise.all(nodes.map((n) => n.exited))).toEqual([0, 0]);
      }
    });
  });
});
