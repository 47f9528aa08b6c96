import { HostLoad } from './host-load';

const times = (busy: number, idle: number) => ({ times: { user: busy, nice: 0, sys: 0, idle, irq: 0 } });

describe(HostLoad.name, () => {
  it('should report the busy share of CPU time since the previous reading', () => {
    let cpus = [times(100, 300), times(100, 300)];
    const sut = HostLoad.of({ cpus: () => cpus, loadavg: () => [1.25, 1, 1], freemem: () => 25, totalmem: () => 100 });
    expect(sut.cpu()).toBe(0.25);
    cpus = [times(190, 310), times(100, 400)];
    expect(sut.cpu()).toBe(0.45);
    expect(sut.cpu()).toBe(0);
  });

  it('should report the one-minute load and the used share of memory', () => {
    const sut = HostLoad.of({
      cpus: () => [],
      loadavg: () => [0.123456, 2, 3],
      freemem: () => 30,
      totalmem: () => 120,
    });
    expect(sut.load()).toBe(0.1235);
    expect(sut.mem()).toBe(0.75);
    expect(sut.cpu()).toBe(0);
  });
});
