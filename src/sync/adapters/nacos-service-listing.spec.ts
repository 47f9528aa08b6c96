import type { TaskSelector } from '../reconcile/copy-plan';
import { LIST_PAGE_SIZE, NacosServiceListing } from './nacos-service-listing';
import type { GroupLister, NamespaceCatalog } from './nacos-service-listing';
import type { CatalogPage } from './nacos-v1-client';

/** A Nacos holding `namespace -> group -> names`, answering the listing calls page by page, and counting them. */
function fakeNacos(
  data: Record<string, Record<string, string[]>>,
  options: { namespaces?: boolean; catalog?: boolean } = {},
) {
  const calls: string[] = [];
  const http: NamespaceCatalog = {
    namespaces: () => {
      calls.push('namespaces');
      return Promise.resolve(options.namespaces === false ? undefined : Object.keys(data));
    },
    catalogServices: (namespace, pageNo, pageSize) => {
      calls.push(`catalog ${namespace} ${pageNo}`);
      if (options.catalog === false) return Promise.resolve(undefined);
      const all = Object.entries(data[namespace] ?? {}).flatMap(([group, names]) =>
        names.map((name) => ({ group, name })),
      );
      const page: CatalogPage = { count: all.length, services: all.slice((pageNo - 1) * pageSize, pageNo * pageSize) };
      return Promise.resolve(page);
    },
  };
  const listGroup: GroupLister = (namespace, group, pageNo, pageSize) => {
    calls.push(`group ${namespace} ${group} ${pageNo}`);
    const names = data[namespace]?.[group] ?? [];
    return Promise.resolve({ count: names.length, names: names.slice((pageNo - 1) * pageSize, pageNo * pageSize) });
  };
  return { http, listGroup, calls };
}

const selector = (over: Partial<TaskSelector>): TaskSelector => ({
  namespace: 'public',
  groupName: 'DEFAULT_GROUP',
  serviceName: '*',
  exclude: [],
  ...over,
});

const DATA = {
  public: { DEFAULT_GROUP: ['orders', 'stock'], shop: ['cart', 'orders'] },
  dev: { DEFAULT_GROUP: ['orders'], tools: ['ci'] },
  'prod-eu': { shop: ['pay'] },
};

