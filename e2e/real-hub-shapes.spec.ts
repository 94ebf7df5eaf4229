import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type StudioBrowser, launchChromium } from './browser.ts';
import { dataInspected, modelFacts, offlineHubControls, pasteRepoId, runReaches, steps, studioUrl, tableRows, waitForBackendBadge } from './studio-page.ts';

// Repos shaped like real, older Hub repos, in Chromium with WebGPU on SwiftShader: a BERT with only a slow tokenizer's
// files (vocab.txt, no tokenizer.json) and only pytorch_model.bin on main, whose refs/pr/1 adds model.safetensors (as
// the Hub's conversion bot does), and a dataset whose parquet pages are ZSTD-compressed. Their twins with the usual
// files (tiny-bert, tiny-sentiment) hold the same vocabulary, weights and rows, so they are the reference.
let chrome: StudioBrowser;
let page: Page;

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: true });
  page = chrome.page;
});

afterAll(async () => {
  await chrome?.close();
});

const VOCAB_ONLY = 'adapter-studio/tiny-bert-vocab-only';
const SENTENCE = 'the heist film was superb, the cast dull';

/** Loads the selected model and waits for "<id> ... is ready on WebGPU"; returns the ready line. */
async function load(ready: string): Promise<string> {
  await steps.model(page).getByRole('button', { name: 'Load model' }).click();
  const line = steps.model(page).locator('.ready').filter({ hasText: ready });
  await line.waitFor({ timeout: 90_000 });
  return (await line.textContent()) ?? '';
}

/** Runs "Check the encoder" on SENTENCE: the tokens, their ids and the shown vector. */
async function encode(): Promise<{ tokens: string[]; ids: number[]; vector: string }> {
  const model = steps.model(page);
  const check = model.locator('details.encoder-check');
  if (await check.getAttribute('open') === null) await model.getByText('Check the encoder').click();
  await model.getByLabel('Sentence to encode').fill(SENTENCE);
  await model.getByRole('button', { name: 'Encode' }).click();
  const tokens = model.getByRole('list', { name: 'Tokens' });
  await tokens.waitFor();
  return {
    tokens: await tokens.locator('.token').allTextContents(),
    ids: (await tokens.locator('.token-id').allTextContents()).map(Number),
    vector: (await model.getByLabel('First-token vector').textContent()) ?? '',
  };
}

describe('a repo without tokenizer.json, with safetensors only in refs/pr/1', () => {
  let reference: Awaited<ReturnType<typeof encode>>;

  it('tiny-bert (tokenizer.json, safetensors) gives the reference tokens and vector', async () => {
    await page.goto(studioUrl('hub=offline'));
    await waitForBackendBadge(page, /^WebGPU/);
    await pasteRepoId(steps.model(page), 'model', 'adapter-studio/tiny-bert');
    await load('adapter-studio/tiny-bert is ready on WebGPU');
    reference = await encode();
    expect(reference.tokens[0]).toBe('[CLS]');
    expect(reference.tokens.at(-1)).toBe('[SEP]');
    expect(reference.tokens).toContain('heist');
  });

  it('loads main (vocab.txt, pytorch_model.bin) and encodes like tiny-bert', async () => {
    await pasteRepoId(steps.model(page), 'model', VOCAB_ONLY);
    const facts = await modelFacts(page);
    expect(facts.Revision).toMatch(/^main \(commit [0-9a-f]{7}\)$/);
    expect(facts.Download).toMatch(/\(pytorch_model\.bin\)$/);
    const ready = await load(`${VOCAB_ONLY} is ready on WebGPU`);
    expect(ready).toContain('from pytorch');
    expect(await encode()).toEqual(reference);
  });

  it('reads refs/pr/1 when asked: its own commit, model.safetensors, the same encoder', async () => {
    const mainFacts = await modelFacts(page);
    const model = steps.model(page);
    await model.getByLabel('Revision').fill('refs/pr/1');
    await model.getByRole('button', { name: 'Use revision' }).click();
    await model.locator('.model-facts dd').filter({ hasText: /^refs\/pr\/1 / }).waitFor();
    const facts = await modelFacts(page);
    expect(facts.Revision).toMatch(/^refs\/pr\/1 \(commit [0-9a-f]{7}\)$/);
    expect(facts.Revision.slice(-8)).not.toBe(mainFacts.Revision.slice(-8));
    expect(facts.Download).toMatch(/\(model\.safetensors\)$/);

    await offlineHubControls.resetStats();
    const ready = await load(`${VOCAB_ONLY} at refs/pr/1 is ready on WebGPU`);
    expect(ready).toContain('from safetensors');
    const weights = Object.keys(await offlineHubControls.requestsByPath()).map(decodeURIComponent).filter((path) => /(model\.safetensors|pytorch_model\.bin)$/.test(path));
    expect(weights).toEqual([`/${VOCAB_ONLY}/resolve/refs/pr/1/model.safetensors`]);
    expect(await encode()).toEqual(reference);

    // A link (or a reload) keeps the revision.
    expect(new URL(page.url()).searchParams.get('revision')).toBe('refs/pr/1');
    await page.reload();
    await model.locator('.model-facts dd').filter({ hasText: /^refs\/pr\/1 / }).waitFor();
    expect(await model.getByLabel('Revision').inputValue()).toBe('refs/pr/1');
    expect(chrome.consoleErrors).toEqual([]);
  });
});

