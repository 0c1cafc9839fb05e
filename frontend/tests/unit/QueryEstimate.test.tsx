import { render, screen } from '@testing-library/react';
import React from 'react';

import { QueryEstimate } from '../../src/components/QueryEstimate';
import { EstimateState } from '../../src/editor/useQueryEstimate';
import { ESTIMATE } from '../../testing/fixtures';

const OVER: EstimateState = {
  status: 'done',
  result: {
    ...ESTIMATE,
    budget: { kind: 'query', maxObjects: 10, maxBytes: null, exceeded: true },
    notes: ['the query would read 12 flow-log objects, more than 10 (setting queryBudgetObjects): narrow it'],
  },
};

describe('QueryEstimate', () => {
  it.each<[string, EstimateState, string | null, string]>([
    ['nothing asked yet', { status: 'idle' }, null, ''],
    ['the first estimate on its way', { status: 'loading' }, 'loading', 'Estimating what this query reads…'],
    ['the last estimate while the next loads', { status: 'loading', previous: ESTIMATE }, 'loading', 'This query will read 12 objects (3.4 MB)'],
    ['an estimate', { status: 'done', result: ESTIMATE }, 'done', 'This query will read 12 objects (3.4 MB) · 5 already cached'],
    ['a failure', { status: 'failed', message: 'unknown macro $__x' }, 'failed', 'No estimate: unknown macro $__x'],
    ['over the budget', OVER, 'over-budget', 'Over the query budget of 10 objects: the query will be refused.'],
  ])('%s', (_name, state, status, text) => {
    render(<QueryEstimate state={state} />);
    const line = screen.queryByTestId('query-estimate');
    if (status === null) {
      expect(line).not.toBeInTheDocument();
      return;
    }
    expect(line).toHaveAttribute('data-status', status);
    expect(line).toHaveTextContent(text);
  });

  it("shows the budget apart, then the backend's notes", () => {
    render(<QueryEstimate state={OVER} />);
    expect(screen.getByTestId('query-estimate-budget')).toHaveTextContent('Over the query budget of 10 objects');
    expect(screen.getByText(/setting queryBudgetObjects/)).toBeInTheDocument();
  });
});
