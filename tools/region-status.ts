import { distroOf } from './admin-api';
import type { TaskView } from './admin-api';
import type { NodeState } from './region-node';
import type { Region } from './regions';
import { contentDigest, isCopy } from './registry-view';
import type { RegistryReader } from './registry-view';

export interface NodeStatus {
  name: string;
  pid: number | undefined;
  process: NodeState;
  restarts: number;
  /** Distro init state (`initialized`, `loading`, ...), undefined when the node does not answer. */
  distro: string | undefined;
  membersUp: number | undefined;
  membersTotal: number | undefined;
  natives: number | undefined;
  copies: number | undefined;
  digest: string | undefined;
}

export interface TaskStatus {
  /** e.g. `A->B`; it runs in its target region. */
  label: string;
  /** The node holding the task's lease, or why there is none. */
  owner: string;
  view: TaskView | undefined;
  error: string | undefined;
}

export interface RegionStatus {
  name: string;
  nodes: NodeStatus[];
  /** The task pulling the other region into this one. */
  task: TaskStatus;
  /** Every answering node holds the same content. */
  consistent: boolean;
}

async function nodeStatus(region: Region, index: number, reader: RegistryReader): Promise<NodeStatus> {
  const node = region.nodes[index];
  const status: NodeStatus = {
    name: node.name,
    pid: node.pid,
    process: node.state,
    restarts: node.restarts,
    distro: undefined,
    membersUp: undefined,
    membersTotal: undefined,
    natives: undefined,
    copies: undefined,
    digest: undefined,
  };
  if (node.state !== 'up') return status;
  const distro = await distroOf(node.base, region.token);
  if (distro) {
    status.distro = distro.initState;
    status.membersTotal = distro.members.length;
    status.membersUp = distro.members.filter((m) => m.state === 'UP').length;
  }
  try {
    const held = await reader.read(node.grpcAddress, region.token);
    status.copies = held.filter(isCopy).length;
    status.natives = held.length - status.copies;
    status.digest = contentDigest(held);
  } catch {
    // not initialized yet, or going down: shown as unknown
  }
  return status;
}

async function taskStatus(region: Region, label: string, taskId: string): Promise<TaskStatus> {
  if (region.upNodes().length === 0) return { label, owner: 'region down', view: undefined, error: undefined };
  try {
    const view = await region.admin.task(taskId);
    const owner = view.owner ? (region.nodeOfWorker(view.owner)?.name ?? 'a stopped node') : 'none';
    return { label, owner, view, error: undefined };
  } catch (err) {
    return { label, owner: '?', view: undefined, error: (err as Error).message };
  }
}

/** One look at both regions: every node's process, Distro and content, and each region's task. */
export async function collectStatus(
  regions: Array<{ region: Region; taskId: string; taskLabel: string }>,
  reader: RegistryReader,
): Promise<RegionStatus[]> {
  return Promise.all(
    regions.map(async ({ region, taskId, taskLabel }) => {
      const [nodes, task] = await Promise.all([
        Promise.all(region.nodes.map((_, i) => nodeStatus(region, i, reader))),
        taskStatus(region, taskLabel, taskId),
      ]);
      const digests = new Set(nodes.filter((n) => n.digest !== undefined).map((n) => n.digest));
      return { name: region.name, nodes, task, consistent: digests.size <= 1 };
    }),
  );
}
