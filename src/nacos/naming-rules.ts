import { groupedName } from '@/registry';
import type { NamingRegistry, ServiceKey } from '@/registry';

/**
 * Nacos 2.x keeps a service either ephemeral or persistent (Ephemeral/PersistentClientOperationServiceImpl):
 * an instance of the other kind is refused with these words. Undefined when the write may go ahead.
 * Every edge (HTTP v1, v2, gRPC) asks this before a registration.
 */
export function ephemeralConflict(
  registry: Pick<NamingRegistry, 'serviceEphemeral'>,
  key: ServiceKey,
  ephemeral: boolean,
  verb: 'register' | 'batch register' = 'register',
): string | undefined {
  const current = registry.serviceEphemeral(key);
  if (current === undefined || current === ephemeral) return undefined;
  const name = groupedName(key.group, key.name);
  return current
    ? `Current service ${name} is ephemeral service, can't ${verb} persistent instance.`
    : `Current service ${name} is persistent service, can't ${verb} ephemeral instance.`;
}
