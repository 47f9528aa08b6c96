import { request } from 'node:http';
import { Socket } from 'node:net';

/**
 * What one check found. `now` marks a failure that turns the instance unhealthy at once rather than
 * after NACOS_HEALTH_CHECK_TIMES failures in a row, as Nacos's processors decide it: a refused
 * connection (nothing listens), or an HTTP status that is neither the expected one nor a busy
 * server's (503, 302).
 */
export type ProbeResult = { ok: true; detail: string } | { ok: false; now: boolean; detail: string };

/** Connects to ip:port and closes at once: healthy when the connection is accepted within `timeoutMs`. */
export function tcpProbe(ip: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let done = false;
    const finish = (result: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, now: false, detail: 'tcp:timeout' }), timeoutMs);
    socket.once('connect', () => finish({ ok: true, detail: 'tcp:ok' }));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      finish({ ok: false, now: err.code === 'ECONNREFUSED', detail: `tcp:${err.code ?? err.message}` }),
    );
    socket.connect({ host: ip, port });
  });
}

export interface HttpProbeTarget {
  ip: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  expectedResponseCode: number;
}

/**
 * GET http://ip:port<path> with the checker's headers, body discarded, no keep-alive: healthy on the
 * expected status; 503 and 302 (a busy server) count as one failure; any other status, or a refused
 * connection, turns it unhealthy at once; no answer within `timeoutMs` counts as one failure.
 */
export function httpProbe(target: HttpProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (result: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const path = target.path.startsWith('/') ? target.path : `/${target.path}`;
    let req: ReturnType<typeof request>;
    try {
      req = makeRequest();
    } catch (err) {
      // A header value a request cannot carry: the checker is unusable, which is the instance's failure here.
      resolve({ ok: false, now: true, detail: `http:error:${(err as Error).message}` });
      return;
    }
    const timer = setTimeout(() => finish({ ok: false, now: false, detail: 'http:timeout' }), timeoutMs);
    req.once('error', (err: NodeJS.ErrnoException) =>
      finish({ ok: false, now: err.code === 'ECONNREFUSED', detail: `http:${err.code ?? err.message}` }),
    );
    req.end();

    function makeRequest(): ReturnType<typeof request> {
      return request(
        {
          host: target.ip,
          port: target.port,
          path,
          method: 'GET',
          headers: { 'user-agent': 'Nacos-Server', ...target.headers, connection: 'close' },
          agent: false,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          res.resume();
          if (status === target.expectedResponseCode) finish({ ok: true, detail: `http:${status}` });
          else finish({ ok: false, now: status !== 503 && status !== 302, detail: `http:${status}` });
        },
      );
    }
  });
}
