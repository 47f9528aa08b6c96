import { Client } from 'pg';
import { PgliteServer } from '../../tools/pglite-server';
import { pgliteTemplate } from '../support/pglite-template';
import { WireClient, bind, dataRows, errors, execute, parse, sync } from './pg-wire';

/** The embedded database the demo and the soak share between the nodes of one region. */
describe(PgliteServer.name, () => {
  let sut: PgliteServer;
  const clients: Client[] = [];
  const connect = async (): Promise<Client> => {
    const client = new Client({ connectionString: sut.url });
    await client.connect();
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    sut = await PgliteServer.start({ loadDataDir: pgliteTemplate() });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await sut?.stop();
  });

  it('should run an extended-protocol exchange whole, even when another client speaks between its messages', async () => {
    const x = await WireClient.connect(sut.url);
    const y = await WireClient.connect(sut.url);
    try {
      // x parses an unnamed two-parameter statement but has not bound it yet when y runs a
      // one-parameter one: served message by message, y's Parse would replace x's statement.
      x.send(parse('SELECT $1::int + $2::int AS n'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      y.send(parse('SELECT $1::int AS n'), bind(['7']), execute(), sync());
      const yReply = await y.untilReady();
      x.send(bind(['1', '2']), execute(), sync());
      const xReply = await x.untilReady();
      expect(dataRows(yReply)).toEqual(['7']);
      expect(errors(xReply)).toEqual([]);
      expect(dataRows(xReply)).toEqual(['3']);
    } finally {
      x.close();
      y.close();
    }
  });

  it('should let no other client run inside a transaction, and roll it back when its client goes', async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    await a.query('CREATE TABLE t (v int)');
    await a.query('BEGIN');
    await a.query('INSERT INTO t VALUES (1)');
    let seen: number | undefined;
    const read = b.query<{ n: number }>('SELECT count(*)::int AS n FROM t').then((r) => (seen = r.rows[0].n));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen).toBeUndefined(); // b waits for a's transaction
    await a.query('COMMIT');
    await read;
    expect(seen).toBe(1);

    const c = await connect();
    await c.query('BEGIN');
    await c.query('INSERT INTO t VALUES (2)');
    await c.end(); // gone inside its transaction
    clients.splice(clients.indexOf(c), 1);
    expect((await b.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(1);
  });
});
