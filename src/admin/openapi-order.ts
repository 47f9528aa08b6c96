import type { OpenAPIObject } from '@nestjs/swagger';

/** The admin API's tags, in the order `/api/docs` shows them, each with what it is for. */
export const ADMIN_TAGS = [
  { name: 'clusters', description: 'Registries that tasks copy from or into (admin API, bearer ADMIN_TOKEN)' },
  { name: 'tasks', description: 'Sync tasks: what to copy where, their live state, ledger and holds (admin API)' },
  { name: 'events', description: 'The audit trail, kept after tasks and clusters are gone (admin API)' },
  { name: 'export and import', description: 'The whole sync configuration as one JSON document (admin API)' },
  { name: 'workers', description: 'The replicas running sync tasks and the leases they hold (admin API)' },
  {
    name: 'nacos-sync',
    description: "Nacos-Sync 0.5's REST API, mapped onto the clusters and tasks above (docs/sync.md)",
  },
];

/**
 * Puts the admin API first in the OpenAPI document: its paths (`/api/v1/…`), then Nacos-Sync's
 * (`/v1/…`), then everything else in the order the modules declared it; and lists the admin tags
 * first, which is the order Swagger UI shows the groups in.
 */
export function adminFirst(document: OpenAPIObject): OpenAPIObject {
  const rank = (path: string): number => (path.startsWith('/api/v1/') ? 0 : path.startsWith('/v1/') ? 1 : 2);
  const paths = Object.entries(document.paths)
    .map((entry, i) => ({ entry, i }))
    .sort((a, b) => rank(a.entry[0]) - rank(b.entry[0]) || a.i - b.i)
    .map(({ entry }) => entry);
  const used = new Set(
    Object.values(document.paths).flatMap((item) =>
      Object.values(item as Record<string, { tags?: string[] }>).flatMap((op) => op?.tags ?? []),
    ),
  );
  const admin = new Set(ADMIN_TAGS.map((t) => t.name));
  const others = [...used].filter((t) => !admin.has(t)).map((name) => ({ name }));
  return {
    ...document,
    paths: Object.fromEntries(paths),
    tags: [...ADMIN_TAGS.filter((t) => used.has(t.name)), ...others],
  };
}
