import { Client } from 'pg';
import { adminUrl } from './pg-urls';
import { removePgliteTemplate } from './pglite-template';

/** Removes the PGlite dump, drops the template and whatever test databases a crashed spec left behind. */
export default async function globalTeardown(): Promise<void> {
  removePgliteTemplate();
  const base = process.env.DATABASE_URL;
  const template = process.env.DISTRO_SYNC_TEST_TEMPLATE;
  if (!base || !template) return;
  const admin = new Client({ connectionString: adminUrl(base) });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2`,
      [template, `${template}_%`],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
