import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type StudioBrowser, launchChromium } from './browser.ts';
import { defaultFixturesDir } from '../src/fixtures/index.ts';
import { modelFacts, offlineHubControls, pasteRepoId, studioUrl, tableRows, waitForBackendBadge } from './studio-page.ts';

// The Model and Data steps against the offline demo Hub, in Chromium with WebGPU on SwiftShader.
let chrome: StudioBrowser;
let page: Page;

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: true });
  page = chrome.page;
});

afterAll(async () => {
  await offlineHubControls.setFaults({});
  await chrome?.close();
});

const modelStep = () => page.getByRole('region', { name: 'Model' });
const dataStep = () => page.getByRole('region', { name: 'Data' });

describe('Model step', () => {
  it('shows a model\'s facts before download, loads it with progress, and runs it on a sentence', async () => {
    await page.goto(studioUrl('hub=offline'));
    await waitForBackendBadge(page, /^WebGPU/);
    await modelStep().getByText('adapter-studio/tiny-bert', { exact: true }).click();
    await modelStep().locator('.model-facts').waitFor();
    const facts = await modelFacts(page);
    expect(facts.Architecture).toBe('bert');
    expect(facts.Layers).toBe('2');
    expect(facts['Hidden size']).toBe('64 (4 heads, feed-forward 128)');
    expect(facts.Parameters).toMatch(/^\d+(\.\d)?K \([\d,]+\)$/);
    expect(facts.Download).toMatch(/^\d+(\.\d)? KiB \(model\.safetensors\)$/);
    expect(facts.Memory).toMatch(/^about [\d.]+ MiB to run, [\d.]+ MiB to train adapters at batch 16$/);

    // Slow the weights down so the progress bar can be seen.
    await offlineHubControls.setFaults({ pathPattern: 'tiny-bert/resolve/main/model\\.safetensors', latencyMs: 1500 });
    await modelStep().getByRole('button', { name: 'Load model' }).click();
    const progress = modelStep().locator('.load-progress');
    await progress.getByRole('progressbar', { name: 'Loading adapter-studio/tiny-bert' }).waitFor();
    expect(await progress.textContent()).toMatch(/Reading|Downloading/);
    const ready = modelStep().getByText('adapter-studio/tiny-bert is ready on WebGPU');
    await ready.waitFor({ timeout: 60_000 });
    await offlineHubControls.setFaults({});
    const parameters = facts.Parameters.match(/\(([\d,]+)\)/)![1];
    expect(await modelStep().locator('.ready').textContent()).toContain(`(${parameters} parameters in F32 from safetensors, 592.8 KiB downloaded)`);
    expect(new URL(page.url()).searchParams.get('model')).toBe('adapter-studio/tiny-bert');

    await modelStep().getByText('Check the encoder').click();
    await modelStep().getByLabel('Sentence to encode').fill('the film was superb');
    await modelStep().getByRole('button', { name: 'Encode' }).click();
    const tokens = modelStep().getByRole('list', { name: 'Tokens' });
    await tokens.waitFor();
    const pieces = await tokens.locator('.token').allTextContents();
    expect(pieces[0]).toBe('[CLS]');
    expect(pieces.at(-1)).toBe('[SEP]');
    expect(pieces.join(' ')).toContain('the film was');
    const ids = (await tokens.locator('.token-id').allTextContents()).map(Number);
    expect(ids).toHaveLength(pieces.length);
    expect(ids.every((id) => Number.isInteger(id) && id >= 0)).toBe(true);
    const vector = await modelStep().getByLabel('First-token vector').textContent();
    expect(vector).toMatch(/^\[(-?\d\.\d{3}, ){8}…\]$/);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: 'docs/screenshots/model.png' });
    expect(chrome.consoleErrors).toEqual([]);
  });

  it('loads the same model from the browser cache after a reload', async () => {
    await page.reload();
    await waitForBackendBadge(page, /^WebGPU/);
    await offlineHubControls.resetStats();
    await modelStep().getByRole('button', { name: 'Load model' }).click();
    await modelStep().getByText('adapter-studio/tiny-bert is ready on WebGPU').waitFor({ timeout: 60_000 });
    expect(await modelStep().locator('.ready').textContent()).toContain('taken from the browser cache');
    const requests = await offlineHubControls.requestsByPath();
    expect(Object.keys(requests).filter((path) => path.endsWith('model.safetensors'))).toEqual([]);
  });

  it('says when a model does not exist', async () => {
    await pasteRepoId(modelStep(), 'model', 'adapter-studio/no-such-model');
    const alert = modelStep().getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^Model "adapter-studio\/no-such-model" was not found on http:\/\/127\.0\.0\.1:\d+\/hub\. Check the spelling/);
    expect(await modelStep().getByRole('button', { name: 'Load model' }).isDisabled()).toBe(true);
  });

  it('asks for a token for a gated model, and loads it once one is given in Settings', async () => {
    await pasteRepoId(modelStep(), 'model', 'adapter-studio/tiny-bert-gated');
    const alert = modelStep().getByRole('alert').filter({ hasText: 'needs an access token' });
    await alert.waitFor();
    await alert.getByRole('button', { name: 'Enter an access token in Settings' }).click();
    const field = page.getByLabel('Access token');
    await expect.poll(() => field.evaluate((el) => el === document.activeElement)).toBe(true);
    await field.fill('hf_test');
    await page.getByRole('button', { name: 'Use token' }).click();
    await modelStep().locator('.model-facts').waitFor();
    expect((await modelFacts(page)).Architecture).toBe('bert · gated');
    await modelStep().getByRole('button', { name: 'Load model' }).click();
    await modelStep().getByText('adapter-studio/tiny-bert-gated is ready on WebGPU').waitFor({ timeout: 60_000 });
    expect(page.url()).not.toContain('hf_test');
    await page.getByRole('button', { name: 'Close' }).click();
  });
});

