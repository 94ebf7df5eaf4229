import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.tsx';
import { useStudio } from './app/store.ts';
import './app/styles.css';

// Start-up work (URL settings, Hub probe, compute worker) happens once, outside React's render cycle.
useStudio.getState().boot();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
