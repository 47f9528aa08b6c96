/** Helpers for naming and addressing the per-run and per-file test databases. */

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A database to run CREATE/DROP DATABASE from (never the one being created). */
export function adminUrl(url: string): string {
  return withDatabase(url, 'postgres');
}

export function templateName(): string {
  return `distro_sync_test_${process.pid}`;
}
