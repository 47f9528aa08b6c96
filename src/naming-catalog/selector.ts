import type { ServiceSelector } from '@/registry';
import { printableViolation } from '@/common/text-rule';
import { NacosRequestError, NacosV2ErrorCode } from '@/nacos/http/nacos-errors';

/** Longest `selector` param accepted (the stored expression is bounded by it). */
export const MAX_SELECTOR_LENGTH = 1024;

const NO_TYPE = 'not match any type of selector!';
const PARSE_FAILED = 'Selector parses failed: parse expression failed!';

export const NONE_SELECTOR: ServiceSelector = { type: 'none' };

function selectorError(message: string): NacosRequestError {
  return NacosRequestError.badParam(NacosV2ErrorCode.SelectorError, message);
}

/**
 * The `selector` param as Nacos's ServiceController.parseSelector reads it: blank = `none`; else it is
 * URL-decoded once more (URLDecoder: `+` is a space), read as JSON, and its `type` must name a selector
 * Nacos knows (`none`, `label`); a `label` selector's `expression` must parse (LabelExpression). Every
 * refusal is a 400 with code 21006 (Nacos answers a JSON or expression it cannot parse with a 500).
 */
export function parseSelector(raw: string | undefined): ServiceSelector {
  if (raw === undefined || raw.trim() === '') return NONE_SELECTOR;
  if (raw.length > MAX_SELECTOR_LENGTH) {
    throw selectorError(`Param 'selector' must be at most ${MAX_SELECTOR_LENGTH} characters.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(decodeURIComponent(raw.replace(/\+/g, ' ')));
  } catch {
    throw selectorError(`Param 'selector' is not valid JSON.`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw selectorError(NO_TYPE);
  const { type, expression } = json as { type?: unknown; expression?: unknown };
  if (type === undefined) throw selectorError(NO_TYPE);
  // Jackson's asText(): a JSON string as it is, any other scalar as its text.
  const typeText = typeof type === 'string' ? type : JSON.stringify(type);
  if (typeText === 'none') return NONE_SELECTOR;
  if (typeText !== 'label') throw selectorError(NO_TYPE);
  const text =
    expression === undefined || expression === null
      ? null
      : typeof expression === 'string'
        ? expression
        : JSON.stringify(expression);
  if (text !== null) {
    const why = printableViolation(text);
    if (why !== undefined) throw selectorError(`Param 'selector' expression ${why}.`);
  }
  const labels = parseLabelExpression(text);
  if (labels === undefined) throw selectorError(PARSE_FAILED);
  return { type: 'label', expression: text, labels };
}

const CONSUMER_PREFIX = 'CONSUMER.label.';
const PROVIDER_PREFIX = 'PROVIDER.label.';
// Java's String.split takes a regex: each '.' of the prefix matches any character.
const CONSUMER_SPLIT = /CONSUMER.label./;
const PROVIDER_SPLIT = /PROVIDER.label./;

/**
 * The labels of a label selector's expression, as Nacos's ExpressionInterpreter reads it
 * (`CONSUMER.label.a = PROVIDER.label.a & CONSUMER.label.b = PROVIDER.label.b`, whitespace ignored),
 * with its quirks kept; undefined when it does not parse. Blank = no labels.
 */
export function parseLabelExpression(expression: string | null): string[] | undefined {
  if (expression === null || expression.trim() === '') return [];
  const elements = terms(expression.replace(/\s/g, ''));
  const labels = new Set<string>();
  let index = innerSyntax(elements, 0);
  while (index !== -1) {
    const label = secondPart(elements[index++], PROVIDER_SPLIT);
    if (label === undefined) return undefined;
    labels.add(label);
    if (index >= elements.length) return [...labels];
    index = outerSyntax(elements, index);
    if (index >= elements.length) return [...labels];
  }
  return undefined;
}

/** ExpressionInterpreter.getTerms: split at `=` and `&`, keeping them; the character after one is never one. */
function terms(expression: string): string[] {
  const out: string[] = [];
  let last = 0;
  for (let index = 0; index < expression.length; index++) {
    const ch = expression[index];
    if (ch === '=' || ch === '&') {
      out.push(expression.substring(last, index), ch);
      index++;
      last = index;
    }
  }
  out.push(expression.substring(last));
  return out;
}

function skipEmpty(elements: string[], start: number): number {
  let index = start;
  while (index < elements.length && elements[index].trim() === '') index++;
  return index;
}

function outerSyntax(elements: string[], start: number): number {
  let index = skipEmpty(elements, start);
  if (index >= elements.length) return index;
  if (elements[index++] !== '&') return -1;
  return innerSyntax(elements, index);
}

/** `CONSUMER.label.x = PROVIDER.label.x`: the index of the provider term, or -1. */
function innerSyntax(elements: string[], start: number): number {
  let index = skipEmpty(elements, start);
  if (index >= elements.length || !elements[index].startsWith(CONSUMER_PREFIX)) return -1;
  const consumer = secondPart(elements[index++], CONSUMER_SPLIT);
  index = skipEmpty(elements, index);
  if (index >= elements.length || elements[index++] !== '=') return -1;
  index = skipEmpty(elements, index);
  if (index >= elements.length || !elements[index].startsWith(PROVIDER_PREFIX)) return -1;
  const provider = secondPart(elements[index], PROVIDER_SPLIT);
  if (consumer === undefined || provider === undefined || consumer !== provider) return -1;
  return index;
}

/** `s.split(regex)[1]` in Java (trailing empty parts dropped); undefined where Java would throw. */
function secondPart(value: string, split: RegExp): string | undefined {
  const parts = value.split(new RegExp(split.source, 'g'));
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts[1];
}
