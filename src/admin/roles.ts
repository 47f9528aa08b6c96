import { SetMetadata } from '@nestjs/common';

/** What a person may do through the admin API, weakest first. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const MIN_ROLE = 'distro-sync:min-role';

/**
 * The role a route needs when it is not the method's default: `operator` marks the task actions an
 * operator may take (pause, resume, resync, release of a hold), `admin` a read only admins may see.
 */
export const MinRole = (role: Role): MethodDecorator & ClassDecorator => SetMetadata(MIN_ROLE, role);

const READS = new Set(['GET', 'HEAD']);

/** The role a call needs: the route's own mark, else `viewer` for a read and `admin` for any change. */
export function requiredRole(method: string, marked: Role | undefined): Role {
  return marked ?? (READS.has(method.toUpperCase()) ? 'viewer' : 'admin');
}

/** Whether `have` is at least `need`. */
export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
