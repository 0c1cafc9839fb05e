import { formatVariableValue, quoteSqlString } from '../../src/query/sqlLiterals';

describe('quoteSqlString', () => {
  it.each([
    ['plain', "'plain'"],
    ['', "''"],
    ["it's", "'it\\'s'"],
    ['back\\slash', "'back\\\\slash'"],
    ["end\\'", "'end\\\\\\''"],
    ['say "hi"', `'say "hi"'`],
  ])('%j becomes %s', (value, expected) => {
    expect(quoteSqlString(value)).toBe(expected);
  });
});

describe('formatVariableValue', () => {
  it.each<[string, unknown, string]>([
    ['a single string as it is', '10.0.0.1', '10.0.0.1'],
    ['a single string with quotes as it is', `x"y'z`, `x"y'z`],
    ['a number as text', 42, '42'],
    ['undefined as empty', undefined, ''],
    ['a list as quoted literals', ['10.0.0.1', '10.0.0.2'], "'10.0.0.1','10.0.0.2'"],
    ['a one-item list quoted', ['only'], "'only'"],
    ['list items with quotes escaped', ["o'neil", 'a\\b'], "'o\\'neil','a\\\\b'"],
    ['list numbers quoted as strings', [1, 2], "'1','2'"],
    ['an empty list as nothing', [], ''],
  ])('formats %s', (_name, value, expected) => {
    expect(formatVariableValue(value)).toBe(expected);
  });
});
