// A probe the rig's own spec (netns.fault-spec.ts) runs inside each namespace: answers TCP on 7000,
// counts UDP datagrams on 7001 by source, and on stdin takes JSON commands, one a line, answering each
// with one JSON line carrying the same id:
//   {"id":1,"op":"tcp","host":"10.1.2.3","port":7000,"timeoutMs":1000} -> {"id":1,"ok":true,"ms":0.4}
//   {"id":2,"op":"udp","host":"10.1.2.3","port":7001,"count":200}      -> {"id":2,"sent":200}
//   {"id":3,"op":"udpReceived"}                                         -> {"id":3,"bySource":{"10.1.2.1":190}}
'use strict';
const net = require('node:net');
const dgram = require('node:dgram');
const readline = require('node:readline');

const received = {};
net.createServer((socket) => socket.end('pong\n')).listen(7000, '0.0.0.0');
const udp = dgram.createSocket('udp4');
udp.on('message', (_msg, rinfo) => (received[rinfo.address] = (received[rinfo.address] ?? 0) + 1));
udp.bind(7001, '0.0.0.0');

function tcp({ host, port, timeoutMs }) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const socket = net.connect({ host, port });
    const finish = (result) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...result, ms: Number(process.hrtime.bigint() - started) / 1e6 });
    };
    const timer = setTimeout(() => finish({ ok: false, error: 'timeout' }), timeoutMs ?? 1000);
    socket.once('data', () => finish({ ok: true }));
    socket.once('error', (error) => finish({ ok: false, error: error.code ?? error.message }));
  });
}

async function udpSend({ host, port, count }) {
  const socket = dgram.createSocket('udp4');
  for (let i = 0; i < count; i++) {
    await new Promise((resolve) => socket.send(Buffer.from(String(i)), port, host, resolve));
    if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  socket.close();
  return { sent: count };
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const command = JSON.parse(line);
  const work =
    command.op === 'tcp'
      ? tcp(command)
      : command.op === 'udp'
        ? udpSend(command)
        : Promise.resolve({ bySource: { ...received } });
  void work.then((result) => process.stdout.write(`${JSON.stringify({ id: command.id, ...result })}\n`));
});
process.stdin.on('end', () => process.exit(0));
process.stdout.write('{"ready":true}\n');
