import { Injectable } from '@nestjs/common';

/** Nacos's push state (`/operator/push/state`): `succeed = total - failed`, `ratio = succeed / total` (0 when none). */
export interface PushState {
  succeed: number;
  total: number;
  ratio: number;
}

/**
 * Pushes to subscribers since start-up or the last reset, counted as the pushers settle them:
 * one per gRPC NotifySubscriberRequest written (each retry is another), failed when refused,
 * unanswered by the deadline or its connection gone; one per UDP packet first sent, failed when
 * no acknowledgement came after every retry. Kept apart from the Prometheus counters, which
 * never reset.
 */
@Injectable()
export class PushTally {
  private total = 0;
  private failed = 0;

  pushed(): void {
    this.total++;
  }

  pushFailed(): void {
    this.failed++;
  }

  state(): PushState {
    const succeed = Math.max(this.total - this.failed, 0);
    return { succeed, total: this.total, ratio: this.total > 0 ? succeed / this.total : 0 };
  }

  /** Starts counting again from zero (Nacos's `reset=true`). */
  reset(): void {
    this.total = 0;
    this.failed = 0;
  }
}
