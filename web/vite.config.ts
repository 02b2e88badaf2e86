import { defineConfig } from 'vite';

/**
 * The web application, built into web/dist and served by the medvault server at /. One bundle of
 * our own files: no CDN, no inline script or style (the server's Content-Security-Policy forbids them).
 */
export default defineConfig({
  root: 'web',
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, assetsInlineLimit: 0, sourcemap: false, target: 'es2022' },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
});
