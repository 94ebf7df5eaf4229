import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inject } from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createHubHandler } from '../src/hub-server/index.ts';
import { defaultFixturesDir } from '../src/fixtures/index.ts';
import { type StudioBrowser, launchChromium } from './browser.ts';
import { steps, studioUrl } from './studio-page.ts';

// What a link can and cannot make the studio do with the user's access token and machine choice. A second local
// server, a Hub-compatible one over the demo repos, stands for "a server a link names" and records every request.

/** One request the second server received. */
interface Seen {
  method: string;
  path: string;
  authorization?: string;
  /** A CORS preflight's Access-Control-Request-Headers: the page asking to send Authorization would show here. */
  requestHeaders?: string;
}

let chrome: StudioBrowser;
let page: Page;
let other: { url: string; seen: Seen[]; server: Server };

/** The second Hub: the offline Hub's handler over the demo repos, plus `/to?url=` that redirects there. */
async function startRecordingHub(): Promise<typeof other> {
  const seen: Seen[] = [];
  const handler = createHubHandler({ root: defaultFixturesDir() });
  const server = createServer((req, res) => {
    seen.push({
      method: req.method ?? 'GET', path: req.url ?? '/', authorization: req.headers.authorization,
      requestHeaders: req.headers['access-control-request-headers'],
    });
    const target = new URL(req.url ?? '/', 'http://x').searchParams.get('url');
    if (req.method === 'GET' && req.url?.startsWith('/to?') && target) {
      res.writeHead(302, { Location: target, 'Access-Control-Allow-Origin': '*' }).end();
      return;
    }
    void handler(req, res, req.url ?? '/');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

beforeAll(async () => {
  other = await startRecordingHub();
  chrome = await launchChromium({ webgpu: false });
  page = chrome.page;
});

afterAll(async () => {
  await chrome?.close();
  other?.server.close();
});

async function openSettings(): Promise<void> {
  const settings = page.getByRole('button', { name: 'Settings' });
  if (await settings.getAttribute('aria-expanded') !== 'true') await settings.click();
}

async function giveToken(token: string, remember: boolean): Promise<void> {
  await openSettings();
  await page.getByLabel('Access token').fill(token);
  const box = page.getByRole('checkbox', { name: /Remember for this tab/ });
  if (remember) await box.check();
  await page.getByRole('button', { name: 'Use token' }).click();
}

/** Requests that carried a token, or asked (in a preflight) to send one. */
const withToken = () => other.seen.filter((r) => r.authorization !== undefined || /authorization/i.test(r.requestHeaders ?? ''));

describe('a link that names another Hub', () => {
  it('sends it no token, switches nothing until the user confirms, and then sends only a token given for it', async () => {
    await page.goto(studioUrl());
    await giveToken('hf_remembered_for_huggingface', true);
    expect(await page.evaluate(() => sessionStorage.getItem('adapter-studio:tokens'))).toContain('https://huggingface.co');

    const host = new URL(other.url).host;
    await page.goto(studioUrl(`hub=${encodeURIComponent(other.url)}&model=adapter-studio/tiny-bert&dataset=adapter-studio/tiny-sentiment`));
    const banner = page.getByRole('alertdialog', { name: /another Hub/ });
    await banner.waitFor();
    expect(await banner.textContent()).toContain(other.url);
    // Let the page start up (compute, the Hub probe, searches) before looking at what reached the other server.
    await page.locator('.backend-badge[data-status="ready"]').waitFor({ timeout: 60_000 });
    await page.waitForTimeout(1500);
    expect(other.seen).toEqual([]);
    await openSettings();
    expect(await page.getByRole('radio', { name: /Hugging Face Hub/ }).isChecked()).toBe(true);
    expect(new URL(page.url()).searchParams.get('hub')).toBe(other.url);

    await banner.getByRole('button', { name: `Use ${host}` }).click();
    await banner.waitFor({ state: 'detached' });
    // Now the studio reads from that Hub: the linked dataset is inspected there.
    await steps.data(page).locator('table.split-table').waitFor({ timeout: 60_000 });
    expect(other.seen.length).toBeGreaterThan(0);
    expect(withToken()).toEqual([]);
    expect(await page.getByLabel('Access token').inputValue()).toBe('');
    expect(await page.locator('label[for="hub-token"]').textContent()).toContain(host);

    // A token given while on that Hub is its own, and the only one it ever sees.
    const before = other.seen.length;
    await giveToken('hf_given_for_the_other_hub', false);
    await expect.poll(() => other.seen.slice(before).some((r) => r.authorization), { timeout: 30_000 }).toBe(true);
    expect(new Set(other.seen.map((r) => r.authorization).filter(Boolean))).toEqual(new Set(['Bearer hf_given_for_the_other_hub']));
    expect(JSON.stringify(other.seen)).not.toContain('hf_remembered_for_huggingface');
    expect(page.url()).not.toContain('hf_');
  });

  it('the offline demo Hub gets no token given for huggingface.co', async () => {
    await page.goto(studioUrl());
    await giveToken('hf_remembered_for_huggingface', true);
    await page.goto(studioUrl('hub=offline'));
    await openSettings();
    expect(await page.getByLabel('Access token').inputValue()).toBe('');
    const model = steps.model(page);
    await model.getByLabel('Or paste a model id').fill('adapter-studio/tiny-bert-gated');
    await model.getByRole('button', { name: 'Use this model' }).click();
    await model.getByRole('alert').filter({ hasText: 'needs an access token' }).waitFor();
  });

  it('Chromium drops Authorization when a redirect leaves the origin (the studio relies on it)', async () => {
    const before = other.seen.length;
    const elsewhere = `${other.url.replace('127.0.0.1', 'localhost')}/api/whoami-v2`;
    await page.evaluate(async (url) => {
      await fetch(url, { headers: { Authorization: 'Bearer hf_redirect_probe' } });
    }, `${other.url}/to?url=${encodeURIComponent(elsewhere)}`);
    const seen = other.seen.slice(before).filter((r) => r.method !== 'OPTIONS');
    expect(seen.map((r) => [r.path.split('?')[0], r.authorization])).toEqual([['/to', 'Bearer hf_redirect_probe'], ['/api/whoami-v2', undefined]]);
  });
});

describe('Copy link', () => {
  it('copies the experiment (Hub, model, method, knobs) without the backend, the debug switch or a token', async () => {
    await chrome.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: inject('studioUrl') });
    await page.goto(studioUrl('hub=offline&backend=cpu&debug=1&model=adapter-studio/tiny-bert&method=lora&r=4&lr=0.001'));
    await page.locator('.backend-badge[data-status="ready"]').waitFor({ timeout: 60_000 });
    // The backend asked for by the address applies here, and leaves the address bar.
    expect(await page.locator('.backend-badge').textContent()).toMatch(/cpu/i);
    await expect.poll(() => new URL(page.url()).searchParams.has('backend')).toBe(false);

    await page.getByRole('button', { name: 'Copy link' }).click();
    await page.getByRole('status').filter({ hasText: 'Link copied' }).waitFor();
    const link = new URL(await page.evaluate(() => navigator.clipboard.readText()));
    expect(link.origin).toBe(inject('studioUrl'));
    expect(Object.fromEntries(link.searchParams)).toEqual({ hub: 'offline', model: 'adapter-studio/tiny-bert', method: 'lora', r: '4', lr: '0.001' });

    // A reload in this tab keeps the backend it was opened with.
    await page.reload();
    await page.locator('.backend-badge[data-status="ready"]').waitFor({ timeout: 60_000 });
    expect(await page.locator('.backend-badge').textContent()).toMatch(/cpu/i);
  });
});
