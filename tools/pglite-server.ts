import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/** One exchange a client sends: a simple Query, an extended-protocol batch up to its Sync, or a startup. */
interface Exchange {
  session: Session;
  messages: Buffer[];
}

interface Session {
  socket: Socket;
  buffer: Buffer;
  /** Typed messages received since the last Sync. */
  pending: Buffer[];
  closed: boolean;
}

/**
 * Serves one in-memory PGlite to several Postgres clients (the nodes of one region) on a loopback
 * port. PGlite has a single session, so clients must take turns; this server lets them take turns
 * at the boundaries where that is safe: a whole extended-protocol exchange (Parse … Sync, whose
 * unnamed statement another client would otherwise overwrite) and a whole transaction (no other
 * client runs until the owner's ReadyForQuery says idle again). A client that disconnects inside
 * a transaction has it rolled back. Session state beyond that (SET, advisory locks) is shared, so
 * clients must not rely on it: the region starts its first node alone so it migrates alone.
 */
export class PgliteServer {
  private readonly queue: Exchange[] = [];
  private owner: Session | undefined;
  private running = false;
  private readonly sessions = new Set<Session>();

  private constructor(
    private readonly db: PGlite,
    private readonly server: Server,
  ) {}

  /**
   * A fresh cluster by initdb, or loaded from `loadDataDir` (a `dumpDataDir` of a fresh cluster): the specs
   * pass the test run's dump, which loads in a fraction of initdb's seconds.
   */
  static async start({ loadDataDir }: { loadDataDir?: Blob } = {}): Promise<PgliteServer> {
    // ESM-first package: load it lazily, as src/database does.
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await (loadDataDir ? PGlite.create({ loadDataDir }) : PGlite.create());
    const server = createServer();
    const self = new PgliteServer(db, server);
    server.on('connection', (socket) => self.accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${(this.server.address() as AddressInfo).port}/postgres`;
  }

  async stop(): Promise<void> {
    for (const s of this.sessions) s.socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
    while (this.running) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.db.close();
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const session: Session = { socket, buffer: Buffer.alloc(0), pending: [], closed: false };
    this.sessions.add(session);
    socket.on('data', (data) => this.receive(session, data));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => void this.close(session));
  }

  private receive(session: Session, data: Buffer): void {
    session.buffer = Buffer.concat([session.buffer, data]);
    for (;;) {
      const b = session.buffer;
      if (b.length > 0 && b[0] === 0) {
        // Untyped start-up packets (their length's first byte is 0): SSL and cancel requests, startup.
        if (b.length < 8) return;
        const length = b.readInt32BE(0);
        const code = b.readInt32BE(4);
        if (b.length < length) return;
        session.buffer = b.subarray(length);
        if (code === SSL_REQUEST) session.socket.write('N');
        else if (code === PROTOCOL_3) this.enqueue({ session, messages: [b.subarray(0, length)] });
        else if (code === CANCEL_REQUEST)
          session.socket.end(); // PGlite has no backend to interrupt
        else session.socket.destroy();
        continue;
      }
      if (b.length < 5) return;
      const length = 1 + b.readInt32BE(1);
      if (b.length < length) return;
      const message = b.subarray(0, length);
      session.buffer = b.subarray(length);
      const type = String.fromCharCode(message[0]);
      if (type === 'X') {
        session.socket.end(); // Terminate: the shared backend session must live on
        return;
      }
      session.pending.push(message);
      // A simple Query stands alone; extended-protocol messages run together up to their Sync.
      if (type === 'Q' || type === 'S') {
        this.enqueue({ session, messages: session.pending });
        session.pending = [];
      }
    }
  }

  private enqueue(exchange: Exchange): void {
    this.queue.push(exchange);
    void this.drain();
  }

  /** Runs queued exchanges one at a time; while a client holds a transaction only its exchanges run. */
  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const at = this.owner ? this.queue.findIndex((e) => e.session === this.owner) : 0;
        if (at < 0 || this.queue.length === 0) return;
        const [exchange] = this.queue.splice(at, 1);
        if (exchange.session.closed) continue;
        try {
          for (const message of exchange.messages) {
            const reply = await this.db.execProtocolRaw(new Uint8Array(message));
            if (reply.length > 0 && !exchange.session.closed) exchange.session.socket.write(reply);
          }
        } catch {
          // PGlite answers SQL errors in the protocol; a throw means the exchange itself broke.
          exchange.session.socket.destroy();
        }
        this.owner = this.db.isInTransaction() ? exchange.session : undefined;
      }
    } finally {
      this.running = false;
    }
  }

  private async close(session: Session): Promise<void> {
    session.closed = true;
    this.sessions.delete(session);
    if (this.owner !== session) return;
    // Wait for an exchange of this session that is running now, then undo its open transaction.
    while (this.running) await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.owner === session) {
      this.running = true;
      try {
        await this.db.exec('ROLLBACK');
      } finally {
        this.owner = undefined;
        this.running = false;
      }
      void this.drain();
    }
  }
}