describe('Data step', () => {
  it('shows columns, labels, splits and the first rows of a demo dataset', async () => {
    await page.goto(studioUrl('hub=offline'));
    await dataStep().getByRole('button', { name: /Tiny sentiment \(demo\)/ }).click();
    await dataStep().getByText('Selected dataset: adapter-studio/tiny-sentiment').waitFor();
    const splits = dataStep().locator('table.split-table');
    await splits.waitFor();
    expect(await tableRows(splits)).toEqual([
      ['train', '1,200', 'labelled', 'train'],
      ['validation', '200', 'labelled', 'validation'],
      ['test', '200', 'labelled', 'test'],
    ]);
    expect(await dataStep().getByLabel('Text', { exact: true }).inputValue()).toBe('text');
    expect(await dataStep().getByLabel('Label', { exact: true }).inputValue()).toBe('label');
    expect(await dataStep().locator('.reason').allTextContents()).toEqual(['column named "text"', 'the dataset marks it as its class label']);
    expect(await dataStep().locator('.label-name').allTextContents()).toEqual(['negative', 'positive']);
    const preview = await tableRows(dataStep().locator('table.preview-table'));
    expect(preview).toHaveLength(5);
    expect(preview.map((row) => row[0])).toEqual(['0', '1', '2', '3', '4']);
    expect(preview.every((row) => ['negative', 'positive'].includes(row[2]))).toBe(true);
    const bars = await dataStep().locator('.label-bars li').evaluateAll((items) => items.map((li) => [(li as HTMLElement).dataset.label, li.querySelector('.bar-count')?.textContent]));
    expect(bars.map(([label]) => label)).toEqual(['negative', 'positive']);
    expect(bars.reduce((sum, [, count]) => sum + Number(count), 0)).toBe(100);

    await dataStep().getByLabel('Train on at most').fill('300');
    await dataStep().locator('table.split-table tr[data-split="train"] td').filter({ hasText: 'at most 300 examples' }).waitFor();
    const url = new URL(page.url());
    expect([url.searchParams.get('dataset'), url.searchParams.get('rows')]).toEqual(['adapter-studio/tiny-sentiment', '300']);
    await page.mouse.move(0, 0);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await dataStep().evaluate((section) => section.scrollIntoView());
    await page.screenshot({ path: 'docs/screenshots/data.png' });

    // The link reproduces the setup.
    await page.goto(url.toString());
    await dataStep().locator('table.split-table tr[data-split="train"] td').filter({ hasText: 'at most 300 examples' }).waitFor();
    expect(await dataStep().getByLabel('Train on at most').inputValue()).toBe('300');
  });

  it('skips the unlabelled test split of tiny-sst2', async () => {
    await dataStep().getByRole('button', { name: /Tiny SST-2 \(demo\)/ }).click();
    const test = dataStep().locator('table.split-table tr[data-split="test"]');
    await test.waitFor();
    expect(await test.locator('td').allTextContents()).toEqual(['200', 'unlabelled', 'skipped: no labels']);
    expect(await dataStep().getByLabel('Text', { exact: true }).inputValue()).toBe('sentence');
  });

  it('says when a dataset has no text column, and lets the user pick columns', async () => {
    await pasteRepoId(dataStep(), 'dataset', 'adapter-studio/numbers-only');
    const alert = dataStep().getByRole('alert').filter({ hasText: 'has no text column' });
    await alert.waitFor();
    // The page says where the pickers are; the core's message names no place on the page.
    expect(await alert.textContent()).toBe('Dataset "adapter-studio/numbers-only" config "default" split "train" has no text column; columns are: x, y. Choose the text column. Use the Text and Label pickers above.');
    const options = await dataStep().getByLabel('Text', { exact: true }).locator('option').allTextContents();
    expect(options).toEqual(['choose…', 'x (numbers)', 'y (whole numbers)']);
    // The datasets library's own types stay behind "Details".
    expect(await dataStep().locator('details.column-types').textContent()).toContain('x Value(float64), y Value(int64)');
  });

  it('reads a dropped CSV file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'adapter-studio-e2e-'));
    try {
      const file = join(dir, 'reviews.csv');
      await writeFile(file, 'review,sentiment\nloved every minute,pos\nwhat a waste of time,neg\na joy to watch,pos\n');
      await dataStep().locator('input[type="file"]').setInputFiles(file);
      await dataStep().getByText('Selected file: reviews.csv').waitFor();
      const preview = dataStep().locator('table.preview-table');
      await preview.waitFor();
      expect(await tableRows(preview)).toEqual([['0', 'loved every minute', 'pos'], ['1', 'what a waste of time', 'neg'], ['2', 'a joy to watch', 'pos']]);
      expect(await dataStep().locator('.label-name').allTextContents()).toEqual(['neg', 'pos']);
      expect(new URL(page.url()).searchParams.has('dataset')).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(chrome.consoleErrors.filter((e) => !/status of 40[14]/.test(e))).toEqual([]);
  });

  it('reads GLUE\'s MRPC TSV whole, warns with counts when it is read as CSV, and decompresses a ZSTD parquet file in the worker', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'adapter-studio-e2e-'));
    try {
      const mrpc = join(process.cwd(), 'src/core/data/testdata/real/mrpc-train.tsv');
      const input = dataStep().locator('input[type="file"]');
      await input.setInputFiles(mrpc);
      await dataStep().getByText('Selected file: mrpc-train.tsv').waitFor();
      await dataStep().locator('table.preview-table').waitFor();
      expect(await dataStep().getByLabel('Text', { exact: true }).inputValue()).toBe('#1 String');
      expect(await dataStep().getByLabel('Second text', { exact: true }).inputValue()).toBe('#2 String');
      expect(await dataStep().getByLabel('Label', { exact: true }).inputValue()).toBe('Quality');
      expect(await dataStep().locator('.notice.warn').count()).toBe(0);

      const asCsv = join(dir, 'mrpc.csv');
      await copyFile(mrpc, asCsv);
      await input.setInputFiles(asCsv);
      const warning = dataStep().locator('.notice.warn').filter({ hasText: 'its 6 lines after the header gave 1 row' });
      await warning.waitFor();
      expect(await warning.textContent()).toContain('File "mrpc.csv": its 6 lines after the header gave 1 row: quoted cells took in 5 line breaks.');

      const zstd = join(dir, 'sentiment.zstd.parquet');
      await copyFile(join(defaultFixturesDir(), 'datasets/adapter-studio/tiny-sentiment-zstd/parquet/default/train/0000.parquet'), zstd);
      await input.setInputFiles(zstd);
      await dataStep().getByText('Selected file: sentiment.zstd.parquet').waitFor();
      const preview = dataStep().locator('table.preview-table');
      await preview.waitFor();
      expect((await tableRows(preview)).length).toBeGreaterThan(0);
      expect(await dataStep().locator('.label-name').allTextContents()).toEqual(['negative', 'positive']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
