import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import { ACL, CreateMode, Exception, Id, Permission, State, createClient } from 'node-zookeeper-client';
import type { Client, Event, Stat } from 'node-zookeeper-client';

export { CreateMode };

export interface ZooKeeperSettings {
  /** `host:port` each; a chroot (`host:port/apps/prod`) applies to the whole connection. */
  addresses: readonly string[];
  /**
   * Digest identity, for ensembles whose paths need one. The znodes it creates (copies, missing
   * parents) carry an ACL that lets everyone read them and only this identity change them; who may
   * create or remove them is up to their parent's ACL, as ZooKeeper decides.
   */
  username?: string;
  password?: string;
  /** Asked of the server (it grants 2 to 20 ticks): how long ephemeral copies outlive a dead writer. */
  sessionTimeoutMs: number;
  /**
   * Each call fails after this long without an answer (a server that is down). Default 5000. A call
   * made while there is no connection waits for one at most 3 s of it (CONNECT_WAIT_MS).
   */
  requestTimeoutMs?: number;
}

/** One operation of an atomic `multi`; `check` only asserts the znode's version. */
export type ZooKeeperOp =
  | { op: 'check'; path: string; version: number }
  | { op: 'create'; path: string; data: Buffer; mode: number }
  | { op: 'remove'; path: string; version?: number }
  | { op: 'setData'; path: string; data: Buffer; version?: number };

/** The connect string and the chroot of a cluster's addresses (`host:port[/chroot]` each, one chroot). */
export function connectString(addresses: readonly string[]): { hosts: string; chroot: string } {
  const chroots = new Set<string>();
  const hosts = addresses.map((a) => {
    const slash = a.indexOf('/');
    if (slash < 0) return a;
    chroots.add(a.slice(slash).replace(/\/+$/, ''));
    return a.slice(0, slash);
  });
  const chroot = [...chroots].find((c) => c !== '') ?? '';
  return { hosts: hosts.join(','), chroot };
}

/** The index of the operation that failed a `multi`, when `err` is such a refusal. */
export function failedOpOf(err: unknown): number | undefined {
  const index = (err as { failedOp?: unknown } | null)?.failedOp;
  return typeof index === 'number' && index >= 0 ? index : undefined;
}

/** Whether a ZooKeeper answer is `code` (Exception.NO_NODE, NODE_EXISTS, …). */
export function isZooKeeperCode(err: unknown, code: number): boolean {
  return err instanceof Exception && err.getCode() === code;
}

/**
 * One ZooKeeper session at a time over node-zookeeper-client, with what the adapters need around it:
 * promises with a deadline per call (the library queues calls while disconnected, forever), a new
 * session when the server expired the last one (the library's client is dead after that), `session`
 * events, and `abandon` — leaving without closing the session, so ephemeral nodes stay until the
 * session times out.
 */
