import { DistroMapper, distroIndex, ipPortTagOf, javaStringHash } from './distro-mapper';

describe('javaStringHash', () => {
  it('should equal Java String.hashCode for known values', () => {
    expect(javaStringHash('hello')).toBe(99162322);
    expect(javaStringHash('Aa')).toBe(2112);
    expect(javaStringHash('BB')).toBe(2112);
    expect(javaStringHash('')).toBe(0);
    // The famous string whose hashCode is Integer.MIN_VALUE.
    expect(javaStringHash('polygenelubricants')).toBe(-2147483648);
    expect(javaStringHash('192.168.1.1:8080')).toBe(-677449931);
  });
});

describe('distroIndex', () => {
  it('should never be negative, even for Integer.MIN_VALUE', () => {
    expect(distroIndex('polygenelubricants', 3)).toBe(1);
    // Both checked against Java 17: Math.abs(s.hashCode() % Integer.MAX_VALUE) % 3.
    expect(distroIndex('192.168.1.1:8080', 3)).toBe(2);
  });
});

describe('ipPortTagOf', () => {
  it('should take ip:port of an ip-port client id and nothing else', () => {
    expect(ipPortTagOf('10.0.0.1:8080#true')).toBe('10.0.0.1:8080');
    expect(ipPortTagOf('10.0.0.1:8080#false')).toBe('10.0.0.1:8080');
    expect(ipPortTagOf('1700000000000_127.0.0.1_5000')).toBeUndefined();
    expect(ipPortTagOf('sync:task-1')).toBeUndefined();
  });
});

describe(DistroMapper.name, () => {
  it('should pick the member at the hashed index of the sorted healthy list', () => {
    const sut = new DistroMapper('10.0.0.2:9849');
    sut.update(['10.0.0.3:9849', '10.0.0.1:9849']);

    expect(sut.members()).toEqual(['10.0.0.1:9849', '10.0.0.2:9849', '10.0.0.3:9849']);
    expect(sut.responsible('192.168.1.1:8080')).toBe(sut.members()[distroIndex('192.168.1.1:8080', 3)]);
  });

  it('should make self responsible for everything when alone', () => {
    const sut = new DistroMapper('a:1');

    expect(sut.isSelfResponsible('192.168.1.1:8080')).toBe(true);
  });
});
