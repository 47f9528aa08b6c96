import { describeAdminApiFuzz } from './admin-api';
import { describeAuthApiFuzz } from './auth-api';
import { describeDistroFuzz } from './distro';
import { describeNacosGrpcFuzz } from './nacos-grpc';
import { describeNacosHttpFuzz } from './nacos-http';
import { describeRegistryApiFuzz } from './registry-api';
import { FuzzContext } from './support/fuzz-context';

/**
 * Seeded, bounded fuzz of every edge (issue 16): the Nacos HTTP v1/v2 API, Nacos gRPC, the
 * registry API, the Distro port and the admin API, each on a node without tokens and on one with
 * every secret set. For every case: no 5xx, no gRPC INTERNAL/UNKNOWN, no crash, no hang over 5 s,
 * no state change from a refused call, no value outside the text rule accepted, no secret marker in
 * any response or log line. The admin API runs last: the tasks it creates run in the background;
 * then sign-in and users, on a node of their own.
 */
describe('edge fuzz', () => {
  const ctx = new FuzzContext();

  beforeAll(() => ctx.start());
  afterAll(() => ctx.stop());

  describeNacosHttpFuzz(ctx);
  describeNacosGrpcFuzz(ctx);
  describeRegistryApiFuzz(ctx);
  describeDistroFuzz(ctx);
  describeAdminApiFuzz(ctx);
  describeAuthApiFuzz(ctx);

  it('should never print a secret marker in a log line (whole run)', () => {
    for (const node of [ctx.open, ctx.tokened]) {
      const leaks = node.allLeakedLogLines();
      const detail = `${node.label}: ${leaks.length} lines, e.g. ${leaks[0]}`;
      if (leaks.length > 0) ctx.findings.report([{ edge: 'any', endpoint: 'log', kind: 'secret-in-log', detail }], {});
    }
  });

  it('should leave no violation behind (FUZZ_FINDINGS=<dir> lists them all)', () => {
    ctx.findings.finish();
  });
});
