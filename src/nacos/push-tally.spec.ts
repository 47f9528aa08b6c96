import { PushTally } from './push-tally';

describe(PushTally.name, () => {
  it('should answer zeros and a ratio of 0 before any push', () => {
    expect(new PushTally().state()).toEqual({ succeed: 0, total: 0, ratio: 0 });
  });

  it('should count succeed as total minus failed, and start again from zero after reset', () => {
    const sut = new PushTally();
    for (let i = 0; i < 4; i++) sut.pushed();
    sut.pushFailed();

    expect(sut.state()).toEqual({ succeed: 3, total: 4, ratio: 0.75 });
    sut.reset();
    expect(sut.state()).toEqual({ succeed: 0, total: 0, ratio: 0 });
  });

  it('should never answer a negative succeed when a push sent before a reset fails after it', () => {
    const sut = new PushTally();
    sut.pushed();
    sut.reset();
    sut.pushFailed();

    expect(sut.state()).toEqual({ succeed: 0, total: 0, ratio: 0 });
  });
});
