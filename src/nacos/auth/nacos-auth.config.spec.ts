import { readSection } from '@/config/read-env';
import { NacosAuthConfig } from './nacos-auth.config';

const SECRET = 's'.repeat(32);

describe(NacosAuthConfig.name, () => {
  it('should be off without users or secret by default', () => {
    expect(readSection(NacosAuthConfig, {})).toEqual({
      section: expect.objectContaining({ enabled: false, users: [], secret: undefined, tokenTtlMs: 18000000 }),
      problems: [],
    });
  });

  it('should read users as user:password pairs, a password may hold a colon', () => {
    const { section } = readSection(NacosAuthConfig, { NACOS_AUTH_USERS: ' nacos :pw:1, ,ops:x' });
    expect(section.users).toEqual([
      { username: 'nacos', password: 'pw:1' },
      { username: 'ops', password: 'x' },
    ]);
  });

  it('should refuse a malformed user list without quoting it', () => {
    for (const raw of ['marker', ':marker', 'marker:', 'a:b,marker']) {
      const { problems } = readSection(NacosAuthConfig, { NACOS_AUTH_USERS: raw });
      expect(problems).toEqual([
        expect.stringMatching(/^NACOS_AUTH_USERS must be user:password pairs separated by commas \(/),
      ]);
      expect(problems[0]).not.toContain('marker');
    }
  });

  it('should require a secret and at least one user when enabled', () => {
    expect(readSection(NacosAuthConfig, { NACOS_AUTH_ENABLED: 'true' }).problems).toEqual([
      expect.stringMatching(/^NACOS_AUTH_USERS must name at least one user:password when NACOS_AUTH_ENABLED=true/),
      expect.stringMatching(
        /^NACOS_AUTH_SECRET is required when NACOS_AUTH_ENABLED=true \(it signs the access tokens\)/,
      ),
    ]);
    expect(
      readSection(NacosAuthConfig, { NACOS_AUTH_ENABLED: 'true', NACOS_AUTH_USERS: 'a:b', NACOS_AUTH_SECRET: SECRET })
        .problems,
    ).toEqual([]);
  });

  it('should report a short secret once, not as missing', () => {
    expect(
      readSection(NacosAuthConfig, { NACOS_AUTH_ENABLED: 'true', NACOS_AUTH_USERS: 'a:b', NACOS_AUTH_SECRET: 'short' })
        .problems,
    ).toEqual([expect.stringMatching(/^NACOS_AUTH_SECRET must be at least 32 characters long/)]);
  });
});
