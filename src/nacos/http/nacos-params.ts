import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { DEFAULT_CLUSTER, DEFAULT_GROUP, DEFAULT_NAMESPACE, GROUP_SEPARATOR, serviceKey } from '@/registry';
import type { ServiceKey } from '@/registry';
import { metadataViolation, parseStrictInteger, parseStrictNumber, printableViolation } from '@/common/text-rule';
import { NacosV2ErrorCode, NacosRequestError } from './nacos-errors';

/** Longest namespace, group, service or cluster name accepted. */
export const MAX_NAME_LENGTH = 256;
/** Metadata limits per instance: serialized size and number of keys. */
export const MAX_METADATA_BYTES = 16 * 1024;
export const MAX_METADATA_KEYS = 64;
/** Largest page a service list returns (Nacos v2 caps pageSize at 500). */
export const MAX_PAGE_SIZE = 500;

/** Where Nacos 3's APIs live: `/nacos/v3/client/...` and `/nacos/v3/admin/...`. */
const V3_PREFIX = '/nacos/v3/';

/** True for a call of Nacos 3's APIs. */
export function isV3Request(request: FastifyRequest): boolean {
  return typeof request.url === 'string' && request.url.startsWith(V3_PREFIX);
}

/** The Java types Nacos 3's forms declare for fields that are not String, as its messages name them. */
const PARAM_TYPES: Readonly<Record<string, string>> = {
  port: 'Integer',
  checkPort: 'Integer',
  healthy: 'Boolean',
  useInstancePort4Check: 'Boolean',
};

const SURROUNDING_SPACES = /^ +| +$/g;
const ONLY_SPACES = /^ *$/;

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;

/**
 * The parameters of one Nacos request. Nacos reads them with `request.getParameter`, which
 * merges the query string and a form body; a query value wins when both carry the key.
 */
export class NacosParams {
  private constructor(
    private readonly values: Readonly<Record<string, string>>,
    /** Nacos 3's v3 APIs word a missing parameter as their forms do (`Required parameter ... is not present`). */
    private readonly v3 = false,
  ) {}

  static of(values: Record<string, string>, v3 = false): NacosParams {
    return new NacosParams(values, v3);
  }

  static fromRequest(request: FastifyRequest): NacosParams {
    const values: Record<string, string> = Object.create(null) as Record<string, string>;
    copyInto(values, request.body);
    copyInto(values, request.query);
    return new NacosParams(values, isV3Request(request));
  }

  /**
   * The value without surrounding spaces, or undefined when absent or only spaces. Only U+0020 is
   * trimmed: a tab or line break around a name is a control character the text rule refuses, not
   * a blank to drop silently.
   */
  optional(name: string): string | undefined {
    return this.untrimmed(name)?.replace(SURROUNDING_SPACES, '');
  }

  /** True when the param was sent at all, even blank (Spring's `@RequestParam` presence). */
  present(name: string): boolean {
    return this.values[name] !== undefined;
  }

  /** True when the param was sent with a value other than spaces. */
  has(name: string): boolean {
    return this.untrimmed(name) !== undefined;
  }

