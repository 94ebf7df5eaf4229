import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StudioBrowser, launchChromium } from './browser.ts';
import { dataInspected, loadSelectedModel, modelFacts, runReaches, steps, studioUrl, waitForBackendBadge } from './studio-page.ts';

// The seeds' own demo in the studio: microsoft/deberta-v3-base's layout (the fixture tiny-deberta-v3) with prefix tuning
// of length 20 plus a parallel bottleneck of reduction factor 4, the Adapter step's Mix-and-match card (MAM: the
// adapters library's ConfigUnion of PrefixTuningConfig and ParBnConfig), trained on wasm in Chromium. MAM's prefix MLP
// is 800 wide (MAMConfig) where the seeds' PrefixTuningConfig keeps 512; the CLI test trains that exact union string.
let chrome: StudioBrowser;
let page: Page;

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: false });
  page = chrome.page;
});
afterAll(async () => chrome?.close());

describe('tiny-deberta-v3 with prefix 20 + par_bn rf 4 (wasm)', () => {
  it('lists the demo model, reads it as deberta-v2, and trains the union with falling validation loss', async () => {
    await page.goto(studioUrl('hub=offline&backend=wasm&dataset=adapter-studio/tiny-sentiment&method=mam&prefix=20&rf=4&lr=0.003&steps=60&evalsteps=20&batch=16&maxlen=64'));
    await waitForBackendBadge(page, /^wasm/);
    await steps.model(page).getByText('adapter-studio/tiny-deberta-v3', { exact: true }).click();
    const facts = await modelFacts(page);
    expect(facts.Architecture).toBe('deberta-v2');
    await loadSelectedModel(page);
    await dataInspected(page);
    const summary = steps.adapter(page).locator('table.summary-table');
    await summary.waitFor();
    expect(await summary.locator('tbody tr').first().locator('td').first().textContent()).toBe('union');

    await steps.train(page).getByRole('button', { name: 'Train', exact: true }).click();
    expect(await runReaches(page, ['done', 'failed'], 280_000)).toBe('done');
    const log = (await steps.train(page).getByRole('log').textContent()) ?? '';
    const losses = [...log.matchAll(/Evaluation at step (\d+) \(epoch [\d.]+\): [^—]*?loss ([\d.]+)/gi)].map((m) => [Number(m[1]), Number(m[2])]);
    console.log(`tiny-deberta-v3 mam[prefix 20, rf 4] on wasm, validation loss by step: ${JSON.stringify(losses)}`);
    expect(losses.map(([step]) => step)).toEqual([20, 40, 60]);
    expect(losses[2][1]).toBeLessThan(losses[0][1]);
  });
});
