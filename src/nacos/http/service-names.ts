import { Inject, Injectable } from '@nestjs/common';
import { GROUP_SEPARATOR, Registry } from '@/registry';
import type { NamingRegistry } from '@/registry';
import { NacosRequestError, NacosV2ErrorCode } from './nacos-errors';
import type { NacosParams } from './nacos-params';

/** Longest `expr` served: Nacos takes any; a bound keeps a pattern's cost tied to the names' length. */
export const MAX_EXPR_LENGTH = 256;

/** A group with a quantifier inside that is itself repeated (`(a+)+`): the shape of catastrophic backtracking. */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*(?:[+*}]|\?\?)(?:[^()\\]|\\.)*\)\s*(?:[+*{]|\?(?!:))/;

/** Nacos's `/service/names` answer: grouped service names by namespace (the key is Nacos 2.x's own). */
export interface ServiceNames {
  'META-INF/services': Record<string, string[]>;
  count: number;
}

/**
 * Nacos's service name search (`GET /nacos/v1/ns/service/names`): the grouped names
 * (`group@@name`) that match the Java regex `.*<expr>.*` as a whole, in `namespaceId` or, when
 * it is blank, in every namespace, keyed by namespace; `count` sums them.
 */
@Injectable()
export class ServiceNameSearch {
  constructor(@Inject(Registry) private readonly registry: NamingRegistry) {}

  search(params: NacosParams): ServiceNames {
    const namespaceId = params.optional('namespaceId')?.trim() ?? '';
    const pattern = javaPattern([contains('expr', params.optional('expr') ?? '')]);
    const namespaces = namespaceId === '' ? this.registry.namespaces() : [params.namespace()];
    const found: Record<string, string[]> = {};
    let count = 0;
    for (const namespace of namespaces) {
      const names = this.registry
        .listServicesMatching(namespace, '*', '*')
        .map((key) => `${key.group}${GROUP_SEPARATOR}${key.name}`)
        .filter((name) => pattern.test(name))
        .sort();
      found[namespace] = names;
      count += names.length;
    }
    return { 'META-INF/services': found, count };
  }
}

/**
 * `.*<expr>.*`, the part of a Java regex Nacos builds from a search param (`/service/names`' `expr`,
 * the v3 service list's `serviceNameParam` and `groupNameParam`), or a 400 naming what is wrong with it.
 */
export function contains(param: string, expr: string): string {
  const invalid = (why: string): NacosRequestError =>
    NacosRequestError.badParam(NacosV2ErrorCode.ParameterValidateError, `Param '${param}' ${why}.`);
  if (expr.length > MAX_EXPR_LENGTH) throw invalid(`must be at most ${MAX_EXPR_LENGTH} characters`);
  if (NESTED_QUANTIFIER.test(expr)) throw invalid('must not repeat a group that holds a quantifier');
  try {
    new RegExp(expr);
  } catch {
    throw invalid('is not a valid regular expression');
  }
  return `.*${expr}.*`;
}

/** The parts joined as Java's `String.matches` reads them: the whole name must match. */
export function javaPattern(parts: readonly string[]): RegExp {
  return new RegExp(`^(?:${parts.map((part) => `(?:${part})`).join('')})$`);
}