  /** The value as sent, or undefined when absent or only spaces: numbers and booleans are read from it, blanks refused. */
  private untrimmed(name: string): string | undefined {
    const value = this.values[name];
    return value === undefined || ONLY_SPACES.test(value) ? undefined : value;
  }

  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined) throw this.missing(name);
    return value;
  }

  /** The 10000 error of a missing parameter, in the words of the API version asked. */
  missing(name: string): NacosRequestError {
    const message = this.v3
      ? `Required parameter '${name}' type ${PARAM_TYPES[name] ?? 'String'} is not present`
      : `Param '${name}' is required.`;
    return NacosRequestError.badParam(NacosV2ErrorCode.ParameterMissing, message);
  }

  /** A name (namespace, group, service, cluster): bounded length, printable (the text rule). */
  name(param: string, value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    return validName(param, value);
  }

  namespace(): string {
    return this.name('namespaceId', this.optional('namespaceId')) ?? DEFAULT_NAMESPACE;
  }

  /**
   * The service addressed: `serviceName` may be grouped (`group@@name`, as v1 clients send it) or
   * plain, in which case `groupName` (default DEFAULT_GROUP) applies.
   */
  service(): ServiceKey {
    const raw = this.name('serviceName', this.required('serviceName')) as string;
    const group = this.name('groupName', this.optional('groupName'));
    return parseServiceName(raw, this.namespace(), group);
  }

  cluster(param = 'clusterName'): string {
    const value = this.name(param, this.optional(param)) ?? DEFAULT_CLUSTER;
    if (value.includes(',')) {
      throw NacosRequestError.badParam(
        NacosV2ErrorCode.ParameterValidateError,
        `Param '${param}' must not contain ','.`,
      );
    }
    return value;
  }

  /** `clusters=a,b`: the list and the string to echo back. */
  clusters(): { list: string[]; echo: string } {
    const echo = this.name('clusters', this.optional('clusters')) ?? '';
    return { list: echo.split(',').filter((each) => each.length > 0), echo };
  }

  ip(): string {
    return validIp('ip', this.required('ip'));
  }

  port(): number {
    this.required('port');
    return validPort('port', this.untrimmed('port') as string);
  }

  /** Weight 0–10000, default 1. */
  weight(): number | undefined {
    const raw = this.untrimmed('weight');
    if (raw === undefined) return undefined;
    return validWeight(raw);
  }

  /**
   * A boolean as Nacos reads it (ConvertUtils.toBoolean, from commons-lang): `true`, `t`, `yes`, `y`,
   * `on` are true and `false`, `f`, `no`, `n`, `off` false, in any case; absent = undefined. Any other
   * value, which Nacos silently reads as false, is refused naming the param.
   */
  bool(...names: string[]): boolean | undefined {
    for (const name of names) {
      const raw = this.untrimmed(name);
      if (raw === undefined) continue;
      const value = parseNacosBoolean(raw);
      if (value === undefined) {
        throw NacosRequestError.badParam(
          NacosV2ErrorCode.ParameterValidateError,
          `Param '${name}' must be true or false.`,
        );
      }
      return value;
    }
    return undefined;
  }

  metadata(): Record<string, string> | undefined {
    const raw = this.optional('metadata');
    return raw === undefined ? undefined : parseMetadata(raw);
  }

  /**
   * A strict integer (no blanks around it, no fraction), or undefined when absent; 400 code 20002
   * (`refusal`) otherwise.
   */
  integer(name: string, refusal = `Param '${name}' must be an integer.`): number | undefined {
    const raw = this.untrimmed(name);
    if (raw === undefined) return undefined;
    const value = parseStrictInteger(raw);
    if (value === undefined) throw NacosRequestError.badParam(NacosV2ErrorCode.ParameterValidateError, refusal);
    return value;
  }

  /** Positive integer with a default and an upper bound. */
  positiveInt(name: string, fallback: number, max: number): number {
    const raw = this.untrimmed(name);
    if (raw === undefined) return fallback;
    const value = parseStrictInteger(raw);
    if (value === undefined || value < 1) {
      throw NacosRequestError.badParam(
        NacosV2ErrorCode.ParameterValidateError,
        `Param '${name}' must be a positive integer.`,
      );
    }
    return Math.min(value, max);
  }

  /** A page number: a strict non-negative integer, where Nacos reads 0 as page 1; default `fallback`. */
  pageNumber(name: string, fallback: number): number {
    const raw = this.untrimmed(name);
    if (raw === undefined) return fallback;
    const value = parseStrictInteger(raw);
    if (value === undefined || value < 0) {
      throw NacosRequestError.badParam(
        NacosV2ErrorCode.ParameterValidateError,
        `Param '${name}' must be a non-negative integer.`,
      );
    }
    return Math.min(Math.max(value, 1), 1_000_000);
  }

  /** `udpPort`: 0 or absent = none, else a port. */
  udpPort(): number {
    const raw = this.untrimmed('udpPort');
    return raw === undefined || raw === '0' ? 0 : validPort('udpPort', raw);
  }

  /** The query string and form fields as one urlencoded string (for forwarding a write). */
  toForm(): string {
    return new URLSearchParams(Object.entries(this.values)).toString();
  }
}

/** Nacos's boolean spellings (ConvertUtils.toBooleanObject), lower case. */
const NACOS_BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['t', true],
  ['yes', true],
  ['y', true],
  ['on', true],
  ['false', false],
  ['f', false],
  ['no', false],
  ['n', false],
  ['off', false],
]);

/** A boolean in one of Nacos's spellings (any case), or undefined for anything else. */
export function parseNacosBoolean(raw: string): boolean | undefined {
  return NACOS_BOOLEANS.get(raw.toLowerCase());
}

/** A name or id: at most MAX_NAME_LENGTH characters of printable text (src/common/text-rule.ts). */
export function validName(param: string, value: string): string {
  const reason =
    value.length > MAX_NAME_LENGTH
      ? `must be at most ${MAX_NAME_LENGTH} characters`
      : (printableViolation(value) ?? undecodedEscapes(value));
  if (reason !== undefined) {
    throw NacosRequestError.badParam(NacosV2ErrorCode.ParameterValidateError, `Param '${param}' ${reason}.`);
  }
  return value;
}

const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;

