import { AppConfig } from './app-config';
import { EnvError, parseEnv, sensitiveTexts } from './env.schema';

describe(parseEnv.name, () => {
  it('should give every default for an empty environment', () => {
    const sut = parseEnv({});
    expect(sut.HTTP_PORT).toBe(8848);
    expect(sut.NACOS_GRPC_PORT).toBe(9848);
    expect(sut.DISTRO_PORT).toBe(9849);
    expect(sut.DISTRO_MEMBERS).toEqual([]);
    expect(sut.DATABASE_URL).toBeUndefined();
    expect(sut.DATA_DIR).toBe('./data');
  });

  it('should derive the gRPC ports from HTTP_PORT unless they are set', () => {
    expect(parseEnv({ HTTP_PORT: '18848' })).toMatchObject({ NACOS_GRPC_PORT: 19848, DISTRO_PORT: 19849 });
    expect(parseEnv({ HTTP_PORT: '18848', DISTRO_PORT: '7000' })).toMatchObject({ DISTRO_PORT: 7000 });
    expect(parseEnv({ HTTP_PORT: '0' })).toMatchObject({ NACOS_GRPC_PORT: 0, DISTRO_PORT: 0 });
  });

  it('should name every bad variable and why, all at once', () => {
    let error: unknown;
    try {
      parseEnv({ HTTP_PORT: 'eighty', DISTRO_MEMBERS: 'a:1,b', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EnvError);
    const problems = (error as EnvError).problems.join('\n');
    expect(problems).toMatch(/HTTP_PORT must be a port number 0-65535, got "eighty"/);
    expect(problems).toMatch(/DISTRO_MEMBERS "b" is not host:port/);
    expect(problems).toMatch(/DATABASE_URL must be a postgres:\/\/ URL/);
    expect(problems).toMatch(/LOG_LEVEL must be one of/);
  });

  it('should reject a port above 65535 and a token too short to be a secret', () => {
    expect(() => parseEnv({ HTTP_PORT: '70000' })).toThrow(/HTTP_PORT/);
    expect(() => parseEnv({ ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN must be at least 16 characters/);
  });

  it('should refuse a token that is not printable without quoting it, and trim a trailing newline', () => {
    const pasted = 'Sekr3t-0123456789\u0001-marker';
    for (const name of ['ADMIN_TOKEN', 'DISTRO_TOKEN', 'REGISTRY_API_TOKEN']) {
      expect(() => parseEnv({ [name]: pasted })).toThrow(
        expect.objectContaining({
          message: expect.stringMatching(new RegExp(`${name} must not contain control characters`)),
        }),
      );
      expect(() => parseEnv({ [name]: pasted })).toThrow(
        expect.objectContaining({ message: expect.not.stringContaining('Sekr3t') }),
      );
    }
    expect(parseEnv({ DISTRO_TOKEN: 'Sekr3t-0123456789-marker\n' }).DISTRO_TOKEN).toBe('Sekr3t-0123456789-marker');
  });

  it('should never put a secret value into an error message', () => {
    expect(() => parseEnv({ DATABASE_URL: 'notaurl-with-secret-hunter2' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });

  it('should parse a member list with spaces and an IPv6 literal', () => {
    expect(parseEnv({ DISTRO_MEMBERS: ' 10.0.0.1:9849, [::1]:9849 ,node-2.ds:9849' }).DISTRO_MEMBERS).toEqual([
      '10.0.0.1:9849',
      '[::1]:9849',
      'node-2.ds:9849',
    ]);
  });
});

describe(AppConfig.name, () => {
  it('should mask sensitive values when described', () => {
    const sut = AppConfig.fromEnv({
      ADMIN_TOKEN: 'a-very-long-admin-token',
      DATABASE_URL: 'postgres://u:pw@db/x',
      DISTRO_TOKEN: 'a-very-long-distro-token',
    });
    const text = JSON.stringify(sut.describe());
    expect(text).not.toContain('a-very-long-admin-token');
    expect(text).not.toContain('pw@db');
    expect(text).not.toContain('a-very-long-distro-token');
    expect(sut.describe()).toMatchObject({ ADMIN_TOKEN: '***', DATABASE_URL: '***', HTTP_PORT: 8848 });
  });

  it('should warn about open endpoints only where they are open', () => {
    expect(AppConfig.fromEnv({}).warnings()).toEqual([expect.stringMatching(/ADMIN_TOKEN is not set/)]);
    expect(AppConfig.fromEnv({ DISTRO_MEMBERS: 'a:1' }).warnings()).toHaveLength(2);
    expect(
      AppConfig.fromEnv({
        ADMIN_TOKEN: 'x'.repeat(16),
        DISTRO_MEMBERS: 'a:1',
        DISTRO_TOKEN: 'y'.repeat(16),
      }).warnings(),
    ).toEqual([]);
  });
});

describe(sensitiveTexts.name, () => {
  it('should name every sensitive value, each user password and a database URL password', () => {
    const values = parseEnv({
      ADMIN_TOKEN: 'admin-marker-0123456',
      DISTRO_TOKEN: 'distro-marker-012345',
      REGISTRY_API_TOKEN: 'registry-marker-0123',
      SECRET_KEY: 'sealer-marker-0123456789abcdefghijkl',
      NACOS_AUTH_SECRET: 'nacos-secret-marker-0123456789abcdef',
      NACOS_AUTH_USERS: 'nacos:user-pw-marker',
      DATABASE_URL: 'postgres://app:db%2Fpw-marker@db:5432/app',
      HOST: '127.0.0.1',
    });
    expect(sensitiveTexts(values)).toEqual(
      expect.arrayContaining([
        'admin-marker-0123456',
        'distro-marker-012345',
        'registry-marker-0123',
        'sealer-marker-0123456789abcdefghijkl',
        'nacos-secret-marker-0123456789abcdef',
        'user-pw-marker',
        'db/pw-marker',
      ]),
    );
    expect(sensitiveTexts(values)).not.toContain('127.0.0.1');
  });
});
