import { eventually } from '../../tools/support/eventually';
import { startTestNode } from '../support/app';
import type { TestNode } from '../support/app';
import { call, namespaceView } from '../nacos-http/support';

const V1 = '/nacos/v1/console/namespaces';
const V2 = '/nacos/v2/console/namespace';
const PUBLIC = namespaceView('', 'public', 'Default Namespace', 0);
const custom = namespaceView;

/** Namespaces as stored objects on the v1 and v2 console APIs (NamespaceController, NamespaceControllerV2). */
describe('Nacos namespaces', () => {
  let node: TestNode;

  beforeAll(async () => {
    node = await startTestNode({ DATA_DIR: 'memory' });
  });

  afterAll(async () => {
    await node?.close();
  });

  const v1 = (method: string, params: Record<string, string> = {}) =>
    call(node.base, method, V1, params, { form: method !== 'GET' });
  const v2 = (method: string, path: string, params: Record<string, string> = {}) =>
    call(node.base, method, `${V2}${path}`, params, { form: method !== 'GET' });
  const v1List = async () => ((await v1('GET')).json() as { data: Array<{ namespace: string }> }).data;

  describe('v1', () => {
    it('should list public alone at first, in RestResult', async () => {
      expect((await v1('GET')).json()).toEqual({ code: 200, message: null, data: [PUBLIC] });
    });

    it('should create, show, check, rename and delete a namespace', async () => {
      const created = await v1('POST', { customNamespaceId: 'dev', namespaceName: 'Development', namespaceDesc: 'd' });
      expect([created.status, created.text]).toEqual([200, 'true']);
      expect(await v1List()).toEqual([PUBLIC, custom('dev', 'Development', 'd')]);
      expect((await v1('GET', { show: 'all', namespaceId: 'dev' })).json()).toEqual(custom('dev', 'Development', 'd'));
      expect((await v1('GET', { checkNamespaceIdExist: 'true', customNamespaceId: 'dev' })).text).toBe('true');
      expect((await v1('GET', { checkNamespaceIdExist: 'true', customNamespaceId: 'nope' })).text).toBe('false');

      expect((await v1('PUT', { namespace: 'dev', namespaceShowName: 'Dev', namespaceDesc: 'x' })).text).toBe('true');
      expect((await v1('GET', { show: 'all', namespaceId: 'dev' })).json()).toEqual(custom('dev', 'Dev', 'x'));

      expect((await v1('DELETE', { namespaceId: 'dev' })).text).toBe('true');
      expect(await v1List()).toEqual([PUBLIC]);
      const gone = await v1('GET', { show: 'all', namespaceId: 'dev' });
      expect([gone.status, gone.text]).toEqual([400, 'caused: namespaceId [ dev ] not exist;']);
    });

    it('should give a blank id a UUID', async () => {
      expect((await v1('POST', { customNamespaceId: '', namespaceName: 'generated' })).text).toBe('true');
      const made = (await v1List()).find((each) => each.namespace !== '');
      expect(made?.namespace).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect((await v1('DELETE', { namespaceId: made?.namespace ?? '' })).text).toBe('true');
    });

    it('should answer false, as Nacos, to a bad or taken id, a bad name, public, and an unknown rename', async () => {
      await v1('POST', { customNamespaceId: 'qa', namespaceName: 'QA' });
      const falses: Array<[string, Record<string, string>]> = [
        ['POST', { customNamespaceId: 'qa', namespaceName: 'again' }],
        ['POST', { customNamespaceId: 'a b', namespaceName: 'x' }],
        ['POST', { customNamespaceId: 'x'.repeat(129), namespaceName: 'x' }],
        ['POST', { customNamespaceId: 'ok-id', namespaceName: 'bad#name' }],
        ['POST', { customNamespaceId: 'public', namespaceName: 'x' }],
        ['PUT', { namespace: 'qa', namespaceShowName: 'a@b' }],
        ['PUT', { namespace: 'nope', namespaceShowName: 'x' }],
        ['PUT', { namespace: 'public', namespaceShowName: 'x' }],
        ['DELETE', { namespaceId: 'public' }],
      ];
      for (const [method, params] of falses) {
        const res = await v1(method, params);
        expect([method, params, res.status, res.text]).toEqual([method, params, 200, 'false']);
      }
      expect((await v1('DELETE', { namespaceId: 'nope' })).text).toBe('true');
      expect(await v1List()).toEqual([PUBLIC, custom('qa', 'QA')]);
    });

    it('should refuse a missing param with 400 naming it', async () => {
      const cases: Array<[string, Record<string, string>, string]> = [
        ['POST', { namespaceName: 'x' }, "caused: Param 'customNamespaceId' is required.;"],
        ['POST', { customNamespaceId: 'x' }, "caused: Param 'namespaceName' is required.;"],
        ['PUT', { namespaceShowName: 'x' }, "caused: Param 'namespace' is required.;"],
        ['DELETE', {}, "caused: Param 'namespaceId' is required.;"],
      ];
      for (const [method, params, text] of cases) {
        const res = await v1(method, params);
        expect([method, res.status, res.text]).toEqual([method, 400, text]);
      }
    });

    it('should create a namespace the first time a naming write names it, and refuse to delete it while it holds services', async () => {
      const registered = await call(
        node.base,
        'POST',
        '/nacos/v1/ns/instance',
        { namespaceId: 'auto-ns', serviceName: 's', ip: '10.70.0.1', port: '80' },
        { form: true },
      );
      expect(registered.text).toBe('ok');
      await eventually(async () => expect((await v1('GET', { show: 'all', namespaceId: 'auto-ns' })).status).toBe(200));
      expect(await v1List()).toContainEqual(custom('auto-ns', 'auto-ns'));
      expect((await v1('DELETE', { namespaceId: 'auto-ns' })).text).toBe('false');
      // Naming it later is a create, as for a namespace nobody named.
      expect((await v1('POST', { customNamespaceId: 'auto-ns', namespaceName: 'Auto' })).text).toBe('true');
      expect((await v1('GET', { show: 'all', namespaceId: 'auto-ns' })).json()).toEqual(custom('auto-ns', 'Auto'));
      await call(node.base, 'DELETE', '/nacos/v1/ns/instance', {
        namespaceId: 'auto-ns',
        serviceName: 's',
        ip: '10.70.0.1',
        port: '80',
      });
      expect((await v1('DELETE', { namespaceId: 'auto-ns' })).text).toBe('true');
    });
  });

  describe('v2', () => {
    it('should list, create, show, rename and delete in the envelope', async () => {
      const created = await v2('POST', '', { namespaceId: 'v2ns', namespaceName: 'V2', namespaceDesc: 'two' });
      expect(created.json()).toEqual({ code: 0, message: 'success', data: true });
      expect((await v2('GET', '/list')).json()).toEqual({
        code: 0,
        message: 'success',
        data: expect.arrayContaining([PUBLIC, custom('v2ns', 'V2', 'two')]),
      });
      expect((await v2('GET', '', { namespaceId: 'v2ns' })).json()).toEqual({
        code: 0,
        message: 'success',
        data: custom('v2ns', 'V2', 'two'),
      });
      expect((await v2('GET', '', { namespaceId: 'public' })).json()).toMatchObject({ data: PUBLIC });
      expect((await v2('GET', '', { namespaceId: '' })).json()).toMatchObject({ data: PUBLIC });
      expect((await v1('GET', { show: 'all', namespaceId: '' })).json()).toEqual(PUBLIC);
      expect((await v2('PUT', '', { namespaceId: 'v2ns', namespaceName: 'Vee' })).json()).toMatchObject({ data: true });
      expect((await v2('GET', '', { namespaceId: 'v2ns' })).json()).toMatchObject({ data: custom('v2ns', 'Vee') });
      expect((await v2('DELETE', '', { namespaceId: 'v2ns' })).json()).toEqual({
        code: 0,
        message: 'success',
        data: true,
      });
    });

    it('should answer each refusal with its code', async () => {
      await v2('POST', '', { namespaceId: 'taken', namespaceName: 'T' });
      await call(
        node.base,
        'POST',
        '/nacos/v2/ns/service',
        { namespaceId: 'taken', serviceName: 'kept' },
        { form: true },
      );
      const cases: Array<[string, Record<string, string>, number, number, string, string]> = [
        ['GET', {}, 400, 10000, 'parameter missing', "Param 'namespaceId' is required."],
        ['GET', { namespaceId: 'nope' }, 404, 22001, 'namespace not exist', 'namespaceId [ nope ] not exist'],
        [
          'POST',
          { namespaceName: 'x' },
          400,
          10000,
          'parameter missing',
          "required parameter 'namespaceId' is missing",
        ],
        [
          'POST',
          { namespaceId: 'x' },
          400,
          10000,
          'parameter missing',
          "required parameter 'namespaceName' is missing",
        ],
        [
          'POST',
          { namespaceId: 'a.b', namespaceName: 'x' },
          400,
          22000,
          'illegal namespace',
          'namespaceId [a.b] mismatch the pattern',
        ],
        [
          'POST',
          { namespaceId: 'y'.repeat(129), namespaceName: 'x' },
          400,
          22000,
          'illegal namespace',
          'too long namespaceId, over 128',
        ],
        [
          'POST',
          { namespaceId: 'taken', namespaceName: 'x' },
          400,
          22000,
          'illegal namespace',
          'the namespaceId is existed, namespaceId: taken',
        ],
        [
          'POST',
          { namespaceId: 'z', namespaceName: 'a%b' },
          400,
          22000,
          'illegal namespace',
          'namespaceName [a%b] contains illegal char',
        ],
        [
          'PUT',
          { namespaceId: 'nope', namespaceName: 'x' },
          404,
          22001,
          'namespace not exist',
          'namespaceId [ nope ] not exist',
        ],
        [
          'PUT',
          { namespaceId: 'public', namespaceName: 'x' },
          400,
          22000,
          'illegal namespace',
          "namespaceId [ public ] is the public namespace, which can't be changed or deleted",
        ],
        [
          'DELETE',
          { namespaceId: 'public' },
          400,
          22000,
          'illegal namespace',
          "namespaceId [ public ] is the public namespace, which can't be changed or deleted",
        ],
        [
          'DELETE',
          { namespaceId: 'taken' },
          400,
          22000,
          'illegal namespace',
          'namespaceId [ taken ] is not empty, remove its services first',
        ],
      ];
      for (const [method, params, status, code, message, data] of cases) {
        const res = await v2(method, '', params);
        expect([method, params, res.status, res.json()]).toEqual([method, params, status, { code, message, data }]);
      }
    });
  });
});

