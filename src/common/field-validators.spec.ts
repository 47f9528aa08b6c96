import { IsString, Length, Matches, validateSync } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { IsOptionalNotNull, IsPrintable, field } from './field-validators';

class Sample {
  @IsOptionalNotNull()
  @IsString()
  @IsPrintable()
  token?: string;

  @IsOptionalNotNull()
  @IsPrintable({ each: true })
  tags: string[] = [];
}

const messages = (plain: object): string[] =>
  validateSync(plainToInstance(Sample, plain)).flatMap((e) => Object.values(e.constraints ?? {}));

describe('field validators', () => {
  it('should accept printable text and absent fields', () => {
    expect(messages({})).toEqual([]);
    expect(messages({ token: 'Ünïcode ok 🙂', tags: ['a', 'b c'] })).toEqual([]);
  });

  it('should refuse control characters naming the field and the reason, never quoting the value', () => {
    const refused = messages({ token: 'Marker-secret\n' });
    expect(refused).toEqual(['token must not contain control characters']);
    expect(messages({ token: 'a\ud800' })).toEqual(['token must be well-formed Unicode (no lone surrogates)']);
    expect(messages({ tags: ['fine', 'bad\u0000'] })).toEqual([
      'each value in tags must not contain control characters',
    ]);
  });

  it('should refuse null where @IsOptional would have let it through', () => {
    expect(messages({ token: null })).toContain('token must not be null (omit it instead)');
    expect(messages({ tags: null })).toContain('tags must not be null (omit it instead)');
  });

  it('should give a field() the messages, in their order, of the same decorators stacked', () => {
    class Stacked {
      @IsOptionalNotNull()
      @IsString()
      @Length(2, 4)
      @Matches(/^x+$/, { message: 'name must be x' })
      name?: unknown;
    }
    class Listed {
      @field(IsOptionalNotNull(), IsString(), Length(2, 4), Matches(/^x+$/, { message: 'name must be x' }))
      name?: unknown;
    }
    const of = (cls: new () => object, name: unknown): string[] =>
      validateSync(plainToInstance(cls, { name })).flatMap((e) => Object.values(e.constraints ?? {}));
    for (const name of [null, 5, 'y', 'yyyyy', 'xx']) expect(of(Listed, name)).toEqual(of(Stacked, name));
    expect(of(Listed, 5)).toEqual([
      'name must be x',
      'name must be longer than or equal to 2 and shorter than or equal to 4 characters',
      'name must be a string',
    ]);
  });
});
