import { connect } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { NacosRequestClient, decodePayload, encodePayload } from '@/nacos/grpc/payload';

/**
 * What a Nacos gRPC port said to a ServerCheckRequest: `nacos2` answered as a Nacos 2.x/3.x
 * server; `absent` is certain there is none (refused, or a gRPC server without Nacos's
 * service); `unknown` could not tell (no answer in time, a connection that broke).
 */
export type GrpcProbe =
  { outcome: 'nacos2'; address: string } | { outcome: 'absent' | 'unknown'; address: string; reason: string };

type Refusal = { outcome: 'absent' | 'unknown'; reason: string };

/** Asks one `host:grpcPort` whether a Nacos 2.x server listens there; never throws. */
export async function probeNacosGrpc(address: string, timeoutMs: number): Promise<GrpcProbe> {
  const tcp = await tcpConnect(address, timeoutMs);
  if (tcp !== undefined) return { address, ...tcp };
  const stub = new NacosRequestClient(
    address,
    grpc.credentials.createInsecure(),
    // Its own connection, closed right after: the probe must not share one with a real client.
    { 'grpc.use_local_subchannel_pool': 1 },
  );
  try {
    return await new Promise<GrpcProbe>((resolve) => {
      stub.request(
        encodePayload('ServerCheckRequest', { headers: {} }),
        { deadline: Date.now() + timeoutMs },
        (err, payload) => {
          if (err) return resolve(classify(address, err));
          try {
            // Any Nacos answer, even an error one (auth, overload), is a 2.x server.
            decodePayload(payload);
            resolve({ outcome: 'nacos2', address });
          } catch (decodeError) {
            resolve({ outcome: 'unknown', address, reason: `not a Nacos answer: ${String(decodeError)}` });
          }
        },
      );
    });
  } finally {
    stub.close();
  }
}

function classify(address: string, err: grpc.ServiceError): GrpcProbe {
  if (err.code === grpc.status.UNIMPLEMENTED) {
    return { outcome: 'absent', address, reason: `gRPC server without the Nacos service (${err.details})` };
  }
  return { outcome: 'unknown', address, reason: `${grpc.status[err.code]}: ${err.details || err.message}` };
}

/** Undefined when the port accepts a connection; otherwise what that says. */
function tcpConnect(address: string, timeoutMs: number): Promise<Refusal | undefined> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(at + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: Refusal | undefined): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done({ outcome: 'unknown', reason: `no TCP answer within ${timeoutMs} ms` }));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(
        err.code === 'ECONNREFUSED'
          ? { outcome: 'absent', reason: 'connection refused' }
          : { outcome: 'unknown', reason: err.code ?? err.message },
      ),
    );
  });
}
