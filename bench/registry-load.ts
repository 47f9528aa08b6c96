/**
 * Load generator of the registry benchmark (a separate process): keep-alive HTTP POSTs of v1
 * registrations with distinct ip:port, at fixed concurrency, for a fixed time. Prints one JSON line.
 */
import { Agent, request } from 'node:http';

export interface LoadReport {
  requests: number;
  errors: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
}

/** The query string the `nacos` npm client sends for a registration, for instance number `n`. */
export function registrationQuery(n: number, worker: number): string {
  const ip = `10.${worker & 255}.${(n >> 8) & 255}.${n & 255}`;
  const port = 1024 + Math.floor(n / 65536);
  const service = `DEFAULT_GROUP@@bench-svc-${n % 1000}`;
  return (
    `namespaceId=public&serviceName=${encodeURIComponent(service)}&groupName=DEFAULT_GROUP&clusterName=DEFAULT` +
    `&ip=${ip}&port=${port}&weight=1&enable=true&healthy=true&ephemeral=true&metadata=${encodeURIComponent('{}')}`
  );
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

export async function load(
  target: string,
  path: string,
  seconds: number,
  concurrency: number,
  worker: number,
): Promise<LoadReport> {
  const url = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const deadline = Date.now() + seconds * 1000;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const started = process.hrtime.bigint();
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: `${path}?${registrationQuery(next++, worker)}`,
          agent,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
            else errors++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) await one();
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    errors,
    seconds: elapsed,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
}

if (require.main === module) {
  const [target = '', path = '', seconds = '5', concurrency = '64', worker = '0'] = process.argv.slice(2);
  load(target, path, Number(seconds), Number(concurrency), Number(worker)).then(
    (report) => process.stdout.write(`${JSON.stringify(report)}\n`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
