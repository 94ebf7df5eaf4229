/**
 * Cross-origin isolation, which the wasm backend needs for threads (SharedArrayBuffer). `npm start` and hosts that
 * can set headers send COOP/COEP themselves; on a static host that cannot (GitHub Pages, a CDN) the page registers
 * public/coi-serviceworker.js, which re-serves the studio's files with those headers, and reloads once under it.
 * Where neither works the studio runs wasm on one thread and says why (Notices).
 */

/** Whether the page is isolated, and if not, why (said in the single-thread notice). */
export type IsolationState = { isolated: true } | { isolated: false; reason: string };

/** The service worker's file, next to index.html (relative, so that a sub-path such as /adapter-studio/ works). */
export const ISOLATION_WORKER = 'coi-serviceworker.js';

/** Set in the tab while the page reloads to come under the service worker, so that a failed try does not loop. */
const TRIED_KEY = 'adapter-studio:coi-reload';

/** How long the page waits for the service worker before it starts without it. */
const READY_TIMEOUT_MS = 5000;

let state: IsolationState = { isolated: true };

/** The isolation state found at start-up. */
export const isolationState = (): IsolationState => state;

/**
 * Makes the page cross-origin isolated where it can: resolves 'reloading' when the page is about to reload under
 * the service worker (start nothing then), else the state to show.
 */
export async function ensureCrossOriginIsolation(): Promise<IsolationState | 'reloading'> {
  if (globalThis.crossOriginIsolated) {
    sessionStorage.removeItem(TRIED_KEY);
    return (state = { isolated: true });
  }
  const notIsolated = (reason: string) => (state = { isolated: false, reason });
  if (!window.isSecureContext) return notIsolated('the page is not served over HTTPS, where service workers run');
  if (!('serviceWorker' in navigator)) return notIsolated('this browser offers no service workers to add the headers');
  if (navigator.serviceWorker.controller) {
    return notIsolated('the service worker that adds the COOP/COEP headers is active, but the browser did not isolate the page');
  }
  if (sessionStorage.getItem(TRIED_KEY)) {
    sessionStorage.removeItem(TRIED_KEY);
    return notIsolated('the service worker that adds the COOP/COEP headers did not take control of the page (a hard reload bypasses it)');
  }
  try {
    await navigator.serviceWorker.register(ISOLATION_WORKER);
    await Promise.race([
      navigator.serviceWorker.ready,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`it was not active after ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS)),
    ]);
  } catch (err) {
    return notIsolated(`the service worker that adds the COOP/COEP headers could not be installed (${(err as Error).message})`);
  }
  sessionStorage.setItem(TRIED_KEY, '1');
  location.reload();
  return 'reloading';
}
