import { wildcard } from '@/registry';
import type { ServiceKey } from '@/registry';
import type { TaskSelector } from '../reconcile/copy-plan';
import { ServiceSelector } from '../reconcile/copy-plan';
import type { CatalogPage, NacosV1Client, V1ServicePage } from './nacos-v1-client';

/** One page of the service names of one namespace's group, as the protocol in use lists them. */
export type GroupLister = (
  namespace: string,
  group: string,
  pageNo: number,
  pageSize: number,
) => Promise<V1ServicePage>;

/** The HTTP calls the listing needs besides the per-group list (a NacosV1Client). */
export type NamespaceCatalog = Pick<NacosV1Client, 'namespaces' | 'catalogServices'>;

/** Services asked per page, in every listing. */
export const LIST_PAGE_SIZE = 500;
/** A listing that would need more pages than this is refused rather than read forever (5 million services). */
const MAX_PAGES = 10_000;

/**
 * How a `nacos` source finds the services a task's selector covers, over either protocol:
 *
 * - **namespaces**: the selector's one namespace, or for a pattern (`*`, `prod-*`) every namespace the
 *   server's console lists that matches it (v1 `/console/namespaces`, v2 `/console/namespace/list`, v3
 *   admin — gRPC has no namespace list); a server serving none of them is read in the cluster's namespace;
 * - **services**: for one group, the protocol's own per-group list (gRPC `ServiceListRequest`, or v1
 *   `/ns/service/list`); for a group pattern, the console catalog of the namespace across every group
 *   (`/ns/catalog/services`, or the v3 admin service list), as Nacos lists nothing else across groups;
 * - then the selector itself: service pattern and excludes.
 *
 * Every listing is read page by page ({@link LIST_PAGE_SIZE}) and one call at a time, and all or nothing:
 * one failed page rejects the whole listing, so a partial read is never taken for services that vanished;
 * a listing of several pages is read twice and the union taken, as pages of a set changing meanwhile can
 * skip a service.
 */
export class NacosServiceListing {
  constructor(
    private readonly http: NamespaceCatalog,
    private readonly listGroup: GroupLister,
    /** The namespace the cluster is registered with: read when the server lists no namespaces. */
    private readonly clusterNamespace: string,
  ) {}

  async matching(selector: TaskSelector): Promise<ServiceKey[]> {
    const select = new ServiceSelector(selector);
    const keys: ServiceKey[] = [];
    for (const namespace of await this.namespaces(selector.namespace)) {
      const listed = selector.groupName.includes('*')
        ? await this.acrossGroups(namespace)
        : (await this.inGroup(namespace, selector.groupName)).map((name) => ({
            namespace,
            group: selector.groupName,
            name,
          }));
      for (const key of listed) if (select.matches(key)) keys.push(key);
    }
    return keys;
  }

  private async namespaces(pattern: string): Promise<string[]> {
    if (!pattern.includes('*')) return [pattern];
    const matches = wildcard(pattern);
    const listed = (await this.http.namespaces()) ?? [this.clusterNamespace];
    return [...new Set(listed)].filter(matches);
  }

  private inGroup(namespace: string, group: string): Promise<string[]> {
    return readPages(
      (pageNo) => this.listGroup(namespace, group, pageNo, LIST_PAGE_SIZE),
      (page) => page.names,
      (name) => name,
    );
  }

  private async acrossGroups(namespace: string): Promise<ServiceKey[]> {
    const services = await readPages(
      async (pageNo) => {
        const page = await this.http.catalogServices(namespace, pageNo, LIST_PAGE_SIZE);
        if (page === undefined) {
          throw new Error(
            'this Nacos lists services across groups neither by /nacos/v1/ns/catalog/services nor by /nacos/v3/admin/ns/service/list: give the task a group name',
          );
        }
        return page;
      },
      (page: CatalogPage) => page.services,
      ({ group, name }) => `${group}@@${name}`,
    );
    return services.map(({ group, name }) => ({ namespace, group, name }));
  }
}

/**
 * Reads the whole listing ({@link readPass}); when it took more than one page, reads it once more and
 * answers the union. Nacos pages an unordered hash set (ServiceListRequestHandler, the catalog), so a
 * service removed from an earlier page while the later ones are read shifts a service that never
 * changed back across the page boundary, out of both pages: taken alone, that pass would say the
 * service vanished and its copies would be withdrawn. A service missing from both passes is gone; one
 * listed by a pass and deleted since is harmless (its query answers no instances).
 */
async function readPages<P, T>(
  read: (pageNo: number) => Promise<P>,
  itemsOf: (page: P) => T[],
  keyOf: (item: T) => string,
): Promise<T[]> {
  const first = await readPass(read, itemsOf, keyOf);
  if (first.pages === 1) return [...first.items.values()];
  const second = await readPass(read, itemsOf, keyOf);
  for (const [key, item] of second.items) if (!first.items.has(key)) first.items.set(key, item);
  return [...first.items.values()];
}

/**
 * Reads pages from 1 until one is short, or adds nothing new (a server ignoring `pageNo`), bounded by
 * MAX_PAGES. The count a server answers is not trusted to stop: some Nacos 2.x versions answer the
 * page's length as `count` to a ServiceListRequest.
 */
async function readPass<P, T>(
  read: (pageNo: number) => Promise<P>,
  itemsOf: (page: P) => T[],
  keyOf: (item: T) => string,
): Promise<{ items: Map<string, T>; pages: number }> {
  const seen = new Map<string, T>();
  for (let pageNo = 1; pageNo <= MAX_PAGES; pageNo++) {
    const items = itemsOf(await read(pageNo));
    const before = seen.size;
    for (const item of items) if (!seen.has(keyOf(item))) seen.set(keyOf(item), item);
    if (items.length < LIST_PAGE_SIZE || seen.size === before) return { items: seen, pages: pageNo };
  }
  throw new Error(`a service listing of more than ${MAX_PAGES} pages of ${LIST_PAGE_SIZE} is not read`);
}
