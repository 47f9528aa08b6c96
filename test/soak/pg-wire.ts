import { connect } from 'node:net';
import type { Socket } from 'node:net';

/** Just enough of the Postgres wire protocol to send extended-protocol messages one by one. */
function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const cstring = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf8');
const int16 = (n: number): Buffer => Buffer.from([(n >> 8) & 255, n & 255]);
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

export const parse = (sql: string): Buffer => message('P', Buffer.concat([cstring(''), cstring(sql), int16(0)]));
export const bind = (params: string[]): Buffer =>
  message(
    'B',
    Buffer.concat([
      cstring(''),
      cstring(''),
      int16(0),
      int16(params.length),
      ...params.flatMap((p) => [int32(Buffer.byteLength(p)), Buffer.from(p)]),
      int16(0),
    ]),
  );
export const execute = (): Buffer => message('E', Buffer.concat([cstring(''), int32(0)]));
export const sync = (): Buffer => message('S', Buffer.alloc(0));

/** The backend messages of a reply: type letter and body. */
function messages(reply: Buffer): Array<{ type: string; body: Buffer }> {
  const out: Array<{ type: string; body: Buffer }> = [];
  for (let at = 0; at + 5 <= reply.length;) {
    const length = reply.readInt32BE(at + 1);
    out.push({ type: String.fromCharCode(reply[at]), body: reply.subarray(at + 5, at + 1 + length) });
    at += 1 + length;
  }
  return out;
}

/** First column of every DataRow, as text. */
export function dataRows(reply: Buffer): string[] {
  return messages(reply)
    .filter((m) => m.type === 'D')
    .map((m) => m.body.subarray(6, 6 + m.body.readInt32BE(2)).toString());
}

/** The message field of every ErrorResponse. */
export function errors(reply: Buffer): string[] {
  return messages(reply)
    .filter((m) => m.type === 'E')
    .map((m) => /M([^\0]*)/.exec(m.body.toString())?.[1] ?? 'error');
}

/** A raw connection that has done its startup; replies are read up to ReadyForQuery. */
export class WireClient {
  private received = Buffer.alloc(0);

  private constructor(private readonly socket: Socket) {
    socket.on('data', (data: Buffer) => (this.received = Buffer.concat([this.received, data])));
  }

  static async connect(url: string): Promise<WireClient> {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new WireClient(socket);
    const params = Buffer.concat([
      cstring('user'),
      cstring('postgres'),
      cstring('database'),
      cstring('postgres'),
      Buffer.from([0]),
    ]);
    const startup = Buffer.concat([int32(params.length + 8), int32(196608), params]);
    socket.write(startup);
    await client.untilReady();
    return client;
  }

  send(...parts: Buffer[]): void {
    this.socket.write(Buffer.concat(parts));
  }

  /** Everything received up to and including the next ReadyForQuery. */
  async untilReady(timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let at = 0;
      while (at + 5 <= this.received.length) {
        const end = at + 1 + this.received.readInt32BE(at + 1);
        if (end > this.received.length) break;
        if (this.received[at] === 'Z'.charCodeAt(0)) {
          const reply = this.received.subarray(0, end);
          this.received = this.received.subarray(end);
          return reply;
        }
        at = end;
      }
      if (Date.now() > deadline) throw new Error('no ReadyForQuery in time');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): void {
    this.socket.end();
  }
}
