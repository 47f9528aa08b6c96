import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import type { FuzzContext } from './fuzz-context';
import type { FuzzNode } from './fuzz-node';
import type { Violation } from './fuzz-run';
import { UNDECODABLE, bearer, grpcFailure, streamRaw, unaryRaw } from './grpc-probe';
import { markerIn } from './secrets';

/** Which token a case presents: the node's own, a wrong one, or none. */
export type CaseAuth = 'right' | 'wrong' | 'none';

/** A message as the fuzz built it: undecodable bytes, or a value the edge's codec encodes. */
export type CaseMessage = { kind: 'bytes'; bytes: Buffer } | { kind: 'message'; value: object };

/** One call of a fuzzed gRPC edge: a method, its message (or bytes that are not one) and a token. */
export interface RawCase<M extends string> {
  method: M;
  message: CaseMessage;
  auth: CaseAuth;
}

/**
 * Cases for a protobuf edge: mostly well-formed messages with hostile values (`messages`), one in
 * five undecodable bytes; the right token twice as often as none or a wrong one.
 */
export function rawCases<M extends string>(
  methods: readonly M[],
  messages: Record<M, fc.Arbitrary<object>>,
): fc.Arbitrary<RawCase<M>> {
  const bytes = fc
    .oneof(
      fc.constantFrom(...UNDECODABLE),
      fc.uint8Array({ maxLength: 48 }).map((a) => Buffer.from(a)),
    )
    .map((b) => ({ kind: 'bytes' as const, bytes: b }));
  return fc.constantFrom(...methods).chain((method) =>
    fc.record({
      method: fc.constant(method),
      message: fc.oneof(
        { weight: 4, arbitrary: messages[method].map((value) => ({ kind: 'message' as const, value })) },
        { weight: 1, arbitrary: bytes },
      ),
      auth: fc.constantFrom<CaseAuth>('right', 'right', 'none', 'wrong'),
    }),
  );
}

export interface RawGrpcCall {
  edge: string;
  node: FuzzNode;
  client: grpc.Client;
  /** The node runs with a token: then anything but the right one must be UNAUTHENTICATED first. */
  tokened: boolean;
  auth: CaseAuth;
  /** The token the node expects, presented when `auth` is 'right' on a tokened node. */
  rightToken: string;
  path: string;
  method: string;
  message: CaseMessage;
  bytes: Buffer;
  /** Server-streaming methods are read for this long, then cancelled (CANCELLED is then no failure). */
  streamMs?: number;
  /** The case as reported, for replay. */
  example: object;
}

/**
 * Calls one gRPC method with raw bytes and judges the answer by the properties every peer-facing
 * gRPC edge keeps (the registry API and the Distro port): no INTERNAL/UNKNOWN or hang, no marker in
 * the answer or the log, a refusal changes nothing, no rule-breaking value stored, the token
 * checked before anything else.
 */
export async function runRawGrpcCase(ctx: FuzzContext, call: RawGrpcCall): Promise<void> {
  const { node, tokened, auth } = call;
  const token =
    auth === 'right' ? (tokened ? call.rightToken : null) : auth === 'wrong' ? 'wrong-token-0123456789' : null;
  const metadata = bearer(token === null ? null : `Bearer ${token}`);
  const endpoint = `${call.method}${call.message.kind === 'bytes' ? ' (raw bytes)' : ''}`;
  node.newLeakedLogLines();
  const before = node.registryDigest();
  const breakersBefore = node.ruleBreakers();
  const expiries = node.expiries;
  const answer =
    call.streamMs === undefined
      ? await unaryRaw(call.client, call.path, call.bytes, metadata)
      : await streamRaw(call.client, call.path, call.bytes, metadata, call.streamMs);
  const v = (kind: string, detail: string): Violation => ({ edge: call.edge, endpoint, kind, detail });
  const out: Violation[] = [];
  const cancelledStream = call.streamMs !== undefined && answer.code === grpc.status.CANCELLED;
  const failure = cancelledStream ? undefined : grpcFailure(answer.code);
  if (failure) out.push(v(failure, `${grpc.status[answer.code]} ${answer.details}`));
  const hit = markerIn(answer.text) ?? markerIn(answer.details);
  if (hit) out.push(v('secret-in-response', hit));
  const logLeaks = node.newLeakedLogLines();
  if (logLeaks.length > 0) out.push(v('secret-in-log', logLeaks[0]));
  // A Distro Forward answers OK with the replayed request's own status inside: a refusal too when 4xx.
  const refused = answer.code !== grpc.status.OK && answer.code !== grpc.status.CANCELLED;
  if (refused && node.expiries === expiries && node.registryDigest() !== before) {
    out.push(v('state-changed-by-refusal', grpc.status[answer.code] ?? ''));
  }
  for (const stored of node.ruleBreakers()) {
    if (!breakersBefore.has(stored)) out.push(v('rule-breaking-value-stored', stored));
  }
  // The token is checked before anything else, whatever the bytes (issue 16, item 7).
  if (tokened && auth !== 'right' && answer.code !== grpc.status.UNAUTHENTICATED) {
    out.push(v('token-not-checked-first', `${grpc.status[answer.code]} ${answer.details}`));
  }
  ctx.findings.counted(`${call.edge} (${node.label})`, answer.code === grpc.status.OK);
  ctx.findings.report(out, {
    ...call.example,
    message: call.message.kind === 'bytes' ? { bytes: call.message.bytes.toString('hex') } : call.message,
  });
}