describe('a dataset with ZSTD-compressed parquet', () => {
  it('shows the same splits, columns, labels and first rows as tiny-sentiment', async () => {
    const data = steps.data(page);
    await data.getByRole('button', { name: /Tiny sentiment \(demo\)/ }).click();
    await data.getByText('Selected dataset: adapter-studio/tiny-sentiment', { exact: true }).waitFor();
    const splits = await tableRows(data.locator('table.split-table'));
    const preview = await tableRows(data.locator('table.preview-table'));
    expect(preview).toHaveLength(5);

    await offlineHubControls.resetStats();
    await pasteRepoId(data, 'dataset', 'adapter-studio/tiny-sentiment-zstd');
    await data.getByText('Selected dataset: adapter-studio/tiny-sentiment-zstd').waitFor();
    expect(await tableRows(data.locator('table.split-table'))).toEqual(splits);
    expect(splits.map((row) => row.slice(0, 2))).toEqual([['train', '1,200'], ['validation', '200'], ['test', '200']]);
    expect(await data.getByLabel('Text', { exact: true }).inputValue()).toBe('text');
    expect(await data.getByLabel('Label', { exact: true }).inputValue()).toBe('label');
    expect(await data.locator('.label-name').allTextContents()).toEqual(['negative', 'positive']);
    expect(await tableRows(data.locator('table.preview-table'))).toEqual(preview);
  });

  it('trains on it: the studio\'s worker reads the ZSTD pages of the parquet export by range', async () => {
    await page.goto(studioUrl('hub=offline&backend=wasm&model=adapter-studio/tiny-bert&dataset=adapter-studio/tiny-sentiment-zstd&rows=32&lr=0.001&steps=2&batch=8'));
    await load('adapter-studio/tiny-bert is ready on');
    await dataInspected(page);
    await offlineHubControls.resetStats();
    await steps.train(page).getByRole('button', { name: 'Train', exact: true }).click();
    expect(await runReaches(page, ['done', 'failed'])).toBe('done');
    const parquet = Object.keys(await offlineHubControls.requestsByPath()).map(decodeURIComponent).filter((path) => path.endsWith('.parquet'));
    expect(parquet).toEqual(expect.arrayContaining([
      '/datasets/adapter-studio/tiny-sentiment-zstd/resolve/refs/convert/parquet/default/train/0000.parquet',
      '/datasets/adapter-studio/tiny-sentiment-zstd/resolve/refs/convert/parquet/default/validation/0000.parquet',
    ]));
    expect(chrome.consoleErrors.filter((e) => !/status of 40[14]/.test(e))).toEqual([]);
  });
});