/**
 * Fastify's query and form parser (fast-querystring) keeps a value it cannot decode as sent: a lone
 * surrogate sent as its WTF-8 escapes (`%ED%A0%80`) would arrive as the printable text `%ED%A0%80`, and
 * with it any `%00` beside it. A name still holding escapes that do not decode is refused as such.
 */
function undecodedEscapes(value: string): string | undefined {
  if (!PERCENT_ESCAPE.test(value)) return undefined;
  try {
    decodeURIComponent(value);
    return undefined;
  } catch {
    return 'must be well-formed UTF-8 (it arrived with percent-escapes that do not decode)';
  }
}

function copyInto(target: Record<string, string>, source: unknown): void {
  if (source === null || typeof source !== 'object') return;
  for (const [key, value] of Object.entries(source as Record<string, unknown>)) {
    if (typeof value === 'string') target[key] = value;
    else if (Array.isArray(value) && typeof value[0] === 'string') target[key] = value[0];
  }
}

/** Splits a possibly grouped service name, checking the format as Nacos's NamingUtils does. */
export function parseServiceName(raw: string, namespace: string, group: string | undefined): ServiceKey {
  const at = raw.indexOf(GROUP_SEPARATOR);
  if (at < 0) return serviceKey(namespace, group ?? DEFAULT_GROUP, raw);
  const groupPart = raw.slice(0, at);
  const namePart = raw.slice(at + GROUP_SEPARATOR.length);
  if (groupPart === '' || namePart === '' || namePart.includes(GROUP_SEPARATOR)) {
    throw NacosRequestError.badParam(
      NacosV2ErrorCode.ServiceNameError,
      `Param 'serviceName' is illegal, it should be format as 'groupName@@serviceName', got '${raw}'.`,
    );
  }
  return serviceKey(namespace, groupPart, namePart);
}

export function validIp(param: string, value: string): string {
  if (value.length > 253 || (isIP(value) === 0 && !HOSTNAME.test(value))) {
    throw NacosRequestError.badParam(
      NacosV2ErrorCode.ParameterValidateError,
      `Param '${param}' is not an IP address or host name.`,
    );
  }
  return value;
}

/** A port 1–65535: a JSON integer, or a strict decimal string (no sign, blanks, hex or exponent). */
export function validPort(param: string, value: string | number): number {
  const port = typeof value === 'number' ? value : (parseStrictInteger(value) ?? NaN);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw NacosRequestError.badParam(
      NacosV2ErrorCode.ParameterValidateError,
      `Param '${param}' must be a port 1-65535.`,
    );
  }
  return port;
}

/** A weight 0–10000: a JSON number, or a strict decimal string (no `+`, blanks, hex, Infinity). */
export function validWeight(value: string | number): number {
  const weight = typeof value === 'number' ? value : (parseStrictNumber(value) ?? NaN);
  if (!Number.isFinite(weight) || weight < 0 || weight > 10000) {
    throw NacosRequestError.badParam(NacosV2ErrorCode.WeightError, `Param 'weight' must be a number from 0 to 10000.`);
  }
  return weight;
}

/** Metadata as a JSON object, or Nacos's older `k=v,k2=v2` form; values become strings. */
export function parseMetadata(raw: string): Record<string, string> {
  const invalid = (why: string): NacosRequestError =>
    NacosRequestError.badParam(NacosV2ErrorCode.InstanceMetadataError, `Param 'metadata' ${why}.`);
  if (Buffer.byteLength(raw) > MAX_METADATA_BYTES) throw invalid(`exceeds ${MAX_METADATA_BYTES} bytes`);
  let entries: Array<[string, unknown]>;
  if (raw.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw invalid('is not valid JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('must be a JSON object');
    entries = Object.entries(parsed as Record<string, unknown>);
  } else {
    entries = raw
      .split(',')
      .filter((pair) => pair.length > 0)
      .map((pair) => {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw invalid(`must be a JSON object or k=v pairs, got '${pair.slice(0, 40)}'`);
        return [pair.slice(0, eq), pair.slice(eq + 1)];
      });
  }
  if (entries.length > MAX_METADATA_KEYS) throw invalid(`has more than ${MAX_METADATA_KEYS} keys`);
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > MAX_NAME_LENGTH) throw invalid('has an empty or too long key');
    if (value !== null && typeof value === 'object') throw invalid(`value of '${key.slice(0, 40)}' must be a string`);
    out[key] = typeof value === 'string' ? value : value === null || value === undefined ? '' : JSON.stringify(value);
  }
  const broken = metadataViolation(out);
  if (broken !== undefined) throw invalid(`${broken.reason} (key ${JSON.stringify(broken.key.slice(0, 40))})`);
  return { ...out };
}
