import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';

const TYPE_A = 1;
const CLASS_IN = 1;

/**
 * A DNS server for tests (UDP, loopback): answers A queries for the names it was given, the way a
 * Kubernetes headless Service answers with its pods' IPs; NXDOMAIN for any other name.
 */
export class TestDnsServer {
  readonly queries: string[] = [];

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
    private readonly records: Map<string, string[]>,
  ) {}

  static async start(records: Record<string, string[]>): Promise<TestDnsServer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const map = new Map(Object.entries(records).map(([name, ips]) => [name.toLowerCase(), ips]));
    const server = new TestDnsServer(socket, socket.address().port, map);
    socket.on('message', (query, peer) => {
      const answer = server.answer(query);
      if (answer) socket.send(answer, peer.port, peer.address);
    });
    return server;
  }

  /** `host:port` as DISTRO_DNS_SERVER takes it. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  set(name: string, ips: string[]): void {
    this.records.set(name.toLowerCase(), ips);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(query: Buffer): Buffer | undefined {
    if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined;
    const labels: string[] = [];
    let at = 12;
    while (at < query.length && query[at] !== 0) {
      const length = query[at];
      labels.push(query.subarray(at + 1, at + 1 + length).toString('ascii'));
      at += 1 + length;
    }
    const questionEnd = at + 5; // the terminating zero, QTYPE, QCLASS
    if (questionEnd > query.length) return undefined;
    const name = labels.join('.').toLowerCase();
    const type = query.readUInt16BE(at + 1);
    this.queries.push(name);
    const ips = this.records.get(name);
    const answers = type === TYPE_A && ips ? ips : [];
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0); // id
    header.writeUInt16BE(0x8180 | (ips ? 0 : 3), 2); // response, recursion desired+available, NXDOMAIN if unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const records = answers.map((ip) => {
      const record = Buffer.alloc(16);
      record.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      record.writeUInt16BE(TYPE_A, 2);
      record.writeUInt16BE(CLASS_IN, 4);
      record.writeUInt32BE(5, 6); // TTL
      record.writeUInt16BE(4, 10);
      ip.split('.').forEach((octet, i) => record.writeUInt8(Number(octet), 12 + i));
      return record;
    });
    return Buffer.concat([header, query.subarray(12, questionEnd), ...records]);
  }
}
