import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { adminRequest } from '../../tools/support/admin-request';
import { consoleBundleDir } from '../../src/console-static';
import { startTestNode } from '../support/app';
import { runRounds } from '../support/sync-rounds';
import { freePorts } from '../../tools/support/free-ports';
import type { TestNode } from '../support/app';
import { createTestDatabase } from '../support/test-database';
import type { TestDatabase } from '../support/test-database';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'console-admin-token-00000000';
const FAST = {
  ADMIN_TOKEN: TOKEN,
  SECRET_KEY: 'console-secret-key-0123456789abcdef',
  SYNC_LEASE_RENEW_MS: '200',
  SYNC_LEASE_TTL_MS: '2000',
  SYNC_FULL_RECONCILE_MS: '1000',
  SYNC_DEBOUNCE_MS: '10',
  LOG_LEVEL: 'warn',
};
const PASSWORDS = { admin: 'admin-password-123', operator: 'operator-password-1', viewer: 'viewer-password-12' };
/** CONSOLE_SCREENSHOTS=docs/console writes a picture of each page there (the README shows them). */
const SHOTS = process.env.CONSOLE_SCREENSHOTS;

/**
 * The web console in a real browser (Debian's chromium through playwright-core) against two in-process
 * regions: region B's admin sets up A→B disaster recovery without curl and watches it; an operator may
 * pause, resume and release, not create or delete; a viewer sees no button and the server refuses it.
 */
