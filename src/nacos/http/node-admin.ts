import { Injectable, Logger } from '@nestjs/common';
import { LogLevelError, LogLevels } from '@/observability/log-levels';
import { ClusterRouting } from '@/routing/cluster-routing';
import { NacosRequestError, NacosV2ErrorCode } from './nacos-errors';
import type { NacosParams } from './nacos-params';

/** Nacos's addressing modes (`PUT /cluster/lookup`, LookupType). */
const LOOKUP_TYPES = ['file', 'address-server'];

/** The env variable that sets each addressing mode here. */
const LOOKUP_SETTING: Readonly<Record<string, string>> = {
  file: 'DISTRO_MEMBERS',
  'address-server': 'DISTRO_MEMBERS_DNS',
};

/** At most this many members are read from one `PUT /cluster/node/list` body. */
export const MAX_REPORTED_NODES = 1000;

/**
 * The operator writes of Nacos's admin APIs that act on this node: logger levels (`PUT /ops/log`), a
 * report of members (`PUT /cluster/node/list`) and the addressing mode (`PUT /cluster/lookup`).
 */
@Injectable()
export class NodeAdmin {
  private readonly logger = new Logger('NodeAdmin');

  constructor(
    private readonly levels: LogLevels,
    private readonly routing: ClusterRouting,
  ) {}

  /**
   * `logName`*, `logLevel`*: sets one named logger's level on this node until it restarts (Nacos's
   * `Loggers.setLogLevel`). An unknown name or level is a 400 code 20002 naming the ones known
   * (Nacos ignores an unknown name and takes an unknown level as DEBUG).
   */
  setLogLevel(params: NacosParams): void {
    const name = params.required('logName');
    const level = params.required('logLevel');
    try {
      const { before, after } = this.levels.set(name, level);
      this.logger.warn({ logName: name, before, after }, `log level of ${name} set to ${after} (was ${before})`);
    } catch (error) {
      if (error instanceof LogLevelError) {
        throw NacosRequestError.badParam(NacosV2ErrorCode.ParameterValidateError, error.message);
      }
      throw error;
    }
  }

  /**
   * A list of Nacos Members reported up (NacosClusterOperationService.updateNodes): each with an `ip`
   * and a `port` (its `address` when given) that is a peer of this node is probed at once and is UP
   * once it answers. Nacos marks a reported member UP unseen; here a report only hastens the check.
   * Entries that are no member object, or no member here, are skipped as Nacos skips an illegal one.
   * An empty or absent list is a 400 code 10000 `required parameter 'nodes' is missing`.
   */
  reportNodes(body: unknown): { checked: string[] } {
    if (!Array.isArray(body) || body.length === 0) {
      throw NacosRequestError.badParam(NacosV2ErrorCode.ParameterMissing, "required parameter 'nodes' is missing");
    }
    if (body.length > MAX_REPORTED_NODES) {
      throw NacosRequestError.badParam(
        NacosV2ErrorCode.ParameterValidateError,
        `at most ${MAX_REPORTED_NODES} nodes in one report, got ${body.length}`,
      );
    }
    const ids = body.map(memberAddress).filter((id): id is string => id !== undefined);
    return { checked: this.routing.checkMembers(ids) };
  }

  /**
   * `type`*: `file` or `address-server`. The mode is set at start (DISTRO_MEMBERS is Nacos's `file`,
   * DISTRO_MEMBERS_DNS its `address-server`), so asking for the mode in use answers true and changes
   * nothing; asking for the other one, or any on a node without peers, is a 400 code 20002 saying
   * which setting decides it (Nacos switches at run time).
   */
  switchLookup(params: NacosParams): void {
    const type = params.optional('type');
    if (type === undefined) {
      throw NacosRequestError.badParam(NacosV2ErrorCode.ParameterMissing, "required parameter 'type' is missing");
    }
    if (!LOOKUP_TYPES.includes(type)) {
      throw NacosRequestError.badParam(
        NacosV2ErrorCode.ParameterValidateError,
        `The addressing mode exists : ${type}, just support : [${LOOKUP_TYPES.join(', ')}]`,
      );
    }
    const current = this.routing.lookup();
    if (current === type) return;
    const message =
      current === 'standalone'
        ? `this node runs without peers (neither DISTRO_MEMBERS nor DISTRO_MEMBERS_DNS is set); its addressing mode is not switched at run time`
        : `the addressing mode is ${current} (${LOOKUP_SETTING[current]}), set at start; ${type} is chosen with ${LOOKUP_SETTING[type]} and a restart`;
    throw NacosRequestError.badParam(NacosV2ErrorCode.ParameterValidateError, message);
  }
}

/** `address`, else `ip:port`, of one reported Member; undefined for anything that is not one. */
function memberAddress(node: unknown): string | undefined {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
  const { ip, port, address } = node as Record<string, unknown>;
  if (typeof address === 'string' && address.trim() !== '' && address.length <= 300) return address.trim();
  if (typeof ip !== 'string' || ip.trim() === '' || ip.length > 255) return undefined;
  const number = typeof port === 'string' ? Number(port) : port;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > 65535) return undefined;
  return ip.includes(':') ? `[${ip.trim()}]:${number}` : `${ip.trim()}:${number}`;
}
