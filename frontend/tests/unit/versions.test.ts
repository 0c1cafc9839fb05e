import React from 'react';
import { version as reactDomVersion } from 'react-dom';

/**
 * The React the tests render with: 18 for the main packages (Grafana 12.4) and Grafana 11.6, 19 for
 * Grafana 13.2 (vitest.compat.mts with GRAFANA_MAJOR=13), so a compat run cannot fall back silently.
 */
const EXPECTED_REACT: Record<string, string> = { '11': '18', '12': '18', '13': '19' };

it('renders with the React of the Grafana major under test', () => {
  const major = process.env.GRAFANA_MAJOR ?? '12';
  expect(React.version.split('.')[0]).toBe(EXPECTED_REACT[major]);
  expect(reactDomVersion).toBe(React.version);
});
