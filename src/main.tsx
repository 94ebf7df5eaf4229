import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.tsx';
import { ensureCrossOriginIsolation } from './app/cross-origin-isolation.ts';
import { useStudio } from './app/store.ts';
import './app/styles.css';

// On a static host the page may first reload under the service worker that makes it cross-origin isolated.
if (await ensureCrossOriginIsolation() !== 'reloading') {
  // Start-up work (URL settings, Hub probe, compute worker) happens once, outside React's render cycle.
  useStudio.getState().boot();

  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
