import { mergeResults, renderBenchmarks } from './report';
import type { RecordedResult } from './report';

const machine = { cores: 2, cpu: 'test CPU', memoryGiB: 24, node: 'v20.20.2' };

function result(name: string, rows: RecordedResult['rows'], measuredAt = '2026-11-22T00:00:00.000Z'): RecordedResult {
  return { name, rows, measuredAt, seconds: 12.4, machine };
}

describe('benchmark report', () => {
  it('keeps the newest run of each benchmark in the canonical order', () => {
    const old = { results: [result('sync', []), result('registry', [], '2026-01-01T00:00:00.000Z')] };
    const merged = mergeResults(
      old,
      [result('registry', []), result('distro', [])],
      ['registry', 'distro', 'grpc', 'sync'],
    );
    expect(merged.results.map((r) => [r.name, r.measuredAt])).toEqual([
      ['registry', '2026-11-22T00:00:00.000Z'],
      ['distro', '2026-11-22T00:00:00.000Z'],
      ['sync', '2026-11-22T00:00:00.000Z'],
    ]);
  });

  it('puts our figure and its raw baseline beside each anchor it has, and says which are missing', () => {
    const md = renderBenchmarks({
      results: [
        result('distro', [
          {
            metric: '(b) write ack → visible on both peers, p99',
            value: 12.345,
            unit: 'ms',
            baseline: { name: 'bare gRPC', value: 3 },
            ratio: 0.24,
            target: '≤ 25 ms',
          },
        ]),
      ],
    });
    expect(md).toContain('| replication delay inside a region (p99) | Nacos Distro: 1,000 ms merge delay');
    expect(md).toContain(
      '| (b) write ack → visible on both peers, p99: 12.3 ms (same-run baseline, bare gRPC: 3 ms) |',
    );
    expect(md).toContain('| cross-region sync delay (p99) | Nacos-Sync: ≤ 3 s sync delay | not measured yet |');
    expect(md).toContain('| (b) write ack → visible on both peers, p99 | 12.3 ms | bare gRPC: 3 ms | 0.24 | ≤ 25 ms |');
    expect(md).toContain('on 2 cores (test CPU), 24 GiB, Node v20.20.2; `npm run bench -- distro`.');
  });

  it('records how fast the machine was around each run, when the run measured it', () => {
    const probed = { ...result('grpc', []), machine: { ...machine, probeMs: { before: 101.4, after: 250.6 } } };
    const md = renderBenchmarks({ results: [probed] });
    expect(md).toContain('Node v20.20.2 (speed probe 101 ms before, 251 ms after; see bench/run.ts)');
  });

  it('escapes pipes inside cells so a metric cannot break the table', () => {
    const md = renderBenchmarks({ results: [result('grpc', [{ metric: 'a | b', value: 1, unit: 'x' }])] });
    expect(md).toContain('| a \\| b | 1 x |');
  });
});
