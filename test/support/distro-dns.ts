import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';

/**
 * A tiny authoritative DNS responder on loopback UDP for the Distro DNS-membership tests: answers
 * A queries for one name with whatever addresses the test sets, NXDOMAIN-free (empty answer) otherwise.
 */
export class DistroTestDns {
  private addresses: string[] = [];

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
    private readonly name: string,
  ) {
    socket.on('message', (query, remote) => {
      const answer = this.answer(query);
      if (answer) socket.send(answer, remote.port, remote.address);
    });
  }

  static async start(name: string): Promise<DistroTestDns> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new DistroTestDns(socket, socket.address().port, name.toLowerCase());
  }

  /** The A records answered from now on. */
  set(addresses: string[]): void {
    this.addresses = addresses;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(query: Buffer): Buffer | undefined {
    if (query.length < 17) return undefined;
    // Question: labels from offset 12, then QTYPE and QCLASS.
    const labels: string[] = [];
    let at = 12;
    while (at < query.length && query[at] !== 0) {
      const length = query[at];
      labels.push(query.subarray(at + 1, at + 1 + length).toString());
      at += 1 + length;
    }
    const questionEnd = at + 5;
    if (questionEnd > query.length) return undefined;
    const qtype = query.readUInt16BE(at + 1);
    const records = labels.join('.').toLowerCase() === this.name && qtype === 1 ? this.addresses : [];
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8180, 2); // response, recursion desired + available, no error
    header.writeUInt16BE(1, 4); // one question
    header.writeUInt16BE(records.length, 6);
    const answers = records.map((ip) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      rr.writeUInt16BE(1, 2); // A
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(1, 6); // TTL 1 s
      rr.writeUInt16BE(4, 10);
      ip.split('.').forEach((octet, i) => rr.writeUInt8(Number(octet), 12 + i));
      return rr;
    });
    return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
  }
}
