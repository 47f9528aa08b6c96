'use strict';
// Runs the real Nacos 2.x SDK (nacos-sdk-rust-binding-node) in its own process, driven by its
// parent over IPC. The SDK connects synchronously inside its constructor, which would deadlock a
// server running on the same event loop; in its own process it also dies like a crashed app.
const { NacosNamingClient } = require('nacos-sdk-rust-binding-node');

const clients = new Map();

async function run(message) {
  const { client: name, op, args } = message;
  if (op === 'create') {
    clients.set(name, new NacosNamingClient({ namespace: '', namingPushEmptyProtection: false, ...args[0] }));
    return null;
  }
  const client = clients.get(name);
  if (client === undefined) throw new Error(`no client ${name}`);
  if (op === 'subscribe') {
    const [service, group] = args;
    await client.subscribe(service, group, [], (err, instances) => {
      process.send({ event: 'push', client: name, service, instances: err ? null : instances });
    });
    return null;
  }
  return client[op](...args);
}

process.on('message', (message) => {
  run(message).then(
    (result) => process.send({ id: message.id, result: result === undefined ? null : result }),
    (err) => process.send({ id: message.id, error: String(err && err.message ? err.message : err) }),
  );
});
process.send({ event: 'ready' });
