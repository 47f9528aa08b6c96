/** Java's `String.hashCode` (UTF-16 code units, 32-bit overflow), so responsibility matches Nacos. */
export function javaStringHash(value: string): number {
  let h = 0;
  for (let i = 0; i < value.length; i++) h = (Math.imul(31, h) + value.charCodeAt(i)) | 0;
  return h;
}

const JAVA_INT_MAX = 2147483647;

/** Nacos's DistroMapper index: `abs(hash % Integer.MAX_VALUE) % n`. */
export function distroIndex(tag: string, memberCount: number): number {
  return Math.abs(javaStringHash(tag) % JAVA_INT_MAX) % memberCount;
}

/** The `ip:port` tag of an ip-port client id (`ip:port#ephemeral`), or undefined for other ids. */
export function ipPortTagOf(clientId: string): string | undefined {
  const m = /^(.+:\d{1,5})#(true|false)$/.exec(clientId);
  return m?.[1];
}

/**
 * Who is responsible for an ip-port tag: the member at `distroIndex` in the lexicographically
 * sorted list of healthy (UP + SUSPICIOUS) members, self included.
 */
export class DistroMapper {
  private healthy: readonly string[];

  constructor(private readonly self: string) {
    this.healthy = [self];
  }

  /** Replaces the healthy member list (self is always part of it). */
  update(healthyMembers: readonly string[]): void {
    const set = new Set(healthyMembers);
    set.add(this.self);
    this.healthy = [...set].sort();
  }

  members(): readonly string[] {
    return this.healthy;
  }

  responsible(tag: string): string {
    return this.healthy[distroIndex(tag, this.healthy.length)] ?? this.self;
  }

  isSelfResponsible(tag: string): boolean {
    return this.responsible(tag) === this.self;
  }
}
