// Reference: the Fetch standard's HTTP-redirect fetch (a redirect to another origin drops Authorization) and the rule
// that a token belongs to the Hub it was given for. Two local servers record the headers they receive.
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, hubFetch } from './client.ts';
import { REAL_HUB, offlineHub, tokenFor, withToken } from './endpoint.ts';

const TOKEN = 'hf_secret_for_a';

/** A server that records each request's path and Authorization header, and redirects `/to?url=` there. */
async function recorder(): Promise<{ url: string; seen: { path: string; auth?: string }[]; server: Server }> {
  const seen: { path: string; auth?: string }[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', auth: req.headers.authorization });
    const target = new URL(req.url ?? '/', 'http://x').searchParams.get('url');
    if (req.url?.startsWith('/to') && target) res.writeHead(302, { Location: target }).end();
    else res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

describe('tokens bound to their Hub', () => {
  it('sends the token only to the Hub it was given for and its dataset viewer', () => {
    const real = withToken(REAL_HUB, TOKEN);
    expect(real.token).toEqual({ value: TOKEN, origin: 'https://huggingface.co' });
    expect(tokenFor(real, 'https://huggingface.co/api/models')).toBe(TOKEN);
    expect(tokenFor(real, 'https://datasets-server.huggingface.co/rows?dataset=x')).toBe(TOKEN);
    expect(authHeaders(real, 'https://cdn-lfs.huggingface.co/x')).toEqual({});
    // The same token under another Hub's address (a link switched the Hub, the token stayed): dropped.
    const swapped = { ...offlineHub('http://evil.example:8080'), token: real.token };
    expect(tokenFor(swapped, 'http://evil.example:8080/api/models')).toBeUndefined();
    expect(authHeaders(swapped, 'http://evil.example:8080/api/models')).toEqual({});
    expect(withToken(REAL_HUB, '')).toEqual(REAL_HUB);
  });

  describe('over HTTP, redirects included', () => {
    let a: Awaited<ReturnType<typeof recorder>>;
    let b: Awaited<ReturnType<typeof recorder>>;
    beforeAll(async () => {
      a = await recorder();
      b = await recorder();
    });
    afterAll(() => {
      a.server.close();
      b.server.close();
    });

    it('the Hub gets it; a redirect to another origin and a swapped endpoint do not', async () => {
      const ep = withToken(offlineHub(a.url), TOKEN);
      await hubFetch(ep, `${a.url}/to?url=${encodeURIComponent(`${b.url}/landed`)}`);
      await hubFetch(ep, `${a.url}/to?url=${encodeURIComponent(`${a.url}/same-origin`)}`);
      await hubFetch({ ...offlineHub(b.url), token: ep.token }, `${b.url}/api/models`);
      expect(a.seen).toEqual([
        { path: expect.stringMatching(/^\/to/), auth: `Bearer ${TOKEN}` },
        { path: expect.stringMatching(/^\/to/), auth: `Bearer ${TOKEN}` },
        { path: '/same-origin', auth: `Bearer ${TOKEN}` },
      ]);
      expect(b.seen).toEqual([{ path: '/landed', auth: undefined }, { path: '/api/models', auth: undefined }]);
    });
  });
});
