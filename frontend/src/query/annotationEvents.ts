import { AnnotationEvent, DataFrame, Field, FieldType } from '@grafana/data';

const TIME_NAMES = ['time'];
const TIME_END_NAMES = ['timeend', 'time_end', 'endtime', 'end_time'];
const TEXT_NAMES = ['text'];
const TAGS_NAMES = ['tags'];
const TITLE_NAMES = ['title'];

function fieldNamed(frame: DataFrame, names: string[]): Field | undefined {
  return frame.fields.find((field) => names.includes(field.name.toLowerCase()));
}

function toEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : undefined;
  }
  if (value instanceof Date) {
    return value.getTime();
  }
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

/** Tags may come as a list column or as one comma-separated string. */
function toTags(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  return items.map((item) => String(item).trim()).filter((tag) => tag !== '');
}

/**
 * The columns the annotation query returns, by name (case-insensitive): `time` (else the first time
 * column), optional `timeEnd`, `text` (else the first string column), optional `tags` and `title`.
 */
function annotationColumns(frame: DataFrame) {
  const time = fieldNamed(frame, TIME_NAMES) ?? frame.fields.find((field) => field.type === FieldType.time);
  const timeEnd = fieldNamed(frame, TIME_END_NAMES);
  const tags = fieldNamed(frame, TAGS_NAMES);
  const title = fieldNamed(frame, TITLE_NAMES);
  const text =
    fieldNamed(frame, TEXT_NAMES) ??
    frame.fields.find((field) => field.type === FieldType.string && field !== tags && field !== title);
  return { time, timeEnd, text, tags, title };
}

export function frameToAnnotationEvents(frame: DataFrame): AnnotationEvent[] {
  const columns = annotationColumns(frame);
  if (!columns.time) {
    return [];
  }
  const events: AnnotationEvent[] = [];
  for (let row = 0; row < columns.time.values.length; row++) {
    const time = toEpochMs(columns.time.values[row]);
    if (time === undefined) {
      continue;
    }
    const timeEnd = columns.timeEnd ? toEpochMs(columns.timeEnd.values[row]) : undefined;
    const event: AnnotationEvent = {
      time,
      text: columns.text ? String(columns.text.values[row] ?? '') : '',
      tags: columns.tags ? toTags(columns.tags.values[row]) : [],
    };
    if (columns.title) {
      event.title = String(columns.title.values[row] ?? '');
    }
    if (timeEnd !== undefined && timeEnd > time) {
      event.timeEnd = timeEnd;
      event.isRegion = true;
    }
    events.push(event);
  }
  return events;
}

export function framesToAnnotationEvents(frames: DataFrame[]): AnnotationEvent[] {
  return frames.flatMap(frameToAnnotationEvents);
}
