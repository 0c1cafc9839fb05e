import { applyBuilder } from '../../src/builder/mode';
import { queryDisplayText } from '../../src/query/displayText';
import { CloudSqlQuery, LegacyQueryKeys } from '../../src/types';

const inbound = { measure: 'connections' as const, groupBy: ['target_ip' as const], filters: [{ column: 'direction' as const, operator: '=' as const, value: 'I' }] };

describe('queryDisplayText', () => {
  it.each<{ name: string; query: CloudSqlQuery & LegacyQueryKeys; text: string }>([
    {
      name: 'hand-written SQL on one line, comments out',
      query: { refId: 'A', rawSql: '-- per IP\nSELECT target_ip,\n  count(*)\nFROM FLOW_FLAT /* all */' },
      text: 'SELECT target_ip, count(*) FROM FLOW_FLAT',
    },
    {
      name: 'a time series says so',
      query: { refId: 'A', rawSql: 'SELECT 1', format: 'time_series' },
      text: 'SELECT 1 (time series)',
    },
    {
      name: 'logs say so',
      query: { refId: 'A', rawSql: 'SELECT * FROM FLOW_FLAT', format: 'logs' },
      text: 'SELECT * FROM FLOW_FLAT (logs)',
    },
    {
      name: 'builder logs in words: the filters and how many records',
      query: applyBuilder({ refId: 'A' }, { ...inbound, topN: 50 }, 'logs'),
      text: 'Flow records where Direction = I newest 50 as logs',
    },
    {
      name: 'builder logs without a limit: the default',
      query: applyBuilder({ refId: 'A' }, inbound, 'logs'),
      text: 'Flow records where Direction = I newest 1000 as logs',
    },
    { name: 'a legacy query', query: { refId: 'A', queryText: 'SELECT  2' }, text: 'SELECT 2' },
    { name: 'an empty query', query: { refId: 'A' }, text: '' },
    {
      name: 'a builder table query in words',
      query: applyBuilder({ refId: 'A' }, { ...inbound, topN: 10 }, 'table'),
      text: 'Connections by Target IP where Direction = I top 10',
    },
    {
      name: 'a builder time series in words',
      query: applyBuilder({ refId: 'A' }, { ...inbound, measure: 'bytes', interval: '5m' }, 'time_series'),
      text: 'Bytes by Target IP where Direction = I per 5m',
    },
    {
      name: 'a hand-edited builder query shows its SQL',
      query: { ...applyBuilder({ refId: 'A' }, inbound, 'table'), rawSql: 'SELECT 3' },
      text: 'SELECT 3',
    },
  ])('$name', ({ query, text }) => {
    expect(queryDisplayText(query)).toBe(text);
  });

  it('cuts long SQL', () => {
    const text = queryDisplayText({ refId: 'A', rawSql: `SELECT ${'x, '.repeat(200)}1` });
    expect(text).toHaveLength(300);
    expect(text.endsWith('…')).toBe(true);
  });
});
