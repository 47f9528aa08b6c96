import { TypedEmitter } from './events';

interface TestEvents {
  ping: number;
  pong: string;
}

describe(TypedEmitter.name, () => {
  let errors: Array<[unknown, keyof TestEvents]>;
  let sut: TypedEmitter<TestEvents>;

  beforeEach(() => {
    errors = [];
    sut = new TypedEmitter<TestEvents>((error, name) => errors.push([error, name]));
  });

  it('should deliver to listeners of that event only, in order', () => {
    const seen: string[] = [];
    sut.on('ping', (n) => seen.push(`a${n}`));
    sut.on('ping', (n) => seen.push(`b${n}`));
    sut.on('pong', (s) => seen.push(s));

    sut.emit('ping', 1);

    expect(seen).toEqual(['a1', 'b1']);
    expect(sut.has('ping')).toBe(true);
  });

  it('should isolate a throwing listener and report it', () => {
    const seen: number[] = [];
    const failure = new Error('boom');
    sut.on('ping', () => {
      throw failure;
    });
    sut.on('ping', (n) => seen.push(n));

    sut.emit('ping', 7);

    expect(seen).toEqual([7]);
    expect(errors).toEqual([[failure, 'ping']]);
  });

  it('should survive a failing error reporter', () => {
    const quiet = new TypedEmitter<TestEvents>(() => {
      throw new Error('reporter broke');
    });
    quiet.on('ping', () => {
      throw new Error('listener broke');
    });

    expect(() => quiet.emit('ping', 1)).not.toThrow();
  });

  it('should let a listener remove itself while an event is delivered', () => {
    const seen: string[] = [];
    const off = sut.on('ping', () => {
      seen.push('once');
      off();
    });
    sut.on('ping', () => seen.push('always'));

    sut.emit('ping', 1);
    sut.emit('ping', 2);

    expect(seen).toEqual(['once', 'always', 'always']);
  });
});
