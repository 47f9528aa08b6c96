import { NacosAuthConfig } from '@/nacos/auth/nacos-auth.config';
import { NacosAuthService } from '@/nacos/auth/nacos-auth.service';
import { NacosBeatConfig } from './heartbeat.config';
import { NamingSwitches, SWITCH_DOMAIN_NAME, SwitchUpdateError } from './naming-switches';

function switches(beatIntervalMs = 5000): NamingSwitches {
  const beat = Object.assign(new NacosBeatConfig(), { intervalMs: beatIntervalMs });
  return new NamingSwitches(beat, new NacosAuthService(new NacosAuthConfig()));
}

function refusal(fn: () => void): SwitchUpdateError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SwitchUpdateError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe(NamingSwitches.name, () => {
  describe('view', () => {
    it("should show Nacos's SwitchDomain fields with this node's values", () => {
      const view = switches(7000).view();
      expect(Object.keys(view).sort()).toEqual(
        [
          'name',
          'masters',
          'adWeightMap',
          'defaultPushCacheMillis',
          'clientBeatInterval',
          'defaultCacheMillis',
          'distroThreshold',
          'healthCheckEnabled',
          'autoChangeHealthCheckEnabled',
          'distroEnabled',
          'enableStandalone',
          'pushEnabled',
          'checkTimes',
          'httpHealthParams',
          'tcpHealthParams',
          'mysqlHealthParams',
          'incrementalList',
          'serverStatusSynchronizationPeriodMillis',
          'serviceStatusSynchronizationPeriodMillis',
          'disableAddIP',
          'sendBeatOnly',
          'lightBeatEnabled',
          'limitedUrlMap',
          'distroServerExpiredMillis',
          'pushVersionOfGo',
          'pushVersionOfJava',
          'pushVersionOfPython',
          'pushVersionOfC',
          'pushVersionOfCsharp',
          'enableAuthentication',
          'overriddenServerStatus',
          'defaultInstanceEphemeral',
          'healthCheckWhiteList',
          'checksum',
        ].sort(),
      );
      expect(view).toMatchObject({
        name: SWITCH_DOMAIN_NAME,
        clientBeatInterval: 7000,
        defaultCacheMillis: 10_000,
        distroEnabled: true,
        pushEnabled: true,
        healthCheckEnabled: true,
        defaultInstanceEphemeral: true,
        enableAuthentication: false,
        tcpHealthParams: { max: 5000, min: 1000, factor: 0.75 },
      });
    });
  });

  describe('update', () => {
    it('should change the runtime entries at once', () => {
      const sut = switches();
      sut.update('clientBeatInterval', '9000');
      sut.update('lightBeatEnabled', 'false');
      sut.update('defaultInstanceEphemeral', 'OFF');
      sut.update('pushEnabled', 'n');
      sut.update('check', 'false');
      expect(sut.view()).toMatchObject({
        clientBeatInterval: 9000,
        lightBeatEnabled: false,
        defaultInstanceEphemeral: false,
        pushEnabled: false,
        healthCheckEnabled: false,
      });
    });

    it.each([
      ['distro', 'false', 'read-only', "switch entry 'distro' is read-only here"],
      ['distroThreshold', '0.5', 'read-only', "switch entry 'distroThreshold' is read-only here"],
      ['nope', '1', 'unknown', "unknown switch entry 'nope'"],
      ['clientBeatInterval', '0', 'value', 'clientBeatInterval must be an integer 1-600000'],
      ['clientBeatInterval', '1e3', 'value', 'clientBeatInterval must be an integer 1-600000'],
      ['pushEnabled', 'maybe', 'value', 'pushEnabled must be true or false'],
    ])('should refuse %s=%s as %s', (entry, value, kind, message) => {
      const sut = switches();
      const error = refusal(() => sut.update(entry, value));
      expect([error.kind, error.message]).toEqual([kind, message]);
      expect(sut.view()).toEqual(switches().view());
    });
  });
});
