import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['tests/setup.ts'],
    include: ['tests/unit/**/*.test.{ts,tsx}'],
    // @grafana/ui imports CSS files from its dependencies; inlined, Vite handles them instead of Node.
    server: { deps: { inline: [/@grafana\//] } },
    testTimeout: 20000,
    // i18next (inside @grafana/ui) prints an advertisement on start-up; keep test output readable.
    onConsoleLog: (log) => !log.includes('i18next is made possible by'),
  },
});
