/**
 * The library as its users run it: the bundle in dist/bundle/ that the package exports
 * (bench/run.ts builds it when missing or older than src/), typed as the sources it is
 * built from. Workers import
 * the library from here, so what they time is what ships, not the sources through tsx
 * (whose transpiled output adds a `__name` call to every named function).
 */
export const lib: typeof import('../src/index.ts') = await import(
  new URL('../dist/bundle/index.js', import.meta.url).href
);
export const transport: typeof import('../src/transport.ts') = await import(
  new URL('../dist/bundle/transport.js', import.meta.url).href
);
