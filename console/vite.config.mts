import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The console is served by every node at /console/ (src/console-static.ts) from dist/console:
// one hashed script and one stylesheet, no CDN and no web font at run time.
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [preact({ devtoolsInProd: false, prefreshEnabled: false })],
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    reportCompressedSize: true,
    modulePreload: { polyfill: false },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8848' } },
});