describe('web console', () => {
  let dbs: TestDatabase[] = [];
  let a: TestNode;
  let b: TestNode;
  let browser: Browser;

  const nacos = async (method: string, service: string, ip: string): Promise<void> => {
    const qs = new URLSearchParams({ serviceName: service, ip, port: '8080', ephemeral: 'false' });
    const res = await fetch(`${a.base}/nacos/v1/ns/instance?${qs.toString()}`, { method });
    if (res.status !== 200) throw new Error(`${method} instance: ${res.status} ${await res.text()}`);
  };
  const shot = async (page: Page, name: string): Promise<void> => {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };
  const signIn = async (role: keyof typeof PASSWORDS, node: TestNode = b): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 820 } });
    const page = await context.newPage();
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${node.base}/`);
    await page.waitForURL(/\/console\/$/);
    await page.fill('input[name=username]', role === 'admin' ? 'alice' : role);
    await page.fill('input[name=password]', PASSWORDS[role]);
    await page.click('button[type=submit]');
    await page.locator('[data-test=role]').filter({ hasText: role }).waitFor();
    return page;
  };
  const go = async (page: Page, hash: string, heading: string): Promise<void> => {
    await page.goto(`${b.base}/console/#/${hash}`);
    await page.locator('h1', { hasText: heading }).waitFor();
  };
  const taskRow = (page: Page) => page.locator('[data-test^="task-"]').first();

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    if (!consoleBundleDir()) throw new Error('the console is not built: run `npm run build`');
    dbs = await Promise.all([createTestDatabase(), createTestDatabase()]);
    [a, b] = await Promise.all([
      startTestNode({ ...FAST, DATABASE_URL: dbs[0].url }),
      startTestNode({ ...FAST, DATABASE_URL: dbs[1].url, ADMIN_USERNAME: 'alice', ADMIN_PASSWORD: PASSWORDS.admin }),
    ]);
    for (const role of ['operator', 'viewer'] as const)
      await adminRequest(`${b.base}/api/v1/users`, TOKEN, 'POST', { username: role, role, password: PASSWORDS[role] });
    for (let i = 1; i <= 5; i++) await nacos('POST', 'orders', `10.1.0.${i}`);
    await nacos('POST', 'billing', '10.1.1.1');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all(dbs.map((db) => db.drop()));
  });

  it('should serve the bundle at /console with a strict CSP, and redirect / there', async () => {
    const root = await fetch(`${b.base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');
    const index = await fetch(`${b.base}/console/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await index.text();
    expect(html).not.toMatch(/https?:\/\//);
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)![1];
    const asset = await fetch(`${b.base}${script}`);
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it('should refuse a wrong password on the login page', async () => {
    const page = await browser.newPage();
    await page.goto(`${b.base}/console/`);
    await page.fill('input[name=username]', 'alice');
    await page.fill('input[name=password]', 'not-the-password');
    await page.click('button[type=submit]');
    await page.locator('[role=alert]').waitFor();
    await shot(page, 'login');
    await page.close();
  });

  it('should let an admin set up A→B, watch the copies, edit, pause, resume, release a hold', async () => {
    const page = await signIn('admin');
    // Clusters: this region, then region A — a wrong token is refused by the check, the right one saved.
    await go(page, 'clusters', 'Clusters');
    await page.click('text=New cluster');
    await page.selectOption('[data-test=cluster-form] select[name=kind]', 'local');
    await page.fill('[data-test=cluster-form] input[name=name]', 'region-b');
    await page.click('text=Create cluster');
    await page.locator('[data-test="cluster-region-b"]').waitFor();
    await page.click('text=New cluster');
    await page.fill('[data-test=cluster-form] input[name=name]', 'region-a');
    await page.fill('[data-test=cluster-form] textarea[name=addresses]', `127.0.0.1:${a.httpPort}/${a.grpcPort}`);
    await page.fill('[data-test=cluster-form] input[name=token]', 'a-wrong-token-000000');
    await page.click('text=Create cluster');
    await page.locator('[role=alert]', { hasText: 'check=true' }).waitFor();
    await page.fill('[data-test=cluster-form] input[name=token]', TOKEN);
    await page.click('text=Create cluster');
    await page.locator('[data-test="cluster-region-a"]').waitFor();
    await page.locator('[data-test="cluster-region-a"] button', { hasText: 'Check' }).click();
    await page.locator('[data-test=check-result]', { hasText: 'Reachable' }).waitFor();
    expect(await page.content()).not.toContain(TOKEN);
    await shot(page, 'clusters');

    // A task A→B with its dry run, then the copies rising to 6.
    await go(page, 'tasks', 'Sync tasks');
    await page.click('text=New task');
    await page.selectOption('[data-test=task-form] select[name=sourceClusterId]', { label: 'region-a (distro)' });
    await page.selectOption('[data-test=task-form] select[name=targetClusterId]', { label: 'region-b (local)' });
    await page.fill('[data-test=task-form] input[name=namespace]', '*');
    await page.fill('[data-test=task-form] input[name=groupName]', '*');
    await page.fill('[data-test=task-form] input[name=name]', 'a-to-b');
    await page.locator('[data-test=dry-run-summary]', { hasText: 'Would add 6' }).waitFor();
    await shot(page, 'task-create');
    await page.click('text=Create task');
    const row = page.locator('[data-test="task-a-to-b"]');
    await row.locator('[data-test=applied]', { hasText: '6 / 6' }).waitFor({ timeout: 20000 });

    // Edit the selector to orders only: the dry run shows the one copy to withdraw.
    await row.locator('button', { hasText: 'Edit' }).click();
    await page.fill('[data-test=task-form] input[name=serviceName]', 'orders');
    await page.locator('[data-test=dry-run-summary]', { hasText: 'remove 1' }).waitFor();
    await page.click('text=Save changes');
    await row.locator('[data-test=applied]', { hasText: '5 / 5' }).waitFor({ timeout: 20000 });

    // Paused, the task keeps its copies while 4 of A's 5 instances go; resumed, it catches up in one
    // round, whose deletion of 4 of 5 copies is held, shown, and released from the console. (Unpaused, the
    // deregistrations could arrive one round each, none over the ratio.)
    await row.locator('button', { hasText: 'Pause' }).click();
    await row.locator('text=paused').first().waitFor();
    await runRounds(b, 'sync-lease-round'); // the holder has seen the pause
    await Promise.all([1, 2, 3, 4].map((i) => nacos('DELETE', 'orders', `10.1.0.${i}`)));
    await row.locator('button', { hasText: 'Resume' }).click();
    await row.locator('text=running').waitFor();
    const hold = page.locator('[data-test="hold-a-to-b"]');
    await hold.waitFor({ timeout: 20000 });
    await shot(page, 'tasks-hold');
    await hold.locator('button', { hasText: 'Release hold' }).click();
    await row.locator('[data-test=applied]', { hasText: '1 / 1' }).waitFor({ timeout: 20000 });
    await hold.waitFor({ state: 'detached' });
    for (let i = 1; i <= 4; i++) await nacos('POST', 'orders', `10.1.0.${i}`);
    await row.locator('[data-test=applied]', { hasText: '5 / 5' }).waitFor({ timeout: 20000 });
    await shot(page, 'tasks');

    // The task's page: ledger and event trail, with who acted.
    await row.locator('a', { hasText: 'a-to-b' }).click();
    await page.locator('[data-test=ledger] tbody tr').nth(4).waitFor();
    await page.locator('[data-test=events]', { hasText: 'alice' }).waitFor();
    await shot(page, 'task-detail');

    // Services: the copies marked by their source.
    await go(page, 'services', 'Services');
    await page.locator('[data-test="service-orders"]').click();
    await page.locator('[data-test=copy-origin]', { hasText: 'copy from region-a' }).first().waitFor();
    await shot(page, 'services');

    await go(page, 'workers', 'Workers');
    await page.locator('[data-test=worker]', { hasText: 'a-to-b' }).waitFor();
    await shot(page, 'workers');

    await go(page, 'overview', 'Overview');
    await page.locator('[data-test=copies]', { hasText: '5' }).waitFor();
    await page.locator('[data-test=health-healthy] .stat-value', { hasText: '1' }).waitFor();
    await shot(page, 'overview');
    await page.click('text=How do I fix');
    await page.locator('text=must be identical on every node').first().waitFor();
    await page.click('text=What does');
    await page.locator('text=Nothing is wrong.').waitFor();
    await page.context().close();
  });

  it('should give an operator pause and resume, and no create, edit or delete', async () => {
    const page = await signIn('operator');
    await go(page, 'tasks', 'Sync tasks');
    const row = taskRow(page);
    await row.locator('button', { hasText: 'Pause' }).click();
    await row.locator('button', { hasText: 'Resume' }).click();
    await row.locator('button', { hasText: 'Pause' }).waitFor();
    expect(await row.locator('button', { hasText: /Edit|Delete/ }).count()).toBe(0);
    expect(await page.locator('text=New task').count()).toBe(0);
    await go(page, 'clusters', 'Clusters');
    await page.locator('[data-test="cluster-region-a"]').waitFor();
    expect(await page.locator('button', { hasText: /New cluster|Edit|Delete/ }).count()).toBe(0);
    await page.click('text=Log out');
    await page.locator('input[name=username]').waitFor();
    await page.context().close();
  });

  it('should show a viewer everything and no button to change it; the server refuses it anyway', async () => {
    const page = await signIn('viewer');
    await go(page, 'tasks', 'Sync tasks');
    await taskRow(page).locator('[data-test=applied]', { hasText: '5 / 5' }).waitFor();
    expect(await page.locator('main button').count()).toBe(0);
    await go(page, 'clusters', 'Clusters');
    await page.locator('[data-test="cluster-region-b"]').waitFor();
    expect(await page.locator('main button').count()).toBe(0);
    const taskId = (await adminRequest<any>(`${b.base}/api/v1/tasks`, TOKEN, 'GET')).items[0].id as string;
    const status = await page.evaluate(async (id) => {
      const me = (await (await fetch('/api/v1/auth/me')).json()) as { csrfToken: string };
      const res = await fetch(`/api/v1/tasks/${id}/pause`, {
        method: 'POST',
        headers: { 'X-CSRF-Token': me.csrfToken },
      });
      return res.status;
    }, taskId);
    expect(status).toBe(403);
    await page.context().close();
  });

  it('should say on the overview why a node is not initialized, and what to do', async () => {
    // A node of a region whose one peer is not there, and which may not open as the first node.
    const [own, dead] = await freePorts(2);
    const db = await createTestDatabase();
    dbs.push(db);
    const c = await startTestNode({
      ...FAST,
      DATABASE_URL: db.url,
      ADMIN_USERNAME: 'alice',
      ADMIN_PASSWORD: PASSWORDS.admin,
      DISTRO_PORT: String(own),
      DISTRO_MEMBERS: `127.0.0.1:${own},127.0.0.1:${dead}`,
      DISTRO_TOKEN: 'console-distro-token-0123456789',
      DISTRO_ALLOW_FIRST_NODE: 'false',
      DISTRO_LOAD_RETRY_MS: '200',
      DISTRO_PROBE_INTERVAL_MS: '200',
    });
    try {
      const page = await signIn('admin', c);
      await page.locator('text=not initialized').first().waitFor();
      await page
        .locator('[role=alert], .alert-error', { hasText: 'Distro protocol is not initialized' })
        .first()
        .waitFor();
      await page
        .locator('td', { hasText: `127.0.0.1:${dead}` })
        .first()
        .waitFor();
      await page
        .locator('td', { hasText: /refused/ })
        .first()
        .waitFor();
      await shot(page, 'overview-not-initialized');
      await page.context().close();
    } finally {
      await c.close();
    }
  });

  it("should save an etcd cluster's key prefix and TLS material from the form, and never show them again", async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nconsolePemMarker7f3aAAAA\n-----END CERTIFICATE-----\n';
    const page = await signIn('admin');
    await go(page, 'clusters', 'Clusters');
    await page.click('text=New cluster');
    const form = '[data-test=cluster-form]';
    await page.selectOption(`${form} select[name=kind]`, 'etcd');
    await page.fill(`${form} input[name=name]`, 'etcd-prod');
    await page.fill(`${form} textarea[name=addresses]`, '127.0.0.1:1');
    await page.selectOption(`${form} select[name=layout]`, 'kratos');
    await page.fill(`${form} input[name=prefix]`, '/apps');
    for (const k of ['tlsCa', 'tlsCert', 'tlsKey']) await page.fill(`${form} textarea[name=${k}]`, pem);
    // Nothing listens there: saved without the check.
    await page.uncheck(`${form} input[name=check]`);
    await page.click('text=Create cluster');
    await page.locator('[data-test="cluster-etcd-prod"]').waitFor();

    const clusters = await adminRequest<any>(`${b.base}/api/v1/clusters`, TOKEN, 'GET');
    const saved = clusters.items.find((c: { name: string }) => c.name === 'etcd-prod');
    expect(saved).toMatchObject({ kind: 'etcd', layout: 'kratos', prefix: '/apps', hasCredentials: true });
    expect(JSON.stringify(clusters)).not.toContain('consolePemMarker');
    await page.locator('[data-test="cluster-etcd-prod"] button', { hasText: 'Edit' }).click();
    await page.locator(`${form} input[name=prefix]`).waitFor();
    expect(await page.inputValue(`${form} input[name=prefix]`)).toBe('/apps');
    expect(await page.inputValue(`${form} textarea[name=tlsCa]`)).toBe('');
    expect(await page.content()).not.toContain('consolePemMarker');
    await adminRequest(`${b.base}/api/v1/clusters/${saved.id as string}`, TOKEN, 'DELETE');
    await page.context().close();
  });

  it('should let the admin delete the task, its copies withdrawn', async () => {
    const page = await signIn('admin');
    await go(page, 'tasks', 'Sync tasks');
    await taskRow(page).locator('button', { hasText: 'Delete' }).click();
    await page.locator('text=No task yet').waitFor({ timeout: 20000 });
    await go(page, 'overview', 'Overview');
    await page.locator('[data-test=instances]', { hasText: /^0$/ }).waitFor({ timeout: 20000 });
    await page.context().close();
  });
});
