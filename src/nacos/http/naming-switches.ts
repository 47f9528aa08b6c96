import { Injectable } from '@nestjs/common';
import { parseStrictInteger } from '@/common/text-rule';
import { NacosAuthService } from '@/nacos/auth/nacos-auth.service';
import { CACHE_MILLIS } from '@/nacos/view/service-info';
import { NacosBeatConfig } from './heartbeat.config';
import { parseNacosBoolean } from './nacos-params';

/** Nacos's name of the switch domain (UtilsAndCommons.SWITCH_DOMAIN_NAME). */
export const SWITCH_DOMAIN_NAME = '00-00---000-NACOS_SWITCH_DOMAIN-000---00-00';

/** Longest clientBeatInterval accepted (the range NACOS_CLIENT_BEAT_INTERVAL_MS allows). */
const MAX_BEAT_INTERVAL_MS = 600_000;

/** The PUT entries that change something here at run time. */
export type RuntimeSwitchEntry =
  'clientBeatInterval' | 'lightBeatEnabled' | 'defaultInstanceEphemeral' | 'pushEnabled' | 'check';

/** Entries Nacos accepts (SwitchEntry) that are shown here but not changeable: nothing here reads them. */
const READ_ONLY_ENTRIES: ReadonlySet<string> = new Set([
  'distroThreshold',
  'pushVersion',
  'pushCacheMillis',
  'defaultCacheMillis',
  'masters',
  'distro',
  'serviceStatusSynchronizationPeriodMillis',
  'serverStatusSynchronizationPeriodMillis',
  'healthCheckTimes',
  'disableAddIP',
  'sendBeatOnly',
  'limitedUrlMap',
  'enableStandalone',
  'overriddenServerStatus',
  'distroServerExpiredMillis',
  'autoChangeHealthCheckEnabled',
  'httpHealthParams',
  'tcpHealthParams',
  'mysqlHealthParams',
]);

/** Why a switch update was refused: an entry that is read-only or unknown here, or a bad value. */
export class SwitchUpdateError extends Error {
  constructor(
    readonly kind: 'read-only' | 'unknown' | 'value',
    message: string,
  ) {
    super(message);
    this.name = 'SwitchUpdateError';
  }
}

/**
 * Nacos's SwitchDomain, per node: the switches that mean something here (`clientBeatInterval`,
 * `lightBeatEnabled`, `defaultInstanceEphemeral`, `pushEnabled`, `check` = healthCheckEnabled) can
 * be changed at run time and take effect at once; the others show the value that describes this
 * server and are read-only. A change applies to the node that receives it (Nacos's `debug=true`):
 * nothing replicates switches across the region.
 */
@Injectable()
export class NamingSwitches {
  clientBeatInterval: number;
  lightBeatEnabled = true;
  defaultInstanceEphemeral = true;
  pushEnabled = true;
  /** Heartbeat expiry runs (Nacos: beat checks are skipped while false). */
  healthCheckEnabled = true;

  constructor(
    beat: NacosBeatConfig,
    private readonly auth: NacosAuthService,
  ) {
    this.clientBeatInterval = beat.intervalMs;
  }

  /** The SwitchDomain JSON Nacos answers, with this node's values. */
  view(): Record<string, unknown> {
    return {
      name: SWITCH_DOMAIN_NAME,
      masters: null,
      adWeightMap: {},
      defaultPushCacheMillis: 10_000,
      clientBeatInterval: this.clientBeatInterval,
      defaultCacheMillis: CACHE_MILLIS,
      distroThreshold: 0.7,
      healthCheckEnabled: this.healthCheckEnabled,
      autoChangeHealthCheckEnabled: true,
      distroEnabled: true,
      enableStandalone: true,
      pushEnabled: this.pushEnabled,
      checkTimes: 3,
      httpHealthParams: { max: 5000, min: 500, factor: 0.85 },
      tcpHealthParams: { max: 5000, min: 1000, factor: 0.75 },
      mysqlHealthParams: { max: 3000, min: 2000, factor: 0.65 },
      incrementalList: [],
      serverStatusSynchronizationPeriodMillis: 2000,
      serviceStatusSynchronizationPeriodMillis: 5000,
      disableAddIP: false,
      sendBeatOnly: false,
      lightBeatEnabled: this.lightBeatEnabled,
      limitedUrlMap: {},
      distroServerExpiredMillis: 10_000,
      pushVersionOfGo: '0.1.0',
      pushVersionOfJava: '0.1.0',
      pushVersionOfPython: '0.4.3',
      pushVersionOfC: '1.0.12',
      pushVersionOfCsharp: '0.9.0',
      enableAuthentication: this.auth.enabled,
      overriddenServerStatus: null,
      defaultInstanceEphemeral: this.defaultInstanceEphemeral,
      healthCheckWhiteList: [],
      checksum: null,
    };
  }

  /** Applies `entry=value`; throws SwitchUpdateError when the entry is read-only, unknown, or the value bad. */
  update(entry: string, value: string): void {
    switch (entry as RuntimeSwitchEntry) {
      case 'clientBeatInterval': {
        const ms = parseStrictInteger(value);
        if (ms === undefined || ms < 1 || ms > MAX_BEAT_INTERVAL_MS) {
          throw new SwitchUpdateError('value', `clientBeatInterval must be an integer 1-${MAX_BEAT_INTERVAL_MS}`);
        }
        this.clientBeatInterval = ms;
        return;
      }
      case 'lightBeatEnabled':
        this.lightBeatEnabled = switchBoolean(entry, value);
        return;
      case 'defaultInstanceEphemeral':
        this.defaultInstanceEphemeral = switchBoolean(entry, value);
        return;
      case 'pushEnabled':
        this.pushEnabled = switchBoolean(entry, value);
        return;
      case 'check':
        this.healthCheckEnabled = switchBoolean(entry, value);
        return;
    }
    if (READ_ONLY_ENTRIES.has(entry)) {
      throw new SwitchUpdateError('read-only', `switch entry '${entry}' is read-only here`);
    }
    throw new SwitchUpdateError('unknown', `unknown switch entry '${entry}'`);
  }
}

function switchBoolean(entry: string, value: string): boolean {
  const parsed = parseNacosBoolean(value.trim());
  if (parsed === undefined) throw new SwitchUpdateError('value', `${entry} must be true or false`);
  return parsed;
}