export class ZooKeeperConnection extends EventEmitter<{
  /** A session was established: `renewed` false the first time, true after an expiry took the previous one. */
  session: [{ sessionId: string; renewed: boolean }];
  /** The connection came back to the same session (the library restores its watches). */
  reconnected: [];
  /** The connection dropped (the session may survive it). */
  disconnected: [];
}> {
  readonly hosts: string;
  readonly chroot: string;
  private client: Client | undefined;
  private connected: Promise<void> | undefined;
  private closed = false;
  private lastState = '';
  private sessions = 0;
  private lastSession: string | undefined;
  private readonly requestTimeoutMs: number;
  private readonly connectWaitMs: number;

  constructor(private readonly settings: ZooKeeperSettings) {
    super();
    const { hosts, chroot } = connectString(settings.addresses);
    this.hosts = hosts;
    this.chroot = chroot;
    this.requestTimeoutMs = settings.requestTimeoutMs ?? 5000;
    this.connectWaitMs = Math.min(this.requestTimeoutMs, CONNECT_WAIT_MS);
  }

  /** The current session's id (hex), or undefined before the first one. */
  get sessionId(): string | undefined {
    return this.lastSession;
  }

  /** Whether the connection is up now (a session may outlive a disconnection, its calls wait for it). */
  get isConnected(): boolean {
    return (
      this.client !== undefined && (this.lastState === 'SYNC_CONNECTED' || this.lastState === 'CONNECTED_READ_ONLY')
    );
  }

  /** The session timeout the server granted (ms); 0 before the first session. */
  get sessionTimeoutMs(): number {
    return this.client?.getSessionTimeout() ?? 0;
  }

  /** The ACL of nodes this connection creates: its digest identity may do all, everyone may read. */
  get acls(): ACL[] {
    if (this.settings.username === undefined) return [new ACL(Permission.ALL, new Id('world', 'anyone'))];
    return [new ACL(Permission.ALL, new Id('auth', '')), new ACL(Permission.READ, new Id('world', 'anyone'))];
  }

  getChildren(path: string, watcher?: (e: Event) => void): Promise<string[]> {
    return this.call(`list ${path}`, (c, done) => {
      if (watcher) c.getChildren(path, watcher, (err, children) => done(err, children));
      else c.getChildren(path, (err, children) => done(err, children));
    });
  }

  getData(path: string, watcher?: (e: Event) => void): Promise<{ data: Buffer | undefined; stat: Stat }> {
    return this.call(`read ${path}`, (c, done) => {
      const cb = (err: Error | Exception | null, data: Buffer, stat: Stat): void =>
        done(err, { data: data ?? undefined, stat });
      if (watcher) c.getData(path, watcher, cb);
      else c.getData(path, cb);
    });
  }

  exists(path: string, watcher?: (e: Event) => void): Promise<Stat | undefined> {
    return this.call(`exists ${path}`, (c, done) => {
      if (watcher) c.exists(path, watcher, (err, stat) => done(err, stat ?? undefined));
      else c.exists(path, (err, stat) => done(err, stat ?? undefined));
    });
  }

  create(path: string, data: Buffer, mode: number): Promise<void> {
    return this.call(`create ${path}`, (c, done) => c.create(path, data, this.acls, mode, (err) => done(err)));
  }

  /** Creates `path` and its missing parents as persistent nodes (no data); resolves if it exists. */
  ensurePath(path: string): Promise<void> {
    return this.call(`create ${path}`, (c, done) =>
      c.mkdirp(path, this.acls, CreateMode.PERSISTENT, (err) => done(err)),
    );
  }

  setData(path: string, data: Buffer, version = -1): Promise<void> {
    return this.call(`write ${path}`, (c, done) => c.setData(path, data, version, (err) => done(err)));
  }

  remove(path: string, version = -1): Promise<void> {
    return this.call(`remove ${path}`, (c, done) => c.remove(path, version, (err) => done(err)));
  }

  /**
   * All of `ops` or none, atomically: a reader sees the state before or after, never between. A
   * refused transaction rejects with the first failed operation's exception, its index in `ops` as
   * `failedOp` (see `failedOpOf`).
   */
  multi(ops: readonly ZooKeeperOp[]): Promise<void> {
    return this.call(
      `transaction on ${ops.find((o) => o.op !== 'check')?.path ?? ops[0]?.path ?? '(none)'}`,
      (c, done) => {
        const tx = c.transaction();
        for (const o of ops) {
          if (o.op === 'check') tx.check(o.path, o.version);
          else if (o.op === 'create') tx.create(o.path, o.data, this.acls, o.mode);
          else if (o.op === 'remove') tx.remove(o.path, o.version ?? -1);
          else tx.setData(o.path, o.data, o.version ?? -1);
        }
        tx.commit((err, results) => {
          if (err instanceof Exception && Array.isArray(results)) {
            const failed = (results as Array<{ err?: number }>).findIndex(
              (r) => r.err !== undefined && r.err !== Exception.OK,
            );
            (err as unknown as { failedOp?: number }).failedOp = failed;
          }
          done(err);
        });
      },
    );
  }

  /** Connects (or waits for the connection) within the request timeout. */
  ready(): Promise<void> {
    return this.withDeadline('connect', this.connection(), this.connectWaitMs);
  }

  /** Ends the session: the server removes its ephemeral nodes now. */
  close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (!client) return Promise.resolve();
    if (this.lastState !== 'SYNC_CONNECTED') {
      this.dropSocket(client);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.dropSocket(client);
        resolve();
      }, 1000);
      client.once('disconnected', () => {
        clearTimeout(timer);
        resolve();
      });
      client.close();
    });
  }

  /**
   * Leaves without ending the session: its ephemeral nodes stay until the server times it out, the
   * bounded time a next writer has to take them over.
   */
  abandon(): void {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (client) this.dropSocket(client);
  }

  private connection(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`zookeeper ${this.hosts}: connection closed`));
    if (!this.connected) this.connected = this.open();
    return this.connected;
  }

  /** A new client and session; after an expiry, the next one. */
  private open(): Promise<void> {
    const client = createClient(this.hosts + this.chroot, {
      sessionTimeout: this.settings.sessionTimeoutMs,
      spinDelay: 200,
      retries: 0,
    });
    if (this.settings.username !== undefined) {
      client.addAuthInfo('digest', Buffer.from(`${this.settings.username}:${this.settings.password ?? ''}`));
    }
    this.client = client;
    const established = new Promise<void>((resolve, reject) => {
      client.on('state', (state: State) => {
        if (this.client !== client) return;
        const was = this.lastState;
        this.lastState = state.name;
        if (state === State.SYNC_CONNECTED || state === State.CONNECTED_READ_ONLY) {
          const sessionId = client.getSessionId().toString('hex');
          if (this.lastSession !== sessionId) {
            const renewed = this.sessions++ > 0;
            this.lastSession = sessionId;
            resolve();
            this.emit('session', { sessionId, renewed });
          } else if (was !== 'SYNC_CONNECTED') {
            this.emit('reconnected');
          }
        } else if (state === State.DISCONNECTED) {
          this.emit('disconnected');
        } else if (state === State.EXPIRED) {
          // The library's client is done with: the next call opens a new session.
          this.client = undefined;
          this.connected = undefined;
          this.dropSocket(client);
          this.emit('disconnected');
          if (!this.closed) void this.connection().catch(() => undefined);
        } else if (state === State.AUTH_FAILED) {
          this.connected = undefined;
          this.client = undefined;
          this.dropSocket(client);
          reject(new Error(`zookeeper ${this.hosts}: digest authentication failed`));
        }
      });
    });
    client.connect();
    this.watchHandshake(client);
    established.catch(() => undefined);
    return established;
  }

  /**
   * node-zookeeper-client times out the TCP connect only, not the session handshake after it: a
   * server that accepted the socket while starting up may never answer the ConnectRequest, and the
   * client then waits forever (seen after a server restart). As the Java client does, a handshake
   * that takes longer than HANDSHAKE_MS drops the socket, and the library connects again.
   */
  private watchHandshake(client: Client): void {
    let since: number | undefined;
    const timer = setInterval(() => {
      if (this.client !== client) {
        clearInterval(timer);
        return;
      }
      const manager = managerOf(client);
      const waiting = manager?.state === CONNECTING_STATE && manager.socket?.readyState === 'open';
      if (!waiting) {
        since = undefined;
      } else if (since === undefined) {
        since = Date.now();
      } else if (Date.now() - since > HANDSHAKE_MS) {
        since = undefined;
        manager.socket?.destroy();
      }
    }, HANDSHAKE_MS / 4);
    timer.unref();
  }

  private async call<T>(
    what: string,
    run: (client: Client, done: (err: Error | Exception | null | undefined, value?: T) => void) => void,
  ): Promise<T> {
    await this.withDeadline(what, this.connection(), this.connectWaitMs);
    const client = this.client;
    if (!client) throw new Error(`zookeeper ${this.hosts}: ${what}: no session`);
    const result = new Promise<T>((resolve, reject) => {
      run(client, (err, value) => {
        if (err) reject(asError(err, what));
        else resolve(value as T);
      });
    });
    return this.withDeadline(what, result, this.requestTimeoutMs);
  }

  private withDeadline<T>(what: string, work: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`zookeeper ${this.hosts}: ${what}: no answer in ${ms} ms`)), ms);
      work.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  /**
   * Stops the library's client without a CLOSE_SESSION: marking it closing keeps it from
   * reconnecting when its socket closes (node-zookeeper-client has no public call for this).
   */
  private dropSocket(client: Client): void {
    const manager = managerOf(client);
    if (!manager) return;
    manager.state = CLOSING_STATE;
    manager.socket?.destroy();
  }
}

