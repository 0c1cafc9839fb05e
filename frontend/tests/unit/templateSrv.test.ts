import { ScopedVars } from '@grafana/data';

import { formatVariableValue } from '../../src/query/sqlLiterals';
import { createFakeTemplateSrv } from '../../testing/fakeTemplateSrv';

const VARIABLES = { ip: '10.0.0.5', quote: "o'neil \"x\"", hosts: ['10.0.0.1', '10.0.0.2'], one: ['a.b'] };

describe('test template service (Grafana syntax and formats)', () => {
  const templateSrv = createFakeTemplateSrv(VARIABLES);

  it.each([
    ['$name', 'ip = "$ip"', 'ip = "10.0.0.5"'],
    ['${name}', 'ip = "${ip}"', 'ip = "10.0.0.5"'],
    ['[[name]]', 'ip = "[[ip]]"', 'ip = "10.0.0.5"'],
    ['[[name:format]]', 'ip = [[ip:sqlstring]]', "ip = '10.0.0.5'"],
    ['unknown names and backend macros left alone', '$nope ${nope:raw} [[nope]] $__timeFilter(t)', '$nope ${nope:raw} [[nope]] $__timeFilter(t)'],
    ['glob: single value', '${ip:glob}', '10.0.0.5'],
    ['glob: multi-value', '${hosts:glob}', '{10.0.0.1,10.0.0.2}'],
    ['glob is the default format', '$hosts', '{10.0.0.1,10.0.0.2}'],
    ['raw', '${hosts:raw}', '10.0.0.1,10.0.0.2'],
    ['csv', '${hosts:csv}', '10.0.0.1,10.0.0.2'],
    ['pipe', '${hosts:pipe}', '10.0.0.1|10.0.0.2'],
    ['json', '${hosts:json}', '["10.0.0.1","10.0.0.2"]'],
    ['text of a multi-value', '${hosts:text}', '10.0.0.1 + 10.0.0.2'],
    ['singlequote', '${quote:singlequote}', "'o\\'neil \"x\"'"],
    ['doublequote', '${quote:doublequote}', '"o\'neil \\"x\\""'],
    ['sqlstring', '${quote:sqlstring}', "'o''neil \"x\"'"],
    ['sqlstring: multi-value', '${hosts:sqlstring}', "'10.0.0.1','10.0.0.2'"],
    ['percentencode', "${quote:percentencode}", 'o%27neil%20%22x%22'],
    ['regex: single value', '${one:regex}', 'a\\.b'],
    ['regex: multi-value', '${hosts:regex}', '(10\\.0\\.0\\.1|10\\.0\\.0\\.2)'],
  ])('%s', (_name, target, expected) => {
    expect(templateSrv.replace(target)).toBe(expected);
  });

  it('passes the value to a format function, and a format in the expression wins over it', () => {
    expect(templateSrv.replace('IN (${hosts}) AND ip = "${ip}"', {}, formatVariableValue)).toBe(
      'IN (\'10.0.0.1\',\'10.0.0.2\') AND ip = "10.0.0.5"'
    );
    expect(templateSrv.replace('${hosts:pipe}', {}, formatVariableValue)).toBe('10.0.0.1|10.0.0.2');
  });

  it('prefers scoped variables, as for repeated panels and $__interval', () => {
    const scoped: ScopedVars = { ip: { text: 'x', value: '192.168.1.1' }, __interval: { text: '1m', value: '1m' } };
    expect(templateSrv.replace('"$ip" $__interval', scoped)).toBe('"192.168.1.1" 1m');
  });

  it.each([
    ['an unknown format', '${ip:lucene}', /format "lucene" is not supported/],
    ['a field path', '${ip.name}', /field paths are not supported/],
  ])('refuses %s rather than guessing', (_name, target, message) => {
    expect(() => templateSrv.replace(target)).toThrow(message);
  });

  it('tells whether a text holds a variable expression', () => {
    expect(templateSrv.containsTemplate('x = [[ip]]')).toBe(true);
    expect(templateSrv.containsTemplate('x = 1')).toBe(false);
  });
});
