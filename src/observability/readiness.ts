import { Injectable } from '@nestjs/common';

export interface GateState {
  open: boolean;
  /** Why the gate is closed, for operators (never a secret). */
  reason?: string;
}

/**
 * Everything that must be true before this node takes traffic, besides the database: the Distro
 * init gate, shutdown in progress, and whatever later parts add. Each part owns its gate.
 */
@Injectable()
export class ReadinessGates {
  private readonly gates = new Map<string, () => GateState>();

  /** Registers (or replaces) a gate; the function is called on every readiness check. */
  register(name: string, state: () => GateState): void {
    this.gates.set(name, state);
  }

  states(): Record<string, GateState> {
    const out: Record<string, GateState> = {};
    for (const [name, state] of this.gates) out[name] = state();
    return out;
  }
}
