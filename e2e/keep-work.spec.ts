import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StudioBrowser, launchChromium } from './browser.ts';
import { dataInspected, loadSelectedModel, runReaches, steps, studioUrl, trainedSteps } from './studio-page.ts';

// Never lose trained work: timed checkpoints that a reload resumes from mid-epoch, a warning before leaving a run,
// and every trained adapter kept in the browser (Your adapters) to open, try and export after a reload.
let chrome: StudioBrowser;
let page: Page;
let dir: string;
/** Types of the dialogs the page opened (a beforeunload warning is accepted, so the reload goes on). */
const dialogs: string[] = [];

const MODEL = 'adapter-studio/tiny-bert';
const DATASET = 'adapter-studio/tiny-sentiment';

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: false });
  page = chrome.page;
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.type());
    void (dialog.type() === 'beforeunload' ? dialog.accept() : dialog.dismiss());
  });
  dir = await mkdtemp(join(tmpdir(), 'adapter-studio-keep-'));
});

afterAll(async () => {
  await chrome?.close();
  await rm(dir, { recursive: true, force: true });
});

const library = () => steps.try(page).locator('.adapter-library');
const keptNames = () => library().locator('li.library-item').evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.adapter));

/** Step of the newest `latest` checkpoint in the page's IndexedDB (the worker writes them there). */
function latestCheckpointStep(): Promise<number> {
  return page.evaluate(() => new Promise<number>((resolve, reject) => {
    const open = indexedDB.open('adapter-studio-checkpoints');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const store = open.result.transaction('checkpoints').objectStore('checkpoints');
      const keys = store.getAllKeys();
      const values = store.getAll();
      values.onsuccess = () => {
        const steps = (keys.result as [string, string][]).flatMap(([, slot], i) => (slot === 'latest' ? [(values.result[i] as { state: { step: number } }).state.step] : []));
        open.result.close();
        resolve(Math.max(...steps));
      };
      values.onerror = () => reject(values.error);
    };
  }));
}

/** Predicts a sentence in Try it and returns the trained and untrained probabilities by label. */
async function predict(text: string): Promise<Record<string, { trained: number; untrained: number }>> {
  const tryStep = steps.try(page);
  await tryStep.getByLabel('Text to classify').fill(text);
  await tryStep.getByRole('button', { name: 'Predict' }).click();
  const rows = tryStep.locator('.probability-table tbody tr');
  await rows.first().waitFor();
  const pairs = await rows.evaluateAll((trs) => trs.map((tr) => {
    const data = (tr as HTMLElement).dataset;
    return [data.label!, { trained: Number(data.trained), untrained: Number(data.untrained) }] as const;
  }));
  return Object.fromEntries(pairs);
}

