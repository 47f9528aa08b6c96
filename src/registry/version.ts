/**
 * Versions of writes, comparable across the nodes of a region: a hybrid logical clock (Kulkarni et
 * al., 2014) packed into one integer, `physical ms * 2048 + logical counter`, plus the id of the node
 * that stamped it. Every write a node accepts gets a version greater than every version that node
 * has stamped or seen, and close to its wall clock; two writes compare by version, then by node id,
 * so every node picks the same winner whatever order copies arrive in.
 *
 * A double holds the packed value exactly while physical time is below 2^42 ms (the year 2109).
 * The counter has 11 bits; a node stamping more than 2048 writes within one millisecond moves its
 * clock a millisecond ahead of the wall clock, which the next quiet millisecond absorbs.
 */
export const LOGICAL_BITS = 2048;

/** The physical part of a version: when (ms since the epoch) its writer stamped it, as its clock read. */
export function versionTime(version: number): number {
  return Math.floor(version / LOGICAL_BITS);
}

/** The version the physical clock alone gives at `ms` (the smallest version stamped at that time). */
export function versionAt(ms: number): number {
  return Math.floor(ms) * LOGICAL_BITS;
}

/**
 * How far ahead of this node's wall clock an observed version may move its clock (one day). A peer
 * whose clock runs further ahead still has its writes merged by their versions, but cannot drag this
 * node's clock (and so every later version) towards the end of the range.
 */
export const MAX_OBSERVED_AHEAD_MS = 24 * 3600 * 1000;

/** A write that had to be stamped by a deadline the clock had already passed; nothing was changed. */
export class LateWriteError extends Error {
  constructor(readonly deadlineMs: number) {
    super(`this node's clock is past the write's deadline (${new Date(deadlineMs).toISOString()}); not applied`);
    this.name = 'LateWriteError';
  }
}

/** A version with the node that stamped it. */
export interface Stamp {
  readonly version: number;
  readonly writer: string;
}

/** Orders two stamps: version first, then writer id; 0 only for the same write. */
export function compareStamps(aVersion: number, aWriter: string, bVersion: number, bWriter: string): number {
  if (aVersion !== bVersion) return aVersion < bVersion ? -1 : 1;
  if (aWriter === bWriter) return 0;
  return aWriter < bWriter ? -1 : 1;
}

/** True when stamp a is newer than stamp b. */
export function newer(aVersion: number, aWriter: string, bVersion: number, bWriter: string): boolean {
  return aVersion > bVersion || (aVersion === bVersion && aWriter > bWriter);
}

/** A valid version as a peer may send it: a positive integer a double holds exactly. */
export function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/**
 * One node's hybrid logical clock. `next()` stamps a local write; `observe()` takes in a version
 * received from a peer, so that this node's next write is newer than anything it has seen.
 */
export class HybridClock {
  private last = 0;
  /** Set by `hold()`: versions then follow the last one logically, without reading the wall clock. */
  private held = false;

  constructor(
    /** The node id written beside each version (its Distro member id). */
    public node: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A version for a write accepted now, greater than every version stamped or observed here. */
  next(): number {
    if (this.held) return ++this.last;
    const physical = versionAt(this.now());
    this.last = physical > this.last ? physical : this.last + 1;
    return this.last;
  }

  /** Moves the clock past a version seen from a peer; returns how far ahead of this node's wall clock it was (ms). */
  observe(version: number): number {
    const now = this.now();
    const bounded = Math.min(version, versionAt(now + MAX_OBSERVED_AHEAD_MS));
    if (bounded > this.last) this.last = bounded;
    return versionTime(version) - now;
  }

  /**
   * Stamps one version now and, only when it is at or below `notAfter`, runs the synchronous `fn` with the
   * clock held at it: every version `fn` stamps follows that one by its counter alone, however long the
   * process is paused meanwhile (a GC pause, SIGSTOP). Returns false, running nothing, when the clock is
   * already past `notAfter`.
   */
  holdingIfBefore(notAfter: number, fn: () => void): boolean {
    if (this.held) throw new Error('the clock is already held');
    if (this.next() > notAfter) return false;
    this.held = true;
    try {
      fn();
    } finally {
      this.held = false;
    }
    return true;
  }

  /** The last version stamped or observed (0 before any). */
  peek(): number {
    return this.last;
  }
}