/** With Nacos auth on, the console calls need credentials like every naming call. */
describe('Nacos namespaces and services with auth on', () => {
  let node: TestNode;
  const password = 'p4ssw0rd-for-tests';

  beforeAll(async () => {
    node = await startTestNode({
      DATA_DIR: 'memory',
      NACOS_AUTH_ENABLED: 'true',
      NACOS_AUTH_USERS: `nacos:${password}`,
      NACOS_AUTH_SECRET: 'a-test-signing-secret-of-32-chars-or-more',
    });
  });

  afterAll(async () => {
    await node?.close();
  });

  it('should refuse calls without credentials and serve them with credentials', async () => {
    const calls: Array<[string, string, Record<string, string>]> = [
      ['GET', V1, {}],
      ['POST', V1, { customNamespaceId: 'sec', namespaceName: 'S' }],
      ['GET', `${V2}/list`, {}],
      ['POST', '/nacos/v1/ns/service', { serviceName: 'sec1' }],
      ['POST', '/nacos/v2/ns/service', { serviceName: 'sec2' }],
      ['GET', '/nacos/v1/ns/service', { serviceName: 'sec1' }],
    ];
    for (const [method, path, params] of calls) {
      const refused = await call(node.base, method, path, params, { form: method !== 'GET' });
      expect([method, path, refused.status, refused.text]).toEqual([method, path, 403, 'user not found!']);
      const served = await call(
        node.base,
        method,
        path,
        { ...params, username: 'nacos', password },
        { form: method !== 'GET' },
      );
      expect([method, path, served.status]).toEqual([method, path, 200]);
    }
  });
});
