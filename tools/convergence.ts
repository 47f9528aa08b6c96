import type { RegionStatus } from './region-status';

/** What the demo registered, so the live view can tell when both regions are in step. */
export interface Expected {
  /** Native instances the sample applications registered in each region, by region name. */
  natives: Record<string, number>;
}

/** Fraction of the copies that every running node of each region already holds (0..1). */
export function syncProgress(regions: RegionStatus[], expected: Expected): number {
  let want = 0;
  let have = 0;
  for (const r of regions) {
    const other = regions.find((o) => o !== r)!;
    const target = expected.natives[other.name] ?? 0;
    want += target;
    const running = r.nodes.filter((n) => n.process === 'up');
    const least = running.length === 0 ? 0 : Math.min(...running.map((n) => n.copies ?? 0));
    have += Math.min(least, target);
  }
  return want === 0 ? 1 : have / want;
}

/**
 * Both regions in step: every node running and answering with the same content, holding its own
 * region's natives and a copy of each of the other's, and each task with everything applied.
 */
export function converged(regions: RegionStatus[], expected: Expected): boolean {
  return regions.every((r) => {
    const other = regions.find((o) => o !== r)!;
    const v = r.task.view;
    return (
      r.consistent &&
      r.nodes.every(
        (n) =>
          n.process === 'up' && n.natives === expected.natives[r.name] && n.copies === expected.natives[other.name],
      ) &&
      v !== undefined &&
      v.applied === v.desired &&
      v.desired === expected.natives[other.name]
    );
  });
}
