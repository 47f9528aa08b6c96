import type { ServiceKey } from './model';

/** A service's visible content changed; emitted once per affected service per operation. */
export interface ServiceChangedEvent {
  key: ServiceKey;
  revision: number;
}

/** A client's publications changed or it went away. */
export interface ClientChangedEvent {
  clientId: string;
  revision: number;
  removed: boolean;
  /** True when the change was made on this node (Distro replicates those), false when applied from a peer. */
  local: boolean;
}

export interface RegistryEvents {
  serviceChanged: ServiceChangedEvent;
  clientChanged: ClientChangedEvent;
}

export type Listener<T> = (event: T) => void;

/** The subscribing half of an emitter, which is all the registry hands out. */
export interface EventSource<E extends object> {
  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(name: K, listener: Listener<E[K]>): () => void;
  off<K extends keyof E>(name: K, listener: Listener<E[K]>): void;
}

/**
 * A small synchronous emitter. A throwing listener is reported to `onError` and does not stop
 * the others, so one faulty consumer cannot break replication or pushes.
 */
export class TypedEmitter<E extends object> implements EventSource<E> {
  // Arrays are replaced, never mutated, so adding or removing during an emit is safe.
  private readonly listeners: { [K in keyof E]?: ReadonlyArray<Listener<E[K]>> } = {};

  constructor(private readonly onError: (error: unknown, name: keyof E) => void) {}

  on<K extends keyof E>(name: K, listener: Listener<E[K]>): () => void {
    this.listeners[name] = [...(this.listeners[name] ?? []), listener];
    return () => this.off(name, listener);
  }

  off<K extends keyof E>(name: K, listener: Listener<E[K]>): void {
    const current = this.listeners[name];
    if (current !== undefined) this.listeners[name] = current.filter((each) => each !== listener);
  }

  /** True when someone listens, so callers can skip building events nobody reads. */
  has(name: keyof E): boolean {
    return (this.listeners[name]?.length ?? 0) > 0;
  }

  emit<K extends keyof E>(name: K, event: E[K]): void {
    const current = this.listeners[name];
    if (current === undefined) return;
    for (const listener of current) {
      try {
        listener(event);
      } catch (error) {
        this.reportError(error, name);
      }
    }
  }

  private reportError(error: unknown, name: keyof E): void {
    try {
      this.onError(error, name);
    } catch {
      // The error reporter itself failed; nothing sensible is left to do with it.
    }
  }
}
