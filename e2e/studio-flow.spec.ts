import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { type StudioBrowser, launchChromium } from './browser.ts';
import { dataInspected, loadSelectedModel, runReaches, screenshotStep, steps, studioUrl, trainedSteps, waitForBackendBadge } from './studio-page.ts';

// Model → Adapter → Data → Train → Try it → Export, clicked through as a user would, against the offline demo Hub.
// Long runs use the wasm backend (WebGPU on SwiftShader is ~100× slower here); one short run stays on WebGPU.
let chrome: StudioBrowser;
let page: Page;
let dir: string;

const MODEL = 'adapter-studio/tiny-bert';
const DATASET = 'adapter-studio/tiny-sentiment';
const SENTENCE = 'a wonderful, moving film';

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: true });
  page = chrome.page;
  dir = await mkdtemp(join(tmpdir(), 'adapter-studio-flow-'));
});

afterAll(async () => {
  await chrome?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The trained and untrained probabilities of each label in Try it, at full precision. */
async function probabilities(): Promise<Record<string, { trained: number; untrained: number }>> {
  const rows = await steps.try(page).locator('.probability-table tbody tr').evaluateAll((trs) => trs.map((tr) => {
    const data = (tr as HTMLElement).dataset;
    return [data.label!, { trained: Number(data.trained), untrained: Number(data.untrained) }] as const;
  }));
  return Object.fromEntries(rows);
}

async function predict(text: string): Promise<Record<string, { trained: number; untrained: number }>> {
  const tryStep = steps.try(page);
  await tryStep.getByLabel('Text to classify').fill(text);
  const previous = await tryStep.locator('.probability-table').count() ? await tryStep.locator('.probability-table').innerHTML() : '';
  await tryStep.getByRole('button', { name: 'Predict' }).click();
  await expect.poll(async () => (await tryStep.locator('.probability-table').count()) && (await tryStep.locator('.probability-table').innerHTML()) !== previous).toBe(true);
  return probabilities();
}

/** Clicks a download button and returns the saved file's path. */
async function download(button: ReturnType<Page['getByRole']>): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const path = join(dir, file.suggestedFilename());
  await file.saveAs(path);
  return path;
}

async function cli(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

/** The page's address now (page.url() learns of history.replaceState only later). */
const currentUrl = () => page.evaluate(() => location.href);

/** Sets a Train step number field (by its label) to `value`. */
const setField = (label: string, value: string) => steps.train(page).getByRole('spinbutton', { name: label, exact: true }).fill(value);

describe('Model → Adapter → Data → Train → Try it → Export (wasm)', () => {
  let zipPath: string;
  let studio: Record<string, { trained: number; untrained: number }>;

  it('shows the adapter\'s trainable parameters live, before any download', async () => {
    await page.goto(studioUrl('hub=offline&backend=wasm'));
    await waitForBackendBadge(page, /^wasm/);
    const stepper = page.getByRole('navigation', { name: 'Steps' });
    expect(await stepper.locator('li[data-enabled="false"]').allTextContents()).toEqual(['4 Train (needs a loaded model and data)', '5 Try it (needs a trained, kept or imported adapter)', '6 Export (needs an adapter, or a loaded model to import one)']);

    await steps.model(page).getByText(MODEL, { exact: true }).click();
    const adapter = steps.adapter(page);
    const count = adapter.getByTestId('trainable-parameters');
    // tiny-bert: hidden 64, 2 layers; seq_bn rf 16 puts a 64→4→64 bottleneck with biases after each feed-forward block.
    const bottleneck = (width: number) => 2 * (64 * width + width + width * 64 + 64);
    await expect.poll(() => count.getAttribute('data-parameters')).toBe(String(bottleneck(4)));
    expect(await adapter.getByRole('radio', { name: /Bottleneck \(Pfeiffer\) seq_bn/ }).isChecked()).toBe(true);
    const slider = adapter.getByRole('slider', { name: /Reduction factor/ });
    expect(await slider.getAttribute('aria-valuetext')).toBe('16');
    await slider.focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => count.getAttribute('data-parameters')).toBe(String(bottleneck(8)));
    expect(new URL(await currentUrl()).searchParams.get('rf')).toBe('8');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => count.getAttribute('data-parameters')).toBe(String(bottleneck(4)));
    const summary = adapter.locator('table.summary-table');
    expect(await summary.locator('thead th').allTextContents()).toEqual(['Name', 'Architecture', '#Param', '%Param', 'Active', 'Train']);
    expect((await summary.locator('tbody tr').first().locator('th, td').allTextContents()).slice(1)).toEqual(['bottleneck', '1,160', '0.800', '1', '1']);
    expect(await adapter.locator('.peft-note').textContent()).toContain('PEFT has no bottleneck adapters');

    // LoRA counts A [r, 64] and B [64, r] on query and value of both layers.
    await adapter.getByRole('radio', { name: /LoRA lora/ }).check();
    await expect.poll(() => count.getAttribute('data-parameters')).toBe(String(2 * 2 * (8 * 64 + 64 * 8)));
    await adapter.getByRole('radio', { name: /Bottleneck \(Pfeiffer\) seq_bn/ }).check();
    await expect.poll(() => count.getAttribute('data-parameters')).toBe(String(bottleneck(4)));

    await steps.data(page).getByRole('button', { name: /Tiny sentiment \(demo\)/ }).click();
    await dataInspected(page);
    // The head joins the count once the data says what to predict: Linear(64, 64) + Linear(64, 2).
    await expect.poll(() => count.getAttribute('data-parameters')).toBe(String(bottleneck(4) + 64 * 64 + 64 + 64 * 2 + 2));
    expect(await adapter.getByRole('radio', { name: /^Classification/ }).isChecked()).toBe(true);
    await screenshotStep(page, adapter, 'docs/screenshots/adapter.png');
  });

  it('trains seq_bn for 2 epochs at lr 1e-3 with live charts to ≥ 90% validation accuracy', async () => {
    await loadSelectedModel(page);
    const train = steps.train(page);
    await train.getByRole('button', { name: 'use 1e-3' }).click();
    await setField('Epochs', '2');
    // Batch 8: 150 steps an epoch (1,200 examples); with batch 16 two epochs stop short of 90% here.
    await setField('Batch size', '8');
    const url = new URL(await currentUrl());
    expect([url.searchParams.get('lr'), url.searchParams.get('epochs'), url.searchParams.get('batch'), url.searchParams.get('method')]).toEqual(['0.001', '2', '8', 'seq_bn']);

    const started = performance.now();
    await train.getByRole('button', { name: 'Train', exact: true }).click();
    const loss = train.locator('figure.chart').first();
    await expect.poll(() => loss.getAttribute('data-points').then(Number), { timeout: 60_000 }).toBeGreaterThan(10);
    expect(await train.locator('.run-status').textContent()).toMatch(/^Training on wasm: step \d+ of 300, epoch 0\.\d\d$/);
    const early = Number(await loss.getAttribute('data-points'));
    await expect.poll(() => loss.getAttribute('data-points').then(Number), { timeout: 60_000 }).toBeGreaterThan(early + 20);
    expect(await runReaches(page, ['done', 'failed'])).toBe('done');
    console.log(`2 epochs (300 steps) on wasm in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const accuracy = Number(await train.getByTestId('best-metrics').getAttribute('data-accuracy'));
    console.log(`best validation accuracy ${accuracy}`);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
    expect(await train.locator('figure.chart').nth(1).getAttribute('data-points')).toBe('2');
    expect(await train.getByRole('log').textContent()).toContain('Evaluation at step 300 (epoch 2.00)');
    await screenshotStep(page, train.locator('.train-controls'), 'docs/screenshots/train.png');
  });

  it('predicts a sentence: the trained head says positive, more surely than the untrained one', async () => {
    studio = await predict(SENTENCE);
    expect(studio.positive.trained).toBeGreaterThan(studio.negative.trained);
    expect(studio.positive.trained).toBeGreaterThan(studio.positive.untrained);
    expect(studio.positive.trained + studio.negative.trained).toBeCloseTo(1, 5);
    expect(await steps.try(page).locator('figcaption strong').textContent()).toBe('positive');
    await screenshotStep(page, steps.try(page), 'docs/screenshots/try.png');
  });

  it('downloads the AdapterHub and Python zips, says why PEFT cannot hold seq_bn, and the CLI predicts what the studio did', async () => {
    const exportStep = steps.export(page);
    zipPath = await download(exportStep.getByRole('button', { name: 'AdapterHub zip' }));
    expect(zipPath.endsWith('tiny-sentiment-adapterhub.zip')).toBe(true);
    const files = unzipSync(new Uint8Array(await readFile(zipPath)));
    expect(Object.keys(files).sort()).toEqual(['README.md', 'adapter.safetensors', 'adapter_config.json', 'head_config.json', 'model_head.safetensors', 'pytorch_adapter.bin', 'pytorch_model_head.bin']);
    const config = JSON.parse(new TextDecoder().decode(files['adapter_config.json']));
    expect(config).toMatchObject({ name: 'tiny-sentiment', model_class: 'BertAdapterModel', model_name: MODEL, config: { reduction_factor: 16, output_adapter: true } });

    expect(await exportStep.getByRole('button', { name: 'PEFT zip' }).isDisabled()).toBe(true);
    expect(await exportStep.locator('li[data-format="peft"] .note').textContent()).toContain('PEFT has no bottleneck adapters');

    const python = unzipSync(new Uint8Array(await readFile(await download(exportStep.getByRole('button', { name: '“Continue in Python” zip' })))));
    expect(Object.keys(python)).toEqual(expect.arrayContaining(['train.py', 'requirements.txt', 'adapter/adapter_config.json']));
    await screenshotStep(page, exportStep, 'docs/screenshots/export.png');

    const predicted = await cli(['predict', '--model', MODEL, '--adapter', zipPath, '--text', SENTENCE, '--hub', `${inject('studioUrl')}/hub`, '--json']);
    expect(predicted.code, predicted.err.join('\n')).toBe(0);
    const { probabilities: cliProbabilities, label } = JSON.parse(predicted.out[0]);
    expect(label).toBe('positive');
    expect(cliProbabilities[0]).toBeCloseTo(studio.negative.trained, 5);
    expect(cliProbabilities[1]).toBeCloseTo(studio.positive.trained, 5);
  });

  it('imports the downloaded zip as the active adapter, which predicts the same, and says what does not fit', async () => {
    const exportStep = steps.export(page);
    await exportStep.locator('input[type="file"][accept=".zip,application/zip"]').setInputFiles(zipPath);
    await exportStep.getByText('tiny-sentiment-adapterhub.zip is now the active adapter').waitFor();
    expect(await exportStep.getByLabel('Active adapter').textContent()).toContain('imported (Adapter Studio files)');
    const again = await predict(SENTENCE);
    expect(again.positive.trained).toBeCloseTo(studio.positive.trained, 6);

    const notAdapter = join(dir, 'notes.zip');
    await writeFile(notAdapter, zipSync({ 'notes.txt': new TextEncoder().encode('not an adapter') }));
    await exportStep.locator('input[type="file"][accept=".zip,application/zip"]').setInputFiles(notAdapter);
    const alert = exportStep.getByRole('alert').filter({ hasText: 'notes.zip could not be imported' });
    await alert.waitFor();
    expect(await alert.getAttribute('data-code')).toBe('NotAnAdapter');
    expect(await alert.textContent()).toContain('holds no adapter_config.json');
  });

  it('puts the whole setup in the URL, so a shared link reproduces it', async () => {
    const shared = new URL(await currentUrl());
    expect(Object.fromEntries(['model', 'dataset', 'method', 'lr', 'epochs', 'batch'].map((k) => [k, shared.searchParams.get(k)]))).toEqual({
      model: MODEL, dataset: DATASET, method: 'seq_bn', lr: '0.001', epochs: '2', batch: '8',
    });
    shared.searchParams.set('rf', '32');
    const other = await chrome.context.newPage();
    try {
      await other.goto(shared.toString());
      expect(await steps.adapter(other).getByRole('slider', { name: /Reduction factor/ }).getAttribute('aria-valuetext')).toBe('32');
      const field = (name: string) => steps.train(other).getByRole('spinbutton', { name, exact: true });
      expect(await field('Learning rate').inputValue()).toBe('0.001');
      expect(await field('Epochs').inputValue()).toBe('2');
      expect(await field('Batch size').inputValue()).toBe('8');
    } finally {
      await other.close();
    }
    expect(chrome.consoleErrors).toEqual([]);
  });
});

describe('Pause, resume, cancel, reload and NaN (wasm)', () => {
  it('pauses within a step and resumes from the next one, then cancels', async () => {
    // 160 examples: 20 steps an epoch.
    await page.goto(studioUrl(`hub=offline&backend=wasm&model=${MODEL}&dataset=${DATASET}&rows=160&lr=0.001&epochs=3&batch=8`));
    await loadSelectedModel(page);
    await dataInspected(page);
    const train = steps.train(page);
    await train.getByRole('button', { name: 'Train', exact: true }).click();
    await expect.poll(() => trainedSteps(page), { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(3);
    await train.getByRole('button', { name: 'Pause' }).click();
    const asked = await trainedSteps(page);
    await runReaches(page, ['paused']);
    const paused = await trainedSteps(page);
    // The trainer reads the request between steps; a request that lands while the next batch is fetched lets that
    // step finish: at most the step in flight and the next one after what the page had seen.
    expect(paused - asked).toBeLessThanOrEqual(2);
    expect(await train.locator('.run-status').textContent()).toBe(`Paused at step ${paused}: a checkpoint is saved, so the run can also continue after a reload.`);
    await page.waitForTimeout(800);
    expect(await trainedSteps(page)).toBe(paused);

    await train.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => trainedSteps(page)).toBeGreaterThan(paused);
    await train.getByRole('button', { name: 'Cancel' }).click();
    const cancelledAsked = await trainedSteps(page);
    expect(await runReaches(page, ['cancelled'])).toBe('cancelled');
    const cancelled = Number((await train.locator('.run-status').textContent())!.match(/^Cancelled at step (\d+)\.$/)![1]);
    expect(cancelled - cancelledAsked).toBeLessThanOrEqual(2);
    expect(cancelled).toBeLessThan(60);
  });

  it('offers to resume a paused run after a reload, and finishes it from its checkpoint', async () => {
    const train = steps.train(page);
    await train.getByRole('button', { name: 'Train a new adapter' }).click();
    await expect.poll(() => trainedSteps(page), { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(22);
    await train.getByRole('button', { name: 'Pause' }).click();
    await runReaches(page, ['paused']);
    const paused = await trainedSteps(page);

    await page.reload();
    const offer = train.getByRole('region', { name: 'Interrupted run' });
    await offer.waitFor();
    // 20 steps an epoch: the checkpoint of step N continues in epoch ⌊N / 20⌋ + 1.
    expect(await offer.locator('strong').textContent()).toBe(`Resume training ${MODEL} + ${DATASET} from epoch ${Math.floor(paused / 20) + 1}`);
    expect(await offer.textContent()).toContain(`checkpoint at step ${paused} of 60`);
    await offer.getByRole('button', { name: 'Resume' }).click();
    expect(await runReaches(page, ['done', 'failed'])).toBe('done');
    expect(await train.getByRole('log').textContent()).toContain(`Resuming at step ${paused} of 60`);
    expect(await train.locator('.run-status').textContent()).toMatch(/^Done: completed after 60 steps/);
    expect(await offer.count()).toBe(0);
    await page.reload();
    await steps.model(page).waitFor();
    expect(await train.getByRole('region', { name: 'Interrupted run' }).count()).toBe(0);
  });

  it('skips injected NaN steps, then stops with the message and keeps the last good weights (debug)', async () => {
    await page.goto(studioUrl(`hub=offline&backend=wasm&debug=1&model=${MODEL}&dataset=${DATASET}&rows=160&lr=0.001&epochs=1&batch=8`));
    await loadSelectedModel(page);
    await dataInspected(page);
    const train = steps.train(page);
    await train.getByLabel('NaN from step').fill('3');
    await train.getByLabel('NaN steps').fill('3');
    await train.getByRole('button', { name: 'Train with NaN injected (debug)' }).click();
    expect(await runReaches(page, ['failed', 'done'])).toBe('failed');
    const alert = train.getByRole('alert');
    expect(await alert.getAttribute('data-code')).toBe('NonFinite');
    expect(await alert.textContent()).toMatch(/Training stopped at step 5: the loss or gradient was NaN or infinite for 3 steps in a row .* The weights are those after step 2, the last good one\./);
    expect(await alert.textContent()).toContain('The adapter keeps the weights of the last good step');
    const log = await train.getByRole('log').textContent();
    for (const step of [3, 4, 5]) expect(log).toContain(`Step ${step} skipped: the loss was NaN. No update was made; the weights are unchanged.`);
    const kept = await predict(SENTENCE);
    expect(kept.positive.trained + kept.negative.trained).toBeCloseTo(1, 5);
    expect(await steps.export(page).getByRole('button', { name: 'AdapterHub zip' }).isEnabled()).toBe(true);
    expect(chrome.consoleErrors).toEqual([]);
  });
});

describe('WebGPU', () => {
  it('trains a few steps on WebGPU; after a lost device it continues on wasm', async () => {
    await page.goto(studioUrl(`hub=offline&debug=1&model=${MODEL}&lr=0.001&steps=3&batch=8`));
    expect(await waitForBackendBadge(page, /^WebGPU/)).toBe('WebGPU · SwiftShader (software)');
    await loadSelectedModel(page);
    // A small file of our own: 120 sentences, about 10% held out for validation.
    const csv = join(dir, 'mini.csv');
    const rows = Array.from({ length: 60 }, (_, i) => [`a wonderful and moving film number ${i}`, 'pos', `a dull and boring film number ${i}`, 'neg']);
    await writeFile(csv, `text,label\n${rows.map(([a, b, c, d]) => `${a},${b}\n${c},${d}`).join('\n')}\n`);
    await steps.data(page).locator('input[type="file"]').first().setInputFiles(csv);
    await dataInspected(page);
    const train = steps.train(page);
    const started = performance.now();
    await train.getByRole('button', { name: 'Train', exact: true }).click();
    expect(await runReaches(page, ['done', 'failed'], 280_000)).toBe('done');
    console.log(`3 steps on WebGPU (SwiftShader) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(await train.locator('.run-status').textContent()).toMatch(/^Done: completed after 3 steps/);
    expect(Number(await train.locator('figure.chart').first().getAttribute('data-points'))).toBeGreaterThanOrEqual(3);

    // A longer run, lost on its way.
    await setField('Max steps', '30');
    await train.getByRole('button', { name: 'Train a new adapter' }).click();
    await runReaches(page, ['running'], 60_000);
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Simulate GPU device loss' }).click();
    expect(await runReaches(page, ['interrupted'])).toBe('interrupted');
    const alert = train.getByRole('alert').filter({ hasText: 'The GPU device was lost' });
    expect(await alert.textContent()).toContain('No checkpoint was written yet');
    await alert.getByRole('button', { name: 'Continue on wasm' }).click();
    expect(await waitForBackendBadge(page, /^wasm/)).toBe('wasm');
    expect(await runReaches(page, ['done', 'failed'])).toBe('done');
    expect(await train.locator('.run-status').textContent()).toMatch(/^Done: completed after 30 steps/);
    expect(chrome.consoleErrors).toEqual([]);
  });
});
