import { Injectable, Logger } from '@nestjs/common';
import { ClusterRouting } from '@/routing/cluster-routing';
import { ClientViews, subscriberIdentity } from './client-views';
import type { SubscriberView } from './client-views';
import type { NacosParams } from './nacos-params';
import type { PeerHeaders } from './naming-access.guard';
import type { ServiceKey } from '@/registry';

/** Largest `pageSize` of `/service/subscribers` (Nacos reads any int; 1000 is its default). */
export const MAX_SUBSCRIBER_PAGE = 10_000;

/** The answer's header naming the members whose subscribers are missing from it (absent when none). */
export const UNANSWERED_MEMBERS_HEADER = 'x-distro-unanswered-members';

/**
 * `{subscribers, count}` as Nacos answers, plus `unansweredMembers` when the list is partial: members
 * that gave no answer in time (Nacos's clients read only the two fields they know).
 */
export interface SubscribersPage {
  subscribers: SubscriberView[];
  count: number;
  unansweredMembers?: string[];
}

const PATH = '/nacos/v1/ns/service/subscribers';

const STRING_FIELDS = ['addrStr', 'agent', 'app', 'ip', 'namespaceId', 'serviceName', 'cluster'] as const;

/**
 * Nacos's `/nacos/v1/ns/service/subscribers` over the whole region. Subscriptions live on the node a
 * subscriber talks to and are never replicated, so with `aggregation=true` (the default, as Nacos) this
 * node asks every other member for its own list (`aggregation=false`, the same params) over the
 * authenticated peer channel, merges them with its own, drops duplicates and pages the merge. A member
 * that is down, or gives no answer within the forward deadline (DISTRO_FORWARD_TIMEOUT_MS), is left out
 * and named in `unansweredMembers`: the call never fails or waits longer because of one member.
 */
@Injectable()
export class SubscriberAggregator {
  private readonly logger = new Logger(SubscriberAggregator.name);

  constructor(
    private readonly views: ClientViews,
    private readonly routing: ClusterRouting,
  ) {}

  /** Validates the params before anything is asked, so bad input is a 400 from this node alone. */
  async serviceSubscribers(params: NacosParams, headers: PeerHeaders = {}): Promise<SubscribersPage> {
    const pattern = params.service();
    const pageNo = params.pageNumber('pageNo', 1);
    const pageSize = params.positiveInt('pageSize', 1000, MAX_SUBSCRIBER_PAGE);
    const aggregation = params.bool('aggregation') ?? true;
    const { merged, unanswered } = await this.regionSubscribers(params, pattern, aggregation, headers);
    const start = (pageNo - 1) * pageSize;
    const page: SubscribersPage = { subscribers: merged.slice(start, start + pageSize), count: merged.length };
    if (unanswered.length > 0) page.unansweredMembers = unanswered;
    return page;
  }

  /**
   * The subscribers of the services `pattern` matches (Nacos's fuzzy match), this node's and, with
   * `aggregation`, every other member's, merged; and the members that gave no answer. `params` are the
   * caller's, checked already, and with `headers` (credentialHeaders) they carry its credentials to the members.
   */
  async regionSubscribers(
    params: NacosParams,
    pattern: ServiceKey,
    aggregation: boolean,
    headers: PeerHeaders = {},
  ): Promise<{ merged: SubscriberView[]; unanswered: string[] }> {
    const lists = [this.views.localServiceSubscribers(pattern)];
    const unanswered: string[] = [];
    const peers = aggregation ? this.routing.members().filter((m) => !m.self) : [];
    if (peers.length > 0) {
      const query = new URLSearchParams(params.toForm());
      query.set('serviceName', pattern.name);
      query.set('groupName', pattern.group);
      query.set('namespaceId', pattern.namespace);
      query.set('aggregation', 'false');
      query.set('pageNo', '1');
      query.set('pageSize', String(MAX_SUBSCRIBER_PAGE));
      const answers = await Promise.all(peers.map((peer) => this.ask(peer.id, `${PATH}?${query.toString()}`, headers)));
      answers.forEach((answer, i) => (answer === undefined ? unanswered.push(peers[i].id) : lists.push(answer)));
    }
    return { merged: mergeSubscribers(lists), unanswered };
  }

  /** One member's own subscribers, or undefined when it gave none (down, slow, refused, a bad answer). */
  private async ask(member: string, url: string, headers: PeerHeaders): Promise<SubscriberView[] | undefined> {
    try {
      const answer = await this.routing.askMember(member, { method: 'GET', url, headers });
      if (answer.status !== 200) throw new Error(`status ${answer.status}`);
      return parseSubscribers(answer.body);
    } catch (error) {
      this.logger.debug({ peer: member, reason: (error as Error).message }, 'subscribers of a member left out');
      return undefined;
    }
  }
}

/** The lists as one, each subscriber once, ordered by service then address (as every node pages it). */
export function mergeSubscribers(lists: readonly SubscriberView[][]): SubscriberView[] {
  const seen = new Set<string>();
  const all: SubscriberView[] = [];
  for (const list of lists) {
    for (const view of list) {
      const identity = subscriberIdentity(view);
      if (seen.has(identity)) continue;
      seen.add(identity);
      all.push(view);
    }
  }
  return all.sort((a, b) => a.serviceName.localeCompare(b.serviceName) || a.addrStr.localeCompare(b.addrStr));
}

/** A member's `{subscribers, count}` answer, every entry checked; throws on anything else. */
export function parseSubscribers(body: string): SubscriberView[] {
  const parsed = JSON.parse(body) as unknown;
  const list = (parsed as { subscribers?: unknown } | null)?.subscribers;
  if (!Array.isArray(list)) throw new Error('bad answer: no subscribers list');
  return list.map((raw: unknown) => {
    const entry = raw as Record<string, unknown> | null;
    if (entry === null || typeof entry !== 'object') throw new Error('bad answer: a subscriber is not an object');
    for (const field of STRING_FIELDS) {
      if (typeof entry[field] !== 'string') throw new Error(`bad answer: a subscriber's ${field} is not text`);
    }
    if (typeof entry.port !== 'number') throw new Error("bad answer: a subscriber's port is not a number");
    const view = { port: entry.port } as SubscriberView;
    for (const field of STRING_FIELDS) view[field] = entry[field] as string;
    return view;
  });
}
