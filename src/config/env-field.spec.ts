import { Env, EnvBool, EnvCheck, EnvHostPort, EnvInt, EnvPort } from './env-field';
import { deriveDefaults, readSection } from './read-env';

class Sample {
  @Env('SAMPLE_PORT', 'a port')
  @EnvPort()
  readonly port: number = 8000;

  @Env('SAMPLE_COUNT', 'a count', { sensitive: true })
  @EnvInt(1, 10)
  readonly count: number = 5;

  @Env('SAMPLE_FLAG', 'a flag')
  @EnvBool()
  readonly flag: boolean = false;

  @Env('SAMPLE_PEER', 'a peer')
  @EnvHostPort()
  @EnvCheck((s: Sample) => s.peer === undefined || s.flag !== false, 'needs SAMPLE_FLAG=true')
  readonly peer?: string;

  @Env('SAMPLE_DERIVED', 'derived', { derive: (env) => (env.SAMPLE_PORT as number) + 1 })
  @EnvPort()
  readonly derived!: number;
}

describe(readSection.name, () => {
  it('should keep the initializers for unset and blank variables and convert set ones', () => {
    expect(readSection(Sample, { SAMPLE_PORT: ' 9000 ', SAMPLE_FLAG: 'YES', SAMPLE_COUNT: '\t' })).toEqual({
      section: expect.objectContaining({ port: 9000, count: 5, flag: true }),
      problems: [],
    });
  });

  it('should name the variable, the reason and the description of each bad one', () => {
    expect(readSection(Sample, { SAMPLE_PORT: '8o', SAMPLE_FLAG: 'maybe', SAMPLE_PEER: 'nope' }).problems).toEqual([
      'SAMPLE_PORT must be a port number 0-65535, got "8o" (a port)',
      'SAMPLE_FLAG must be true or false, got "maybe" (a flag)',
      'SAMPLE_PEER "nope" is not host:port (a peer)',
    ]);
  });

  it('should never quote the value of a sensitive variable, whatever its rule', () => {
    expect(readSection(Sample, { SAMPLE_COUNT: '4711' }).problems).toEqual([
      'SAMPLE_COUNT must be between 1 and 10 (a count)',
    ]);
    expect(readSection(Sample, { SAMPLE_COUNT: 'x4711' }).problems).toEqual([
      'SAMPLE_COUNT must be an integer (a count)',
    ]);
  });

  it('should check a rule across fields only when the fields it reads are well formed', () => {
    expect(readSection(Sample, { SAMPLE_PEER: 'a:1' }).problems).toEqual([
      'SAMPLE_PEER needs SAMPLE_FLAG=true (a peer)',
    ]);
    expect(readSection(Sample, { SAMPLE_PEER: 'a' }).problems).toEqual(['SAMPLE_PEER "a" is not host:port (a peer)']);
    expect(readSection(Sample, { SAMPLE_PEER: 'a:1', SAMPLE_FLAG: 'on' }).problems).toEqual([]);
  });
});

describe(deriveDefaults.name, () => {
  it('should fill an unset derived field from the other variables and keep a set one', () => {
    const unset = readSection(Sample, { SAMPLE_PORT: '7000' }).section;
    deriveDefaults([unset]);
    expect(unset.derived).toBe(7001);
    const set = readSection(Sample, { SAMPLE_DERIVED: '42' }).section;
    deriveDefaults([set]);
    expect(set.derived).toBe(42);
  });
});