describe('Never lose trained work (wasm)', () => {
  let checkpointStep = 0;

  it('warns before a reload while training, and the reload resumes mid-epoch from the last timed checkpoint', async () => {
    // 1,200 examples in batches of 8: 150 steps in the one epoch, a checkpoint every second of training.
    await page.goto(studioUrl(`hub=offline&backend=wasm&model=${MODEL}&dataset=${DATASET}&lr=0.001&epochs=1&batch=8&ckpt=1`));
    await loadSelectedModel(page);
    await dataInspected(page);
    const train = steps.train(page);
    await train.getByText(/^More settings/).click();
    expect(await train.getByRole('spinbutton', { name: 'Checkpoint every N seconds', exact: true }).inputValue()).toBe('1');
    await train.getByRole('button', { name: 'Train', exact: true }).click();
    const log = train.getByRole('log');
    await expect.poll(async () => /Checkpoint at step \d+ \(timed\)/.test((await log.textContent()) ?? ''), { timeout: 120_000, interval: 100 }).toBe(true);
    checkpointStep = Math.max(...[...((await log.textContent()) ?? '').matchAll(/Checkpoint at step (\d+) \(timed\)/g)].map((m) => Number(m[1])));
    expect(checkpointStep).toBeLessThan(150);
    expect(await trainedSteps(page)).toBeLessThan(150);

    await page.reload();
    expect(dialogs).toContain('beforeunload');
    const offer = train.getByRole('region', { name: 'Interrupted run' });
    await offer.waitFor();
    expect(await offer.locator('strong').textContent()).toBe(`Resume training ${MODEL} + ${DATASET} from epoch 1`);
    // The offer names the newest checkpoint in IndexedDB, which the reload may have kept the page from hearing of.
    const stored = await latestCheckpointStep();
    expect(stored).toBeGreaterThanOrEqual(checkpointStep);
    expect(stored).toBeLessThan(150);
    await expect.poll(async () => Number((await offer.textContent())!.match(/checkpoint at step (\d+) of 150/)?.[1])).toBe(stored);
    checkpointStep = stored;
    // The evaluation at the epoch's end is short: record every state of its progress bar as the page draws it.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { evaluationBars: string[] }).evaluationBars = seen;
      new MutationObserver(() => {
        const bar = document.querySelector('.evaluation-progress');
        if (bar) seen.push(bar.textContent ?? '');
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await offer.getByRole('button', { name: 'Resume' }).click();
    expect(await runReaches(page, ['done', 'failed'])).toBe('done');
    // The loss curve keeps the steps trained before the reload: one point for each of the 150 steps, and more.
    expect(Number(await train.locator('figure.chart').first().getAttribute('data-points'))).toBeGreaterThanOrEqual(150);
    // 200 validation examples in batches of 8: 25 batches, known before the pass from the split's row count.
    const bars = await page.evaluate(() => (window as unknown as { evaluationBars: string[] }).evaluationBars);
    expect(bars.length).toBeGreaterThan(0);
    for (const bar of bars) expect(bar).toMatch(/^Evaluatingbatch \d+ of 25, \d+ examples, (\d+ s|…) left$/);
    expect(await log.textContent()).toContain(`Resuming at step ${checkpointStep} of 150`);
    expect(await train.locator('.run-status').textContent()).toMatch(/^Done: completed after 150 steps/);
  });

  it('keeps the finished adapter: after a reload it is in Your adapters, opens, predicts and exports', async () => {
    await expect.poll(keptNames).toEqual(['tiny-sentiment']);
    expect(await steps.train(page).locator('.kept-note').textContent()).toContain('tiny-sentiment is kept in Your adapters');
    const trained = await predict('a wonderful, moving film');

    const before = dialogs.length;
    await page.reload();
    await expect.poll(keptNames).toEqual(['tiny-sentiment']);
    // Nothing was at stake: no warning.
    expect(dialogs.length).toBe(before);
    const item = library().getByRole('listitem', { name: 'Kept adapter tiny-sentiment' });
    expect(await item.textContent()).toContain(`on ${MODEL}`);
    expect(await item.textContent()).toContain(`trained on ${DATASET}`);
    await item.getByRole('button', { name: 'Open' }).click();
    await item.getByText('Active: try it below').waitFor({ timeout: 60_000 });
    expect(await steps.model(page).locator('.ready').count()).toBe(1);
    const again = await predict('a wonderful, moving film');
    // The same weights, and the same untrained comparison (the adapter as its training started, from its seed).
    for (const label of ['positive', 'negative']) {
      expect(again[label].trained).toBeCloseTo(trained[label].trained, 5);
      expect(again[label].untrained).toBeCloseTo(trained[label].untrained, 5);
    }

    const exportStep = steps.export(page);
    expect(await exportStep.getByLabel('Active adapter').textContent()).toContain('kept in this browser');
    const [file] = await Promise.all([page.waitForEvent('download'), exportStep.getByRole('button', { name: 'AdapterHub zip' }).click()]);
    const path = join(dir, file.suggestedFilename());
    await file.saveAs(path);
    const files = unzipSync(new Uint8Array(await readFile(path)));
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['adapter_config.json', 'pytorch_adapter.bin', 'head_config.json']));
    expect(JSON.parse(new TextDecoder().decode(files['adapter_config.json']))).toMatchObject({ name: 'tiny-sentiment', model_name: MODEL });
  });

  it('"Train a new adapter" keeps the finished one in the list; Delete removes one for good', async () => {
    await page.goto(studioUrl(`hub=offline&backend=wasm&model=${MODEL}&dataset=${DATASET}&rows=160&lr=0.001&steps=5&batch=8&name=second`));
    await loadSelectedModel(page);
    await dataInspected(page);
    // The training cap of 160 caps validation too, at the default's floor of 200.
    expect(await steps.data(page).locator('table.split-table tr[data-split="validation"] td').last().textContent()).toBe('validation, at most 200 examples');
    await expect.poll(keptNames).toEqual(['tiny-sentiment']);
    const train = steps.train(page);
    await train.getByRole('button', { name: 'Train', exact: true }).click();
    expect(await runReaches(page, ['done', 'failed'])).toBe('done');
    await expect.poll(keptNames).toEqual(['second', 'tiny-sentiment']);
    await train.getByRole('button', { name: 'Train a new adapter' }).click();
    expect(await runReaches(page, ['done', 'failed'])).toBe('done');
    await expect.poll(keptNames).toEqual(['second', 'second', 'tiny-sentiment']);

    await library().getByRole('listitem', { name: 'Kept adapter tiny-sentiment' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(keptNames).toEqual(['second', 'second']);
    await page.reload();
    await expect.poll(keptNames).toEqual(['second', 'second']);
    expect(chrome.consoleErrors).toEqual([]);
  });
});
