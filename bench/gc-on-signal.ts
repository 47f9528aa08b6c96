/**
 * Preloaded (`-r`) into a benchmark's node process started with --expose-gc: SIGUSR2 forces a full
 * collection, so the benchmark can read what the node really holds (heap in use, RSS) rather than
 * what V8 has not collected yet. Benchmarks only; the product never ships with it.
 */
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) gc?.();
});
