import type { RegistryAdapter } from './registry-adapter';

/**
 * Stands in for a cluster whose adapter cannot even be built (grpc-js refuses a credential with a
 * control character in it): every call fails with the reason, as a registry that does not answer
 * would, so the task's deletion can wait for it and then let go instead of never starting.
 */
export class UnusableAdapter implements RegistryAdapter {
  constructor(private readonly reason: string) {}

  private fail<T>(): Promise<T> {
    return Promise.reject(new Error(this.reason));
  }

  snapshot: RegistryAdapter['snapshot'] = () => this.fail();
  watch: RegistryAdapter['watch'] = (_selector, _onService, onError) => {
    onError(new Error(this.reason));
    return { close: () => undefined };
  };
  applyCopies: RegistryAdapter['applyCopies'] = () => this.fail();
  renewCopies: RegistryAdapter['renewCopies'] = () => this.fail();
  withdrawCopies: RegistryAdapter['withdrawCopies'] = () => this.fail();
  listCopies: RegistryAdapter['listCopies'] = () => this.fail();
  check: RegistryAdapter['check'] = () => Promise.resolve({ reachable: false, latencyMs: 0, error: this.reason });
  close: RegistryAdapter['close'] = () => Promise.resolve();
}
