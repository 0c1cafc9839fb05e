import { AnnotationQuery, FieldType, toDataFrame } from '@grafana/data';
import { firstValueFrom } from 'rxjs';

import { annotationSupport } from '../../src/annotationSupport';
import { frameToAnnotationEvents } from '../../src/query/annotationEvents';
import { CloudSqlQuery } from '../../src/types';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('frameToAnnotationEvents', () => {
  it('maps time, timeEnd, text and comma-separated tags', () => {
    const frame = toDataFrame({
      fields: [
        { name: 'time', type: FieldType.time, values: [T0, T0 + 1000] },
        { name: 'timeEnd', type: FieldType.time, values: [T0 + 60000, null] },
        { name: 'text', type: FieldType.string, values: ['rejected burst', 'scan'] },
        { name: 'tags', type: FieldType.string, values: ['security, vpc', ''] },
      ],
    });
    expect(frameToAnnotationEvents(frame)).toEqual([
      { time: T0, timeEnd: T0 + 60000, isRegion: true, text: 'rejected burst', tags: ['security', 'vpc'] },
      { time: T0 + 1000, text: 'scan', tags: [] },
    ]);
  });

  it('finds columns case-insensitively, accepts time_end, list tags and a title', () => {
    const frame = toDataFrame({
      fields: [
        { name: 'TIME', type: FieldType.number, values: [T0] },
        { name: 'time_end', type: FieldType.number, values: [T0 + 5] },
        { name: 'Title', type: FieldType.string, values: ['Deploy'] },
        { name: 'Text', type: FieldType.string, values: ['v2 rolled out'] },
        { name: 'TAGS', type: FieldType.other, values: [['deploy', ' prod ']] },
      ],
    });
    expect(frameToAnnotationEvents(frame)).toEqual([
      { time: T0, timeEnd: T0 + 5, isRegion: true, title: 'Deploy', text: 'v2 rolled out', tags: ['deploy', 'prod'] },
    ]);
  });

  it('falls back to the first time column and the first string column', () => {
    const frame = toDataFrame({
      fields: [
        { name: 'start_time', type: FieldType.time, values: [T0] },
        { name: 'message', type: FieldType.string, values: ['first string wins'] },
        { name: 'other', type: FieldType.string, values: ['ignored'] },
      ],
    });
    expect(frameToAnnotationEvents(frame)).toEqual([{ time: T0, text: 'first string wins', tags: [] }]);
  });

  it('parses ISO and epoch-text times; skips rows without a usable time', () => {
    const frame = toDataFrame({
      fields: [
        { name: 'time', type: FieldType.string, values: ['2026-01-01T12:00:00Z', String(T0), 'not a time', null] },
        { name: 'text', type: FieldType.string, values: ['iso', 'epoch', 'bad', 'null'] },
      ],
    });
    expect(frameToAnnotationEvents(frame).map((event) => [event.time, event.text])).toEqual([
      [T0, 'iso'],
      [T0, 'epoch'],
    ]);
  });

  it('ignores an end before the start (no region)', () => {
    const frame = toDataFrame({
      fields: [
        { name: 'time', type: FieldType.time, values: [T0] },
        { name: 'timeEnd', type: FieldType.time, values: [T0 - 1] },
        { name: 'text', type: FieldType.string, values: ['point'] },
      ],
    });
    expect(frameToAnnotationEvents(frame)).toEqual([{ time: T0, text: 'point', tags: [] }]);
  });

  it('gives nothing for a frame without a time column', () => {
    expect(frameToAnnotationEvents(toDataFrame({ fields: [{ name: 'text', values: ['x'] }] }))).toEqual([]);
  });
});

describe('annotationSupport', () => {
  const annotation = (target?: Record<string, unknown>) =>
    ({ name: 'a', enable: true, iconColor: 'red', target }) as unknown as AnnotationQuery<CloudSqlQuery>;

  it('runs the target as a table query, migrating legacy keys', () => {
    expect(annotationSupport.prepareQuery!(annotation({ refId: 'Anno', queryText: 'SELECT 1', format: 'time_series' }))).toEqual({
      refId: 'Anno',
      rawSql: 'SELECT 1',
      format: 'table',
      getResult: true,
    });
  });

  it('skips an annotation without SQL', () => {
    expect(annotationSupport.prepareQuery!(annotation({ refId: 'Anno', rawSql: ' ' }))).toBeUndefined();
    expect(annotationSupport.prepareQuery!(annotation())).toBeUndefined();
  });

  it('turns returned frames into events', async () => {
    const frame = toDataFrame({
      fields: [
        { name: 'time', type: FieldType.time, values: [T0] },
        { name: 'text', type: FieldType.string, values: ['x'] },
      ],
    });
    const events = await firstValueFrom(annotationSupport.processEvents!(annotation(), [frame]));
    expect(events).toEqual([{ time: T0, text: 'x', tags: [] }]);
  });
});
