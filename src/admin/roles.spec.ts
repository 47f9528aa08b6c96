import { requiredRole, roleAllows } from './roles';

describe('requiredRole', () => {
  it('should ask a viewer for a read and an admin for any change', () => {
    expect(['GET', 'HEAD', 'get'].map((m) => requiredRole(m, undefined))).toEqual(['viewer', 'viewer', 'viewer']);
    expect(['POST', 'PATCH', 'PUT', 'DELETE'].map((m) => requiredRole(m, undefined))).toEqual([
      'admin',
      'admin',
      'admin',
      'admin',
    ]);
  });

  it("should take the route's mark over the method's default", () => {
    expect(requiredRole('POST', 'operator')).toBe('operator');
    expect(requiredRole('GET', 'admin')).toBe('admin');
  });
});

describe('roleAllows', () => {
  it('should order viewer < operator < admin', () => {
    const table = (['viewer', 'operator', 'admin'] as const).map((have) =>
      (['viewer', 'operator', 'admin'] as const).map((need) => roleAllows(have, need)),
    );
    expect(table).toEqual([
      [true, false, false],
      [true, true, false],
      [true, true, true],
    ]);
  });
});