describe(NacosServiceListing.name, () => {
  const ids = (keys: Array<{ namespace: string; group: string; name: string }>) =>
    keys.map((k) => `${k.namespace}/${k.group}@@${k.name}`).sort();

  it('should list one namespace and group with the per-group list alone (gRPC or v1), no console call', async () => {
    const nacos = fakeNacos(DATA);
    const keys = await new NacosServiceListing(nacos.http, nacos.listGroup, 'public').matching(selector({}));

    expect(ids(keys)).toEqual(['public/DEFAULT_GROUP@@orders', 'public/DEFAULT_GROUP@@stock']);
    expect(nacos.calls).toEqual(['group public DEFAULT_GROUP 1']);
  });

  it('should read every namespace and group for * and *, with the service pattern and the excludes', async () => {
    const nacos = fakeNacos(DATA);
    const sut = new NacosServiceListing(nacos.http, nacos.listGroup, 'public');

    const keys = await sut.matching(
      selector({ namespace: '*', groupName: '*', exclude: ['shop@@cart', 'dev/tools@@*', 'pay'] }),
    );

    expect(ids(keys)).toEqual([
      'dev/DEFAULT_GROUP@@orders',
      'public/DEFAULT_GROUP@@orders',
      'public/DEFAULT_GROUP@@stock',
      'public/shop@@orders',
    ]);
    expect(nacos.calls).toEqual(['namespaces', 'catalog public 1', 'catalog dev 1', 'catalog prod-eu 1']);
  });

  it('should take patterns over namespaces and groups, and one group across namespaces from the per-group list', async () => {
    const nacos = fakeNacos(DATA);
    const sut = new NacosServiceListing(nacos.http, nacos.listGroup, 'public');

    expect(ids(await sut.matching(selector({ namespace: 'prod-*', groupName: 'sh*' })))).toEqual(['prod-eu/shop@@pay']);
    expect(
      ids(await sut.matching(selector({ namespace: '*', groupName: 'DEFAULT_GROUP', serviceName: 'ord*' }))),
    ).toEqual(['dev/DEFAULT_GROUP@@orders', 'public/DEFAULT_GROUP@@orders']);
    expect(nacos.calls.filter((c) => c.startsWith('group'))).toEqual([
      'group public DEFAULT_GROUP 1',
      'group dev DEFAULT_GROUP 1',
      'group prod-eu DEFAULT_GROUP 1',
    ]);
  });

  it('should read every page of a long listing, one call at a time', async () => {
    const many = Array.from({ length: LIST_PAGE_SIZE * 2 + 3 }, (_, i) => `svc-${i}`);
    const nacos = fakeNacos({ public: { DEFAULT_GROUP: many, other: many } });
    const sut = new NacosServiceListing(nacos.http, nacos.listGroup, 'public');
    let inFlight = 0;
    let most = 0;
    const catalog = nacos.http.catalogServices;
    nacos.http.catalogServices = async (...args) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return catalog(...args);
    };

    expect(await sut.matching(selector({}))).toHaveLength(many.length);
    expect(await sut.matching(selector({ groupName: '*' }))).toHaveLength(many.length * 2);
    // Several pages: each listing is read twice (3 pages, then 5 across groups).
    expect(nacos.calls.filter((c) => c.startsWith('group'))).toHaveLength(6);
    expect(nacos.calls.filter((c) => c.startsWith('catalog'))).toHaveLength(10);
    expect(most).toBe(1);
  });

  it('should not trust the count to stop (some 2.x answer the page length) nor loop on a server ignoring pageNo', async () => {
    const names = Array.from({ length: LIST_PAGE_SIZE * 2 }, (_, i) => `svc-${i}`);
    const pages: number[] = [];
    const pageLengthAsCount: GroupLister = (_ns, _group, pageNo, pageSize) => {
      pages.push(pageNo);
      const page = names.slice((pageNo - 1) * pageSize, pageNo * pageSize);
      return Promise.resolve({ count: page.length, names: page });
    };
    const nacos = fakeNacos({});
    expect(await new NacosServiceListing(nacos.http, pageLengthAsCount, 'public').matching(selector({}))).toHaveLength(
      names.length,
    );
    expect(pages).toEqual([1, 2, 3, 1, 2, 3]);

    const ignoresPageNo: GroupLister = () =>
      Promise.resolve({ count: names.length, names: names.slice(0, LIST_PAGE_SIZE) });
    expect(await new NacosServiceListing(nacos.http, ignoresPageNo, 'public').matching(selector({}))).toHaveLength(
      LIST_PAGE_SIZE,
    );
  });

  it('should not lose a service that never changed when another is deleted between two pages', async () => {
    // Nacos pages an unordered set: deleting a service listed on page 1 shifts the first service of
    // page 2 back onto page 1, after page 1 was read, so one pass lists it on neither page.
    const names = Array.from({ length: LIST_PAGE_SIZE + 100 }, (_, i) => `svc-${i}`);
    const shifting: GroupLister = (_ns, _group, pageNo, pageSize) => {
      const page = names.slice((pageNo - 1) * pageSize, pageNo * pageSize);
      if (pageNo === 1 && names[0] === 'svc-0') names.splice(0, 1);
      return Promise.resolve({ count: names.length, names: page });
    };
    const nacos = fakeNacos({});

    const keys = await new NacosServiceListing(nacos.http, shifting, 'public').matching(selector({}));

    expect(keys.map((k) => k.name)).toContain(`svc-${LIST_PAGE_SIZE}`);
  });

  it("should read the cluster's namespace where the server lists none", async () => {
    const nacos = fakeNacos(DATA, { namespaces: false });
    const keys = await new NacosServiceListing(nacos.http, nacos.listGroup, 'dev').matching(
      selector({ namespace: '*', groupName: '*' }),
    );

    expect(ids(keys)).toEqual(['dev/DEFAULT_GROUP@@orders', 'dev/tools@@ci']);
  });

  it('should reject, naming the way out, when the server lists nothing across groups; and on any failed page', async () => {
    const nacos = fakeNacos(DATA, { catalog: false });
    const sut = new NacosServiceListing(nacos.http, nacos.listGroup, 'public');
    await expect(sut.matching(selector({ groupName: '*' }))).rejects.toThrow(/give the task a group name/);

    const failing = fakeNacos(DATA);
    failing.http.catalogServices = (namespace) =>
      namespace === 'dev' ? Promise.reject(new Error('dev: 503')) : Promise.resolve({ count: 0, services: [] });
    const partial = new NacosServiceListing(failing.http, failing.listGroup, 'public');
    await expect(partial.matching(selector({ namespace: '*', groupName: '*' }))).rejects.toThrow(/dev: 503/);
  });
});
