import { DataFrame, MetricFindValue } from '@grafana/data';

function cellText(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

/**
 * The original plugin's rule: one column gives text = value; with two or more columns the first
 * is the text shown in the picker and the second the value put into the query.
 */
export function frameToMetricFindValues(frame: DataFrame): MetricFindValue[] {
  const [textField, valueField] = frame.fields;
  if (!textField) {
    return [];
  }
  const rows = textField.values.length;
  const values: MetricFindValue[] = [];
  for (let row = 0; row < rows; row++) {
    const text = cellText(textField.values[row]);
    values.push({ text, value: valueField ? cellText(valueField.values[row]) : text });
  }
  return values;
}

export function framesToMetricFindValues(frames: DataFrame[]): MetricFindValue[] {
  return frames.flatMap(frameToMetricFindValues);
}