/**
 * How long a call waits for a connection: an ensemble that refuses or never answers is reported
 * (a cluster check, a diff, a task's source) in 3 s, not after the whole request timeout.
 */
const CONNECT_WAIT_MS = 3000;
/** node-zookeeper-client's ConnectionManager states: connecting, and closing (a closed socket is not reconnected). */
const CONNECTING_STATE = 1;
const CLOSING_STATE = -1;
/** How long a session handshake may take once the socket is connected (normally milliseconds). */
const HANDSHAKE_MS = 2000;

/** The library's internal connection manager: its state and socket (it has no public call for either). */
function managerOf(client: Client): { state: number; socket?: { readyState: string; destroy(): void } } | undefined {
  return (
    client as unknown as { connectionManager?: { state: number; socket?: { readyState: string; destroy(): void } } }
  ).connectionManager;
}

/**
 * The library's Exception inherits from Error (util.inherits; its typings do not say so) and its
 * message is the code's name only (NO_NODE[-101]): say what the call was.
 */
function asError(err: Error | Exception, what: string): Error {
  if (!(err instanceof Exception)) return err;
  const error = err as unknown as Error;
  error.message = `${what}: ${err.toString()}`;
  return error;
}

/** Sends a ZooKeeper four-letter word (`srvr`) and resolves with the whole answer. */
export function fourLetterWord(address: string, word: string, timeoutMs: number): Promise<string> {
  const at = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.slice(0, at), port: Number(address.slice(at + 1)) });
    let answer = '';
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`${address}: no answer to ${word} in ${timeoutMs} ms`)),
    );
    socket.on('connect', () => socket.write(word));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('end', () => resolve(answer));
  });
}
