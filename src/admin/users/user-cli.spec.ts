import { PassThrough } from 'node:stream';
import { parseUserArgs, passwordProblem, readPassword } from './user-cli';

describe('parseUserArgs', () => {
  it('should read add with a role, and password', () => {
    expect(parseUserArgs(['add', 'alice', '--role', 'operator'])).toEqual({
      command: 'add',
      username: 'alice',
      role: 'operator',
    });
    expect(parseUserArgs(['add', 'alice'])).toMatchObject({ role: 'admin' });
    expect(parseUserArgs(['password', 'alice'])).toMatchObject({ command: 'password', username: 'alice' });
  });

  it('should refuse a password on the command line, an unknown role and a bad name', () => {
    expect(() => parseUserArgs(['add', 'alice', '--password', 'secret'])).toThrow(/unexpected argument "--password"/);
    expect(() => parseUserArgs(['add', 'alice', '--role', 'boss'])).toThrow(
      /--role must be one of viewer, operator, admin/,
    );
    expect(() => parseUserArgs(['add', 'a b'])).toThrow(/username must be letters, digits/);
    expect(() => parseUserArgs(['remove', 'alice'])).toThrow(/usage: npm run user/);
    expect(() => parseUserArgs([])).toThrow(/usage: npm run user/);
  });
});

describe('passwordProblem', () => {
  it('should ask for 12 to 256 printable characters', () => {
    expect(passwordProblem('twelve-chars')).toBeUndefined();
    expect(passwordProblem('too-short')).toMatch(/12 to 256 characters/);
    expect(passwordProblem('x'.repeat(257))).toMatch(/12 to 256 characters/);
    expect(passwordProblem('twelve-chars\u0007')).toMatch(/printable/);
  });
});

describe('readPassword', () => {
  it('should read the first line of piped input and print nothing', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    input.end('piped-password-1\nignored\n');
    expect(await readPassword({ input, output })).toBe('piped-password-1');
    expect(output.read()).toBeNull();
  });
});
