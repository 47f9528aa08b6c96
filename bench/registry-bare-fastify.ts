/**
 * The baseline of the registry benchmark: a bare Fastify process whose one route parses the same
 * query string as a v1 registration and answers `ok`. Prints its port on stdout.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/nacos/v1/ns/instance', (request, reply) => {
  const query = request.query as Record<string, string | undefined>;
  // Touch what a registration reads, so both sides do the same parsing work.
  const port = Number(query.port);
  const weight = Number(query.weight ?? '1');
  const ok = Boolean(query.serviceName && query.ip && port > 0 && weight >= 0 && JSON.parse(query.metadata ?? '{}'));
  void reply.type('text/plain').send(ok ? 'ok' : 'bad');
});
app.listen({ port: 0, host: '127.0.0.1' }).then(
  () => {
    const address = app.server.address();
    process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
