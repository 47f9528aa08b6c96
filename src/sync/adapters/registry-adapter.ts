import type { SourceRegistry } from './source-registry';
import type { TargetRegistry } from './target-registry';

/**
 * A cluster as the admin API and the worker build it: one adapter per cluster kind (local
 * in-process, distro over the registry API, nacos over the Nacos gRPC client or, for Nacos 1.x,
 * HTTP v1), usable in both roles. A task reads its source cluster's adapter as a SourceRegistry
 * and writes its target's as a TargetRegistry, so the reconciler knows nothing of transports or
 * kinds. A kind that can only be read (or only written) implements one role.
 */
export interface RegistryAdapter extends SourceRegistry, TargetRegistry {}
