import { AppConfig, EnvError, sensitiveTexts } from './app-config';

const values = (env: Record<string, string>): Record<string, unknown> => AppConfig.fromEnv(env).valuesByName();

describe(`${AppConfig.name}.fromEnv`, () => {
  it('should give every default for an empty environment', () => {
    const sut = AppConfig.fromEnv({});
    expect(sut.http.port).toBe(8848);
    expect(sut.nacosGrpc.port).toBe(9848);
    expect(sut.distro.port).toBe(9849);
    expect(sut.distro.members).toEqual([]);
    expect(sut.database.url).toBeUndefined();
    expect(sut.database.dataDir).toBe('./data');
  });

  it('should derive the gRPC ports from HTTP_PORT unless they are set', () => {
    expect(values({ HTTP_PORT: '18848' })).toMatchObject({ NACOS_GRPC_PORT: 19848, DISTRO_PORT: 19849 });
    expect(values({ HTTP_PORT: '18848', DISTRO_PORT: '7000' })).toMatchObject({ DISTRO_PORT: 7000 });
    expect(values({ HTTP_PORT: '0' })).toMatchObject({ NACOS_GRPC_PORT: 0, DISTRO_PORT: 0 });
  });

  it('should name every bad variable and why, all at once, across sections', () => {
    let error: unknown;
    try {
      AppConfig.fromEnv({
        HTTP_PORT: 'eighty',
        DISTRO_MEMBERS: 'a:1,b',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
        NACOS_AUTH_ENABLED: 'true',
        SYNC_DEBOUNCE_MS: '-1',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EnvError);
    const problems = (error as EnvError).problems.join('\n');
    expect(problems).toMatch(/HTTP_PORT must be a port number 0-65535, got "eighty"/);
    expect(problems).toMatch(/DISTRO_MEMBERS "b" is not host:port/);
    expect(problems).toMatch(/DATABASE_URL must be a postgres:\/\/ URL/);
    expect(problems).toMatch(/LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/);
    expect(problems).toMatch(/NACOS_AUTH_SECRET is required when NACOS_AUTH_ENABLED=true/);
    expect(problems).toMatch(/SYNC_DEBOUNCE_MS must be between 0 and 60000, got -1 \(Source changes/);
    expect((error as EnvError).problems).toHaveLength(7);
  });

  it('should reject a port above 65535 and a token too short to be a secret', () => {
    expect(() => AppConfig.fromEnv({ HTTP_PORT: '70000' })).toThrow(
      /HTTP_PORT must be a port number 0-65535, got 70000/,
    );
    expect(() => AppConfig.fromEnv({ ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN must be at least 16 characters/);
  });

  it('should refuse a token that is not printable without quoting it, and trim a trailing newline', () => {
    const pasted = 'Sekr3t-0123456789\u0001-marker';
    for (const name of ['ADMIN_TOKEN', 'DISTRO_TOKEN', 'REGISTRY_API_TOKEN']) {
      expect(() => AppConfig.fromEnv({ [name]: pasted })).toThrow(
        expect.objectContaining({
          message: expect.stringMatching(new RegExp(`${name} must not contain control characters`)),
        }),
      );
      expect(() => AppConfig.fromEnv({ [name]: pasted })).toThrow(
        expect.objectContaining({ message: expect.not.stringContaining('Sekr3t') }),
      );
    }
    expect(AppConfig.fromEnv({ DISTRO_TOKEN: 'Sekr3t-0123456789-marker\n' }).distro.token).toBe(
      'Sekr3t-0123456789-marker',
    );
  });

  it('should never put a secret value into an error message', () => {
    expect(() => AppConfig.fromEnv({ DATABASE_URL: 'notaurl-with-secret-hunter2' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
    expect(() => AppConfig.fromEnv({ NACOS_AUTH_USERS: 'hunter2-without-colon' })).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/NACOS_AUTH_USERS must be user:password pairs/) as string,
      }),
    );
    expect(() => AppConfig.fromEnv({ NACOS_AUTH_USERS: 'hunter2-without-colon' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });

  it('should parse a member list with spaces and an IPv6 literal', () => {
    expect(AppConfig.fromEnv({ DISTRO_MEMBERS: ' 10.0.0.1:9849, [::1]:9849 ,node-2.ds:9849' }).distro.members).toEqual([
      '10.0.0.1:9849',
      '[::1]:9849',
      'node-2.ds:9849',
    ]);
  });

  it('should treat a blank variable as unset', () => {
    expect(AppConfig.fromEnv({ HTTP_PORT: '  ', LOG_LEVEL: '' })).toMatchObject({
      http: { port: 8848 },
      log: { level: 'info' },
    });
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

  it('should take the first admin only as a valid username with a long enough password, never quoting it', () => {
    const password = 'first-admin-password';
    expect(AppConfig.fromEnv({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: password }).auth).toMatchObject({
      username: 'root',
      password,
    });
    expect(() => AppConfig.fromEnv({ ADMIN_USERNAME: 'root' })).toThrow(
      /ADMIN_USERNAME and ADMIN_PASSWORD go together/,
    );
    expect(() => AppConfig.fromEnv({ ADMIN_PASSWORD: password })).toThrow(
      /ADMIN_USERNAME and ADMIN_PASSWORD go together/,
    );
    expect(() => AppConfig.fromEnv({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'short-pw' })).toThrow(
      /ADMIN_PASSWORD must be at least 12 characters long \(/,
    );
    expect(() => AppConfig.fromEnv({ ADMIN_USERNAME: 'a b', ADMIN_PASSWORD: password })).toThrow(
      /ADMIN_USERNAME must be letters, digits/,
    );
  });

  it('should not warn of an open admin API when a first admin is configured', () => {
    expect(AppConfig.fromEnv({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'first-admin-password' }).warnings()).toEqual(
      [],
    );
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
    const config = AppConfig.fromEnv({
      ADMIN_TOKEN: 'admin-marker-0123456',
      DISTRO_TOKEN: 'distro-marker-012345',
      REGISTRY_API_TOKEN: 'registry-marker-0123',
      SECRET_KEY: 'sealer-marker-0123456789abcdefghijkl',
      NACOS_AUTH_SECRET: 'nacos-secret-marker-0123456789abcdef',
      NACOS_AUTH_USERS: 'nacos:user-pw-marker',
      DATABASE_URL: 'postgres://app:db%2Fpw-marker@db:5432/app',
      HOST: '127.0.0.1',
    });
    expect(sensitiveTexts(config)).toEqual(
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
    expect(sensitiveTexts(config)).not.toContain('127.0.0.1');
  });
});
