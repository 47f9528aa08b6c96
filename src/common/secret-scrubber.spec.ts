import { forgetSecretsForTest, registerSecret, scrubSecrets, scrubbedMessage } from './secret-scrubber';

describe('secret scrubber', () => {
  afterEach(() => forgetSecretsForTest());

  it('should mask a registered secret wherever it is quoted, with or without its surrounding blanks', () => {
    registerSecret('Sekr3t-Marker\n');
    expect(scrubSecrets('metadata rejected: "Bearer Sekr3t-Marker\n"')).not.toContain('Sekr3t-Marker');
    expect(scrubSecrets('value Sekr3t-Marker in a sentence')).toBe('value *** in a sentence');
  });

  it('should mask a registered secret in JSON text, where its control characters are escaped', () => {
    registerSecret('Sekr3t\u0001Marker\n');
    const line = JSON.stringify({ msg: 'rejected "Sekr3t\u0001Marker\n"' });
    expect(scrubSecrets(line)).not.toContain('Sekr3t');
  });

  it('should mask credential-shaped text even when the secret was never registered', () => {
    const text = scrubSecrets(
      'Authorization: Bearer abc.def password=hunter22 "accessToken":"tok123" url postgres://u:pw9@db:5432/x',
    );
    expect(text).not.toMatch(/abc\.def|hunter22|tok123|pw9/);
    expect(text).toContain('postgres://u:***@db:5432/x');
  });

  it('should leave ordinary text alone', () => {
    const text = 'connect ECONNREFUSED 127.0.0.1:8848 while listing order-service';
    expect(scrubSecrets(text)).toBe(text);
  });

  it('should ignore secrets too short to search for', () => {
    registerSecret('ab');
    expect(scrubSecrets('abc')).toBe('abc');
  });

  it('should scrub the message of any thrown value', () => {
    registerSecret('p4ssw0rd-marker');
    expect(scrubbedMessage(new Error('login failed for p4ssw0rd-marker'))).toBe('login failed for ***');
    expect(scrubbedMessage('plain p4ssw0rd-marker')).toBe('plain ***');
  });
});
