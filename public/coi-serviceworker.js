// Cross-origin isolation for static hosts that cannot send headers (GitHub Pages, most CDNs). The wasm backend needs
// SharedArrayBuffer for its threads, which browsers give only to pages served with COOP + COEP. This worker re-serves
// the studio's own files with those headers (the coi-serviceworker pattern); requests to other origins (the Hub, its
// CDNs) are not touched, so their CORS answers, redirects and tokens stay the browser's business. Registered by
// src/app/cross-origin-isolation.ts only when the page is not isolated already. It keeps no cache.
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (new URL(request.url).origin !== self.location.origin) return;
  // Chrome's devtools may ask for cached-only answers in a mode fetch() refuses.
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(fetch(request).then((response) => {
    // Opaque answers (a navigation's redirect) have no headers to add.
    if (response.type === 'opaque' || response.type === 'opaqueredirect') return response;
    const headers = new Headers(response.headers);
    for (const [name, value] of Object.entries(ISOLATION_HEADERS)) headers.set(name, value);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }));
});
