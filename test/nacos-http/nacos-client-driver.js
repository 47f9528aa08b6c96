'use strict';
// Runs the real `nacos` npm client in a plain Node process, driven by its parent over IPC. Jest's
// transform would compile the client's CommonJS as ES modules, which breaks its `this`-based
// helpers (gzip detection of pushes); here it runs exactly as in an application.
const { NacosNamingClient } = require('nacos');

const quiet = { info() {}, warn() {}, error() {}, debug() {}, log() {} };
const clients = new Map();

async function handle(message) {
  const { op, name, args = [] } = message;
  switch (op) {
    case 'create': {
      const client = new NacosNamingClient({ logger: quiet, ...args[0] });
      client.on('error', () => undefined);
      await client.ready();
      clients.set(name, client);
      return null;
    }
    case 'subscribe': {
      const [info, tag] = args;
      clients.get(name).subscribe(info, (hosts) => process.send({ event: tag, at: Date.now(), hosts }));
      return null;
    }
    case 'serviceList':
      return clients.get(name)._serverProxy.getServiceList(...args);
    case 'close': {
      const client = clients.get(name);
      clients.delete(name);
      await client.close();
      return null;
    }
    default:
      return clients.get(name)[op](...args);
  }
}

process.on('message', (message) => {
  handle(message).then(
    (result) => process.send({ id: message.id, result: result === undefined ? null : result }),
    (err) => process.send({ id: message.id, error: String(err && err.message ? err.message : err) }),
  );
});
process.on('disconnect', () => process.exit(0));
