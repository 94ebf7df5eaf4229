import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/** Cross-origin isolation lets the wasm backend use threads (SharedArrayBuffer). */
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  // Relative asset URLs: dist/ works from any folder of any static host (GitHub Pages serves it under /<repo>/).
  base: './',
  plugins: [react()],
  // WGSL kernels are imported as text (`import src from '../../../shaders/x.wgsl?raw'`).
  assetsInclude: ['**/*.wgsl'],
  worker: {
    format: 'es',
    // No compress pass in the worker: tfjs-backend-wasm starts its pthreads from the *source text* of its Emscripten
    // factory, whose `typeof _scriptDir !== 'undefined'` guard the compressor rewrites to `e !== void 0`, which
    // throws ("e is not defined") in the pthread worker. Mangling alone keeps the guard.
    rolldownOptions: { output: { minify: { compress: false, mangle: true } } },
  },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 8000 },
});
