import { Logger } from '@nestjs/common';
import { LogLevels } from '@/observability/log-levels';
import { StandaloneRouting } from '@/routing/cluster-routing';
import type { MemberLookup } from '@/routing/cluster-routing';
import { NacosRequestError, NacosV2ErrorCode } from './nacos-errors';
import { NacosParams } from './nacos-params';
import { MAX_REPORTED_NODES, NodeAdmin } from './node-admin';

/** A node with the given addressing mode and peers; everything else as a node without peers. */
class FakeRouting extends StandaloneRouting {
  checked: string[][] = [];

  constructor(
    private readonly mode: MemberLookup,
    private readonly peers: string[] = [],
  ) {
    super();
  }

  lookup(): MemberLookup {
    return this.mode;
  }
  checkMembers(ids: readonly string[]): string[] {
    this.checked.push([...ids]);
    return ids.filter((id) => this.peers.includes(id));
  }
}

function refusal(fn: () => unknown): { status: number; code: NacosV2ErrorCode; message: string } {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof NacosRequestError)) throw error;
    return { status: error.status, code: error.code, message: error.message };
  }
  throw new Error('expected a refusal');
}

describe('NodeAdmin', () => {
  beforeAll(() => Logger.overrideLogger(false));

  describe('setLogLevel', () => {
    it('should set the named logger, and refuse a missing or unknown name or level with 400', () => {
      const levels = new LogLevels('info');
      const admin = new NodeAdmin(levels, new FakeRouting('file'));
      admin.setLogLevel(NacosParams.of({ logName: 'naming-distro', logLevel: 'debug' }));
      expect(levels.levelOf('naming-distro')).toBe('debug');

      expect(refusal(() => admin.setLogLevel(NacosParams.of({ logLevel: 'debug' }, true)))).toEqual({
        status: 400,
        code: NacosV2ErrorCode.ParameterMissing,
        message: "Required parameter 'logName' type String is not present",
      });
      expect(refusal(() => admin.setLogLevel(NacosParams.of({ logName: 'naming-rt' })))).toMatchObject({
        code: NacosV2ErrorCode.ParameterMissing,
        message: "Param 'logLevel' is required.",
      });
      expect(refusal(() => admin.setLogLevel(NacosParams.of({ logName: 'x', logLevel: 'debug' })))).toMatchObject({
        status: 400,
        code: NacosV2ErrorCode.ParameterValidateError,
        message: expect.stringMatching(/^logName x is not a logger here; one of: naming-server, /) as string,
      });
      expect(
        refusal(() => admin.setLogLevel(NacosParams.of({ logName: 'naming-rt', logLevel: 'loud' }))),
      ).toMatchObject({ code: NacosV2ErrorCode.ParameterValidateError });
      expect(levels.levelOf('naming-rt')).toBe('info');
    });
  });

  describe('reportNodes', () => {
    it('should ask to check each reported member by address, else ip:port, skipping what is no member', () => {
      const routing = new FakeRouting('file', ['10.0.0.2:7848', '[fd00::3]:7848']);
      const admin = new NodeAdmin(new LogLevels('info'), routing);
      const result = admin.reportNodes([
        { ip: '10.0.0.2', port: 7848, state: 'UP' },
        { address: '10.0.0.9:7848' },
        { ip: 'fd00::3', port: '7848' },
        { ip: '10.0.0.4', port: 0 },
        { ip: '', port: 7848 },
        'not a member',
        null,
        [1, 2],
      ]);
      expect(routing.checked).toEqual([['10.0.0.2:7848', '10.0.0.9:7848', '[fd00::3]:7848']]);
      expect(result).toEqual({ checked: ['10.0.0.2:7848', '[fd00::3]:7848'] });
    });

    it('should refuse no list, an empty one or an oversized one with 400', () => {
      const admin = new NodeAdmin(new LogLevels('info'), new FakeRouting('file'));
      const missing = {
        status: 400,
        code: NacosV2ErrorCode.ParameterMissing,
        message: "required parameter 'nodes' is missing",
      };
      expect(refusal(() => admin.reportNodes(undefined))).toEqual(missing);
      expect(refusal(() => admin.reportNodes([]))).toEqual(missing);
      expect(refusal(() => admin.reportNodes({ ip: '10.0.0.2', port: 7848 }))).toEqual(missing);
      expect(
        refusal(() => admin.reportNodes(Array.from({ length: MAX_REPORTED_NODES + 1 }, () => ({})))),
      ).toMatchObject({ status: 400, code: NacosV2ErrorCode.ParameterValidateError });
    });
  });

  describe('switchLookup', () => {
    it('should answer for the mode in use and refuse another with the setting that decides it', () => {
      const file = new NodeAdmin(new LogLevels('info'), new FakeRouting('file'));
      expect(() => file.switchLookup(NacosParams.of({ type: 'file' }))).not.toThrow();
      expect(refusal(() => file.switchLookup(NacosParams.of({ type: 'address-server' })))).toEqual({
        status: 400,
        code: NacosV2ErrorCode.ParameterValidateError,
        message:
          'the addressing mode is file (DISTRO_MEMBERS), set at start; address-server is chosen with DISTRO_MEMBERS_DNS and a restart',
      });
      const dns = new NodeAdmin(new LogLevels('info'), new FakeRouting('address-server'));
      expect(() => dns.switchLookup(NacosParams.of({ type: 'address-server' }))).not.toThrow();
      const alone = new NodeAdmin(new LogLevels('info'), new FakeRouting('standalone'));
      expect(refusal(() => alone.switchLookup(NacosParams.of({ type: 'file' })))).toMatchObject({
        message: expect.stringContaining('runs without peers') as string,
      });
    });

    it('should refuse a missing or unknown type with 400', () => {
      const admin = new NodeAdmin(new LogLevels('info'), new FakeRouting('file'));
      expect(refusal(() => admin.switchLookup(NacosParams.of({})))).toEqual({
        status: 400,
        code: NacosV2ErrorCode.ParameterMissing,
        message: "required parameter 'type' is missing",
      });
      expect(refusal(() => admin.switchLookup(NacosParams.of({ type: 'zookeeper' })))).toEqual({
        status: 400,
        code: NacosV2ErrorCode.ParameterValidateError,
        message: 'The addressing mode exists : zookeeper, just support : [file, address-server]',
      });
    });
  });
});
