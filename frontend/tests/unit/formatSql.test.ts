import { formatSql } from '../../src/query/formatSql';

describe('formatSql', () => {
  it.each([
    {
      name: 'clauses on their own lines, keywords upper case',
      input: 'select target_ip, count(*) as flows from FLOW_FLAT where direction = "I" group by target_ip',
      output: 'SELECT\n  target_ip,\n  count(*) AS flows\nFROM\n  FLOW_FLAT\nWHERE\n  direction = "I"\nGROUP BY\n  target_ip',
    },
    {
      name: 'macros and their arguments are kept',
      input: 'select $__timeGroupAlias(start_time, $__interval, 0), count(*) from FLOW_FLAT where $__timeFilterColumn(start_time, string) group by 1',
      output:
        'SELECT\n  $__timeGroupAlias(start_time, $__interval, 0),\n  count(*)\nFROM\n  FLOW_FLAT\nWHERE\n  $__timeFilterColumn(start_time, string)\nGROUP BY\n  1',
    },
    {
      name: 'a macro with a nested call and a source macro',
      input: 'select $__timeGroup(to_timestamp(start_time), 5m) as t from $__source_prev(A)',
      output: 'SELECT\n  $__timeGroup(to_timestamp(start_time), 5m) AS t\nFROM\n  $__source_prev(A)',
    },
    {
      name: 'comments are kept',
      input: '-- flows per IP\nselect target_ip /* the receiver */ from FLOW_FLAT',
      output: '-- flows per IP\nSELECT\n  target_ip /* the receiver */\nFROM\n  FLOW_FLAT',
    },
    {
      name: 'strings and variables are kept, keywords inside them too',
      input: "select 'select  from -- x' as s, \"where  $__no\" as t from FLOW_FLAT where target_ip = \"${target_ip}\" and a in (${hosts})",
      output:
        "SELECT\n  'select  from -- x' AS s,\n  \"where  $__no\" AS t\nFROM\n  FLOW_FLAT\nWHERE\n  target_ip = \"${target_ip}\"\n  AND a IN (${hosts})",
    },
  ])('$name', ({ input, output }) => {
    expect(formatSql(input)).toBe(output);
    expect(formatSql(output)).toBe(output);
  });

  it.each([
    { name: 'empty text', input: '' },
    { name: 'blank text', input: '  \n ' },
    { name: 'text the formatter cannot parse', input: "select 'unterminated" },
  ])('returns $name unchanged', ({ input }) => {
    expect(formatSql(input)).toBe(input);
  });
});
