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
  },
});
