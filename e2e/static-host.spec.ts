import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFixturesDir } from '../src/fixtures/index.ts';
import { type RunningHubServer, startHubServer } from '../src/hub-server/index.ts';
import { distDir } from '../src/server/app-build.ts';
import { type StudioBrowser, launchChromium } from './browser.ts';
import { dataInspected, loadSelectedModel, runReaches, steps, waitForBackendBadge } from './studio-page.ts';

// "No install" means a page on the web: the built dist/ served by a plain static file server that is no project
// code (Python's http.server, which sends no COOP/COEP headers, like GitHub Pages) under a sub-path, talking to a
// Hub on another origin (the offline Hub on its own port, standing in for huggingface.co, chosen with ?hub=).
// The service worker must make the page cross-origin isolated (wasm threads); without it the page says so.
const SUB_PATH = '/adapter-studio/';
const MODEL = 'adapter-studio/tiny-bert';
const DATASET = 'adapter-studio/tiny-sentiment';

let site: string;
let staticServer: ChildProcess;
/** What Python's http.server logged: one line per request, e.g. `"GET /adapter-studio/ HTTP/1.1" 200 -`. */
const staticLog: string[] = [];
let siteUrl: string;
let hub: RunningHubServer;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'adapter-studio-static-'));
  site = join(dir, 'site');
  await mkdir(site);
  await symlink(distDir(), join(site, SUB_PATH.replaceAll('/', '')));
  staticServer = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', site], { stdio: ['ignore', 'pipe', 'pipe'] });
  staticServer.stderr!.on('data', (chunk: Buffer) => staticLog.push(...chunk.toString().split('\n').filter(Boolean)));
  const port = await new Promise<number>((resolve, reject) => {
    staticServer.once('exit', (code) => reject(new Error(`python3 -m http.server exited (${code}): ${staticLog.join('\n')}`)));
    staticServer.stdout!.on('data', (chunk: Buffer) => {
      const match = /port (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
  });
  siteUrl = `http://127.0.0.1:${port}${SUB_PATH}`;
  hub = await startHubServer({ root: defaultFixturesDir(), port: 0 });
});

afterAll(async () => {
  staticServer?.kill();
  await hub?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Whether the page is cross-origin isolated, polled across the service worker's reload. */
const isolated = (page: Page) => page.evaluate(() => globalThis.crossOriginIsolated).catch(() => undefined);

/** Whether the compute worker (the tfjs wasm backend's home) is cross-origin isolated, so that its pthreads may start. */
async function workerIsolated(page: Page): Promise<boolean | undefined> {
  const worker = page.workers().find((w) => /\/assets\/worker-[\w-]+\.js$/.test(w.url()));
  return worker?.evaluate(() => globalThis.crossOriginIsolated);
}

/** The wasm binaries the static server served since `from` (its log index). */
const wasmServed = (from = 0) => staticLog.slice(from).flatMap((line) => /GET \/adapter-studio\/assets\/(tfjs-backend-wasm[\w-]*?)-[\w]+\.wasm HTTP\/1\.1" 200/.exec(line)?.[1] ?? []);

async function download(page: Page, name: string): Promise<Record<string, Uint8Array>> {
  const [file] = await Promise.all([page.waitForEvent('download'), steps.export(page).getByRole('button', { name }).click()]);
  const path = join(dir, file.suggestedFilename());
  await file.saveAs(path);
  return unzipSync(new Uint8Array(await readFile(path)));
}

describe('dist/ on a plain static host under a sub-path', () => {
  let chrome: StudioBrowser;
  afterAll(() => chrome?.close());

  it('is served without isolation headers and with relative asset paths', async () => {
    const res = await fetch(siteUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('cross-origin-embedder-policy')).toBeNull();
    expect(res.headers.get('cross-origin-opener-policy')).toBeNull();
    const html = await res.text();
    expect(html).toMatch(/src="\.\/assets\/index-[\w-]+\.js"/);
    expect(html).not.toMatch(/(src|href)="\/[^/]/);
  });

  it('becomes cross-origin isolated through its service worker, runs wasm on threads, and trains and exports against a Hub on another origin', async () => {
    chrome = await launchChromium({ webgpu: false });
    const { page } = chrome;
    const query = new URLSearchParams({ hub: hub.url, backend: 'wasm', model: MODEL, dataset: DATASET, rows: '160', epochs: '1', batch: '16', lr: '0.001' });
    await page.goto(`${siteUrl}?${query}`);
    await expect.poll(() => isolated(page), { timeout: 30_000 }).toBe(true);
    expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${siteUrl}coi-serviceworker.js`);
    await waitForBackendBadge(page, /^wasm/);
    // The threaded build starts only where SharedArrayBuffer exists, i.e. in an isolated worker.
    expect(await workerIsolated(page)).toBe(true);
    expect(wasmServed()).toEqual(['tfjs-backend-wasm-threaded-simd']);
    expect(await page.getByTestId('single-thread-notice').count()).toBe(0);
    // Settings says how many threads the threaded build runs: tfjs-backend-wasm 4.22 takes half the logical cores, 1 to 8.
    await page.getByRole('button', { name: 'Settings' }).click();
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const threads = Math.min(8, Math.max(1, Math.floor(cores / 2)));
    const why = threads < cores ? `; tfjs uses half of the ${cores} logical cores, at most 8` : '';
    // Chromium has relaxed SIMD, so the studio's GEMM takes the fused multiply-add build.
    await expect.poll(() => page.locator('dt:text-is("wasm") + dd').textContent())
      .toBe(`SIMD, ${threads} thread${threads === 1 ? '' : 's'} (threaded build${why}) · matrix products: relaxed-SIMD GEMM, 1 thread`);
    await page.getByRole('button', { name: 'Settings' }).click();

    // A Hub named by a link is used only once the user confirms it.
    const banner = page.getByRole('alertdialog', { name: /another Hub/ });
    await banner.getByRole('button', { name: `Use ${new URL(hub.url).host}` }).click();
    // A connection that drops every 150 kB: Chromium's download resumes with Range requests across origins.
    const weightsPath = `/${MODEL}/resolve/main/model.safetensors`;
    const weightsSize = (await stat(join(defaultFixturesDir(), 'models', MODEL, 'files', 'model.safetensors'))).size;
    await fetch(`${hub.url}/__stats/reset`, { method: 'POST' });
    hub.handler.faults = { cutAfterBytes: 150_000, pathPattern: 'model\\.safetensors' };
    await loadSelectedModel(page);
    hub.handler.faults = {};
    const weights = ((await (await fetch(`${hub.url}/__stats`)).json()) as { byPath: Record<string, { requests: number; bytes: number }> }).byPath[weightsPath];
    // Each byte once (main: the load fails on the first cut); the model preview's one-byte probe that the
    // file exists (`Range: bytes=0-0`) may land after the reset, adding a request and a byte.
    const probe = weights.bytes - weightsSize;
    expect([0, 1]).toContain(probe);
    // One request per 150 kB cut, plus at most the probe and one request that a cut ended before any byte.
    expect(weights.requests).toBeGreaterThanOrEqual(Math.ceil(weightsSize / 150_000));
    expect(weights.requests).toBeLessThanOrEqual(Math.ceil(weightsSize / 150_000) + 2);
    await dataInspected(page);
    await steps.train(page).getByRole('button', { name: 'Train', exact: true }).click();
    expect(await runReaches(page, ['done', 'failed'])).toBe('done');

    const adapterHub = await download(page, 'AdapterHub zip');
    expect(JSON.parse(new TextDecoder().decode(adapterHub['adapter_config.json']))).toMatchObject({ model_name: MODEL, config: { reduction_factor: 16 } });
    const python = await download(page, '“Continue in Python” zip');
    expect(Object.keys(python)).toEqual(expect.arrayContaining(['train.py', 'adapter/adapter_config.json']));

    // The app's files, the threaded wasm and the worker came from the sub-path, with no error.
    const served = staticLog.join('\n');
    expect(served).toMatch(/"GET \/adapter-studio\/coi-serviceworker\.js HTTP\/1\.1" 200/);
    expect(served).not.toMatch(/" [45]\d\d /);
    // Nothing was refused for want of CORP/COEP (such refusals are console errors); huggingface.co is not reachable here.
    expect(chrome.consoleErrors.filter((e) => !/huggingface\.co|ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/.test(e))).toEqual([]);
  });

  it('says plainly that wasm runs on one thread where no service worker can isolate the page', async () => {
    const blocked = await launchChromium({ webgpu: false, serviceWorkers: 'block' });
    try {
      const from = staticLog.length;
      await blocked.page.goto(`${siteUrl}?backend=wasm`);
      await waitForBackendBadge(blocked.page, /^wasm/);
      expect(await isolated(blocked.page)).toBe(false);
      expect(await workerIsolated(blocked.page)).toBe(false);
      expect(wasmServed(from)).toEqual(['tfjs-backend-wasm-simd']);
      const notice = blocked.page.getByTestId('single-thread-notice');
      await notice.waitFor();
      expect(await notice.textContent()).toMatch(/^wasm runs on one thread here: the page is not cross-origin isolated \(the service worker that adds the COOP\/COEP headers .+\)/);
    } finally {
      await blocked.close();
    }
  });
});
