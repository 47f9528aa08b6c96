import { AppConfig } from '@/config';
import { readSection } from '@/config/read-env';
import { DistroConfig } from './distro.config';

describe(DistroConfig.name, () => {
  it('should take DISTRO_PORT as set, else HTTP_PORT + 1001, else any free port beside HTTP_PORT 0', () => {
    expect(AppConfig.fromEnv({ DISTRO_PORT: '7000' }).distro.port).toBe(7000);
    expect(AppConfig.fromEnv({ HTTP_PORT: '10000' }).distro.port).toBe(11001);
    expect(AppConfig.fromEnv({ HTTP_PORT: '0' }).distro.port).toBe(0);
  });

  it('should read the member list and refuse an item without a valid port', () => {
    expect(readSection(DistroConfig, { DISTRO_MEMBERS: 'a:1,,b:2,' }).section.members).toEqual(['a:1', 'b:2']);
    for (const item of ['a', 'a:0', 'a:65536', 'a b:1']) {
      expect(readSection(DistroConfig, { DISTRO_MEMBERS: `ok:1,${item}` }).problems).toEqual([
        expect.stringMatching(new RegExp(`^DISTRO_MEMBERS "${item}" is not host:port`)),
      ]);
    }
  });

  it('should take one host:port as DISTRO_SELF and DISTRO_DNS_SERVER', () => {
    expect(readSection(DistroConfig, { DISTRO_SELF: '[::1]:9849', DISTRO_DNS_SERVER: '10.0.0.2:53' }).section).toEqual(
      expect.objectContaining({ self: '[::1]:9849', dnsServer: '10.0.0.2:53' }),
    );
    expect(readSection(DistroConfig, { DISTRO_SELF: 'node-1', DISTRO_DNS_SERVER: '10.0.0.2' }).problems).toEqual([
      expect.stringMatching(/^DISTRO_SELF "node-1" is not host:port/),
      expect.stringMatching(/^DISTRO_DNS_SERVER "10.0.0.2" is not host:port/),
    ]);
  });

  it('should take a DNS name with an optional port for DISTRO_MEMBERS_DNS', () => {
    expect(readSection(DistroConfig, { DISTRO_MEMBERS_DNS: 'ds.ns.svc.cluster.local:9849' }).problems).toEqual([]);
    expect(readSection(DistroConfig, { DISTRO_MEMBERS_DNS: 'http://ds' }).problems).toEqual([
      expect.stringMatching(/^DISTRO_MEMBERS_DNS "http:\/\/ds" is not a DNS name/),
    ]);
  });

  it('should refuse a non-boolean DISTRO_ALLOW_FIRST_NODE and accept the usual spellings', () => {
    expect(readSection(DistroConfig, { DISTRO_ALLOW_FIRST_NODE: 'off' }).section.allowFirstNode).toBe(false);
    expect(readSection(DistroConfig, { DISTRO_ALLOW_FIRST_NODE: 'nah' }).problems).toEqual([
      expect.stringMatching(/^DISTRO_ALLOW_FIRST_NODE must be true or false, got "nah"/),
    ]);
  });
});
