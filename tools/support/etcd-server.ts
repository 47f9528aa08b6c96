import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './eventually';
import { freePorts } from './free-ports';

const ETCD = 'etcd';
const ETCDCTL = 'etcdctl';

/** PEM texts of a throwaway CA, and of a client certificate it signed. */
export interface EtcdTls {
  ca: string;
  clientCert: string;
  clientKey: string;
}

/**
 * A throwaway etcd (the Debian `etcd-server` package) a spec owns: a single member on free
 * loopback ports with a temporary data dir, stopped and removed by `stop()`. `restart()` keeps the
 * data dir and ports (a server that went down and came back); `ctl()` runs etcdctl against it.
 * With `tls`, it serves clients over TLS only and asks for a client certificate, all signed by a
 * CA made for it with openssl (`tls` holds the PEMs a client needs).
 */
export class EtcdServer {
  private child: ChildProcess | undefined;
  private readonly output: string[] = [];
  tls: EtcdTls | undefined;

  private constructor(
    readonly clientPort: number,
    private readonly peerPort: number,
    private readonly dataDir: string,
    private readonly certDir: string | undefined,
  ) {}

  /** `host:port` as a cluster's addresses name it. */
  get address(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  static async start(options: { tls?: boolean } = {}): Promise<EtcdServer> {
    const [clientPort, peerPort] = await freePorts(2);
    const dataDir = mkdtempSync(join(tmpdir(), 'etcd-spec-'));
    const certDir = options.tls ? mkdtempSync(join(tmpdir(), 'etcd-spec-certs-')) : undefined;
    const server = new EtcdServer(clientPort, peerPort, dataDir, certDir);
    if (certDir) server.tls = makeCertificates(certDir);
    await server.launch();
    return server;
  }

  /** Kills the server (SIGKILL, as a crash) and waits for it to be gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
  }

  /** Starts it again on the same ports and data (what it held is still there). */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
    if (this.certDir) rmSync(this.certDir, { recursive: true, force: true });
  }

  /** Runs etcdctl (v3 API) against this server; its stdout, or an error with its stderr. */
  ctl(args: readonly string[], auth?: { user: string; password: string }): string {
    const res = spawnSync(
      ETCDCTL,
      [`--endpoints=${this.address}`, ...(auth ? [`--user=${auth.user}:${auth.password}`] : []), ...args],
      { env: { PATH: process.env.PATH ?? '', ETCDCTL_API: '3' }, encoding: 'utf8', timeout: 10_000 },
    );
    if (res.status !== 0) throw new Error(`etcdctl ${args.join(' ')}: ${res.stderr || res.error?.message}`);
    return res.stdout;
  }

  private async launch(): Promise<void> {
    const client = `${this.certDir ? 'https' : 'http'}://127.0.0.1:${this.clientPort}`;
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const dir = this.certDir;
    const tlsFlags = dir
      ? [
          `--cert-file=${join(dir, 'server.crt')}`,
          `--key-file=${join(dir, 'server.key')}`,
          `--trusted-ca-file=${join(dir, 'ca.crt')}`,
          '--client-cert-auth',
        ]
      : [];
    const child = spawn(
      ETCD,
      [
        '--name=spec',
        `--data-dir=${this.dataDir}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=spec=${peer}`,
        '--log-level=error',
        '--logger=zap',
        ...tlsFlags,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    const keep = (chunk: Buffer): void => {
      this.output.push(chunk.toString());
      if (this.output.length > 200) this.output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`etcd exited (${child.exitCode}): ${this.output.join('')}`);
        const body = this.tls
          ? await httpsText(`${client}/health`, this.tls)
          : await (await fetch(`${client}/health`)).text();
        return (JSON.parse(body) as { health?: string }).health === 'true';
      },
      { timeoutMs: 20_000, intervalMs: 100, what: `etcd on ${client} to answer /health` },
    );
  }
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as openssl makes them. */
function makeCertificates(dir: string): EtcdTls {
  const ssl = (args: string[]): void => {
    const res = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`openssl ${args[0]}: ${res.stderr}`);
  };
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl(['req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=etcd-spec-ca']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, cn] of [
    ['server', '127.0.0.1'],
    ['client', 'etcd-spec-client'],
  ]) {
    ssl(['req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    ssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    ]);
  }
  const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
  return { ca: read('ca.crt'), clientCert: read('client.crt'), clientKey: read('client.key') };
}

function httpsText(url: string, tls: EtcdTls): Promise<string> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey, servername: '' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}
