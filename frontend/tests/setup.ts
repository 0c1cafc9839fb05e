import '@testing-library/jest-dom/vitest';

// jsdom lacks these browser APIs; @grafana/ui components call them while rendering.
Object.defineProperty(window, 'matchMedia', {
  writable: true,
  value: (query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener: () => {},
    removeListener: () => {},
    addEventListener: () => {},
    removeEventListener: () => {},
    dispatchEvent: () => false,
  }),
});

class NoopObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
Object.assign(globalThis, { IntersectionObserver: NoopObserver, ResizeObserver: NoopObserver });

// Text measuring (Combobox, auto-sized inputs) needs a context whose measureText answers.
HTMLCanvasElement.prototype.getContext = (() => ({
  measureText: (text: string) => ({ width: text.length * 7 }),
})) as unknown as typeof HTMLCanvasElement.prototype.getContext;

// Icons load their SVG asynchronously, which only produces act() warnings in tests: render a stub.
vi.mock('react-inlinesvg', async () => {
  const React = await import('react');
  return {
    default: ({ title }: { title?: string }) => React.createElement('svg', { 'data-testid': 'icon' }, title),
  };
});
