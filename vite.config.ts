import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/** Cross-origin isolation lets the wasm backend use threads (SharedArrayBuffer). */
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  // WGSL kernels are imported as text (`import src from '../../../shaders/x.wgsl?raw'`).
  assetsInclude: ['**/*.wgsl'],
  worker: { format: 'es' },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 8000 },
});
