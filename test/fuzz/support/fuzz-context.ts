import { createTestDatabase } from '../../support/test-database';
import type { TestDatabase } from '../../support/test-database';
import { freePorts } from '../../../tools/support/free-ports';
import { FuzzNode } from './fuzz-node';
import { Findings } from './fuzz-run';
import { SECRETS, tokenedEnv } from './secrets';

/**
 * The two nodes every edge is fuzzed on, booted once for the whole suite (a boot costs more than
 * a thousand cases): `open` with no token set, on the test database (real Postgres with
 * DATABASE_URL); `tokened` with a marker secret in every env secret and Nacos auth on, on embedded
 * PGlite (Postgres 17). Each is a one-member Distro cluster (it lists itself), so the Distro port
 * accepts calls from its own member id and a hostile but well-formed Sync reaches the merge.
 */
export class FuzzContext {
  readonly findings = new Findings('edges');
  open!: FuzzNode;
  tokened!: FuzzNode;
  private db?: TestDatabase;
  private readonly closers: Array<() => void> = [];

  /** Runs `close` when the nodes stop: a client closed earlier would change a node's state mid-run. */
  onStop(close: () => void): void {
    this.closers.push(close);
  }

  async start(): Promise<void> {
    const [openPort, tokenedPort] = (await freePorts(2)) as [number, number];
    this.db = await createTestDatabase();
    const distro = (port: number) => ({
      DISTRO_PORT: String(port),
      DISTRO_MEMBERS: `127.0.0.1:${port}`,
      DISTRO_BOOTSTRAP_WAIT_MS: '0',
    });
    [this.open, this.tokened] = await Promise.all([
      FuzzNode.start('open', { DATABASE_URL: this.db.url, SECRET_KEY: SECRETS.SECRET_KEY, ...distro(openPort) }),
      FuzzNode.start('tokened', { ...tokenedEnv(), ...distro(tokenedPort) }),
    ]);
  }

  async stop(): Promise<void> {
    for (const close of this.closers.splice(0)) close();
    await Promise.all([this.open?.close(), this.tokened?.close()]);
    await this.db?.drop();
  }

  /** Member id of a node on its own Distro port. */
  memberId(node: FuzzNode): string {
    return `127.0.0.1:${node.node.distroPort}`;
  }
}
