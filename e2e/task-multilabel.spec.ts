import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StudioBrowser, launchChromium } from './browser.ts';
import { dataInspected, loadSelectedModel, runReaches, screenshotStep, steps, studioUrl, waitForBackendBadge } from './studio-page.ts';

// Multi-label classification from dataset to Try it, on wasm: the Data step reads tiny-multilabel's list-of-labels
// column and says why, the Adapter step shows the multi-label head, a short run reports micro- and macro-F1, and
// Try it lists every label with its probability, marking those at or above their thresholds. Then a dropped CSV
// with 0/1 columns becomes multi-label once two of them are ticked as label columns.
let chrome: StudioBrowser;
let page: Page;

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: false });
  page = chrome.page;
});
afterAll(async () => chrome?.close());

const TEXT = 'The coach won the title. Investors raised interest rates.';

describe('multi-label classification on tiny-multilabel (wasm)', () => {
  it('detects the task, trains the multi-label head and shows every label above its threshold in Try it', async () => {
    await page.goto(studioUrl('hub=offline&backend=wasm&model=adapter-studio/tiny-bert&dataset=adapter-studio/tiny-multilabel&lr=0.01&steps=100&evalsteps=50&batch=16&maxlen=48'));
    await waitForBackendBadge(page, /^wasm/);
    await loadSelectedModel(page);
    await dataInspected(page);
    const data = steps.data(page);
    await expect.poll(async () => (await data.textContent()) ?? '').toContain('Task: multi-label (any set of the 4 labels per text)');
    expect(await data.textContent()).toContain('"labels" holds a list of labels per row (List(ClassLabel), 4 labels)');
    await expect.poll(async () => steps.adapter(page).locator('input[name="head-kind"]:checked').locator('xpath=..').textContent()).toMatch(/Multi-label/);

    await steps.train(page).getByRole('button', { name: 'Train', exact: true }).click();
    expect(await runReaches(page, ['done', 'failed'], 180_000)).toBe('done');
    const log = (await steps.train(page).getByRole('log').textContent()) ?? '';
    const [, micro, macro] = /Evaluation at step 100 \(epoch [\d.]+\): micro-F1 ([\d.]+), macro-F1 ([\d.]+)/.exec(log) ?? [];
    expect(Number(micro)).toBeGreaterThan(0.8);
    expect(Number(macro)).toBeGreaterThan(0);

    const tryStep = steps.try(page);
    await tryStep.getByLabel('Text to classify').fill(TEXT);
    await tryStep.getByRole('button', { name: 'Predict' }).click();
    const caption = tryStep.locator('figure.multi-label figcaption');
    await caption.waitFor({ timeout: 60_000 });
    const rows = tryStep.locator('figure.multi-label tbody tr');
    expect(await rows.count()).toBe(4);
    // Every label is listed with its probability, most probable first; exactly those at or above 0.5 are marked and named.
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => ({ label: tr.getAttribute('data-label'), p: Number(tr.getAttribute('data-trained')), marked: tr.hasAttribute('data-predicted') })));
    expect(shown.map((r) => r.p)).toEqual([...shown.map((r) => r.p)].sort((a, b) => b - a));
    for (const r of shown) expect(r.marked, `${r.label} ${r.p}`).toBe(r.p >= 0.5);
    const named = shown.filter((r) => r.marked).map((r) => r.label);
    expect(await caption.getAttribute('data-labels')).toBe(named.join(','));
    expect([...named].sort()).toEqual(['business', 'sports']);
    await screenshotStep(page, tryStep, 'docs/screenshots/try-multilabel.png');
    console.log(`tiny-multilabel after 100 steps: micro-F1 ${micro}, macro-F1 ${macro}; Try it: ${shown.map((r) => `${r.label} ${r.p.toFixed(3)}`).join(', ')}`);
  });

  it('reads several ticked 0/1 columns of a dropped CSV as multi-label labels', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'adapter-studio-e2e-'));
    try {
      const file = join(dir, 'comments.csv');
      await writeFile(file, 'comment,toxic,insult,threat\nyou are a fool,1,1,0\nnice work today,0,0,0\nleave or else,1,0,1\n');
      const data = steps.data(page);
      await data.locator('input[type="file"]').setInputFiles(file);
      await data.getByText('Selected file: comments.csv').waitFor();
      const picker = data.locator('fieldset.label-columns');
      await picker.waitFor();
      for (const name of ['toxic', 'threat']) await picker.getByLabel(name).check();
      await expect.poll(async () => (await data.textContent()) ?? '').toContain('Task: multi-label (any set of the 2 labels per text)');
      expect(await data.textContent()).toContain('2 0/1 columns, one per label');
      const cells = await data.locator('table.preview-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.lastElementChild?.textContent));
      expect(cells).toEqual(['toxic', '(none)', 'toxic, threat']);
      expect(new URL(page.url()).searchParams.has('labels')).toBe(false);
      await expect.poll(async () => steps.adapter(page).locator('input[name="head-kind"]:checked').locator('xpath=..').textContent()).toMatch(/Multi-label/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
