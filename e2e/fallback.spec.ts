import { afterAll, describe, expect, it } from 'vitest';
import { type StudioBrowser, launchChromium } from './browser.ts';
import { runSelfTest, studioUrl, waitForBackendBadge } from './studio-page.ts';

// Without WebGPU the studio falls back to wasm and says why; a lost GPU device is reported and recoverable.
const browsers: StudioBrowser[] = [];

afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
});

describe('Chromium without WebGPU', () => {
  it('says WebGPU is unavailable, with the reason, and computes on wasm', async () => {
    const chrome = await launchChromium({ webgpu: false });
    browsers.push(chrome);
    const { page } = chrome;
    await page.goto(studioUrl('hub=offline'));
    expect(await waitForBackendBadge(page, /^(wasm|cpu)/)).toBe('wasm (WebGPU unavailable)');
    // Plain words first; the technical reason behind "Details".
    const notice = page.getByRole('note').filter({ hasText: 'WebGPU unavailable:' });
    expect(await notice.locator('p').first().textContent()).toMatch(
      /^This browser (does not offer WebGPU|has WebGPU, but no graphics card it may use).*computes on wasm instead/);
    expect(await notice.locator('details').textContent()).toMatch(
      /WebGPU unavailable: (no GPU adapter \(navigator\.gpu\.requestAdapter\(\) returned null|navigator\.gpu is undefined)/);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

    const { caption, rows } = await runSelfTest(page, 'Run wasm self-test');
    expect(caption).toMatch(/^Self-test on wasm: all 23 checks passed/);
    expect(rows.filter((r) => r.path !== 'tfjs').every((r) => r.path === 'composed')).toBe(true);
    console.log(`wasm: ${await page.locator('.facts').textContent()}`);
    expect(chrome.consoleErrors).toEqual([]);
  });
});

describe('GPU device loss', () => {
  it('shows the loss and restarts on wasm', async () => {
    const chrome = await launchChromium({ webgpu: true });
    browsers.push(chrome);
    const { page } = chrome;
    await page.goto(studioUrl('hub=offline&debug=1'));
    await waitForBackendBadge(page, /^WebGPU/);
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Simulate GPU device loss' }).click();

    const alert = page.getByRole('alert').filter({ hasText: 'The GPU device was lost' });
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.textContent()).toMatch(/^The GPU device was lost \(destroyed/);
    expect(await waitForBackendBadge(page, /device lost/)).toBe('WebGPU · SwiftShader (software) — device lost');

    await page.getByRole('button', { name: 'Restart on wasm' }).click();
    expect(await waitForBackendBadge(page, /^wasm/)).toBe('wasm');
    // The backend is this machine's business: it stays out of the address bar (and so out of shared links).
    expect(new URL(page.url()).searchParams.has('backend')).toBe(false);
    expect(await alert.count()).toBe(0);
    expect(chrome.consoleErrors).toEqual([]);
  });
});
