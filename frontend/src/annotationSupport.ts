import { AnnotationSupport } from '@grafana/data';
import { of } from 'rxjs';

import { framesToAnnotationEvents } from './query/annotationEvents';
import { migrateQuery } from './query/migrate';
import { CloudSqlQuery } from './types';

/**
 * Annotations use the normal query editor; the query must return one row per event (see
 * annotationEvents.ts for the column names), so it always runs in table format.
 */
export const annotationSupport: AnnotationSupport<CloudSqlQuery> = {
  prepareQuery(annotation) {
    const target = annotation.target ? migrateQuery(annotation.target) : undefined;
    if (!target?.rawSql?.trim()) {
      return undefined;
    }
    return { ...target, format: 'table', getResult: true };
  },
  processEvents(_annotation, frames) {
    return of(framesToAnnotationEvents(frames));
  },
};
