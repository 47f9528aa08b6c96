import { AppConfig } from '@/config';
import { NacosAuthService } from './nacos-auth.service';

const SECRET = 'unit-test-secret-that-is-long-enough!';

function make(env: Record<string, string> = {}): NacosAuthService {
  return new NacosAuthService(
    AppConfig.fromEnv({
      NACOS_AUTH_ENABLED: 'true',
      NACOS_AUTH_USERS: 'nacos:secret-pw',
      NACOS_AUTH_SECRET: SECRET,
      NACOS_AUTH_TOKEN_TTL_MS: '60000',
      ...env,
    }).nacos.auth,
  );
}

describe(NacosAuthService.name, () => {
  describe('login', () => {
    it('should issue a token that passes the check until it expires', () => {
      const sut = make();
      const login = sut.login('nacos', 'secret-pw', 1_000_000);
      expect(login).toMatchObject({ tokenTtl: 60, username: 'nacos' });
      expect(sut.check({ accessToken: login?.accessToken }, 1_000_000)).toBeUndefined();
      expect(sut.check({ accessToken: login?.accessToken }, 1_000_000 + 61_000)).toBe('token expired!');
    });

    it('should refuse wrong credentials', () => {
      const sut = make();
      expect(sut.login('nacos', 'nope')).toBeUndefined();
      expect(sut.login('ghost', 'secret-pw')).toBeUndefined();
      expect(sut.login(undefined, undefined)).toBeUndefined();
    });
  });

  describe('check', () => {
    it('should refuse a token signed with another secret', () => {
      const other = make({ NACOS_AUTH_SECRET: 'another-unit-test-secret-long-enough' });
      const token = other.login('nacos', 'secret-pw')?.accessToken;
      expect(make().check({ accessToken: token })).toBe('token invalid!');
    });

    it('should accept username and password and refuse nothing at all', () => {
      const sut = make();
      expect(sut.check({ username: 'nacos', password: 'secret-pw' })).toBeUndefined();
      expect(sut.check({ username: 'nacos', password: 'x' })).toBe('user not found!');
      expect(sut.check({})).toBe('user not found!');
    });

    it('should let everything through when auth is off', () => {
      expect(make({ NACOS_AUTH_ENABLED: 'false' }).check({})).toBeUndefined();
    });
  });
});
