import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { type StudioBrowser, launchChromium } from './browser.ts';
import { dataInspected, loadSelectedModel, runReaches, steps, studioUrl } from './studio-page.ts';

// The adapter shelf in Try it: two adapters from AdapterHub-style repos of the offline Hub, run as the adapters
// library's Parallel (one forward, each head on its own copy): both heads' outputs side by side, equal to the CLI's
// predict --compose parallel on the same Hub; the setup and the shelf's repos in the URL, loaded back from it on a click.
let chrome: StudioBrowser;
let page: Page;

const MODEL = 'adapter-studio/tiny-roberta';
const REPOS = ['AdapterHub/tiny-roberta-pf-sentiment', 'AdapterHub/tiny-roberta-pf-topics'];
const TEXT = 'The team won the final after a long game.';

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: false });
  page = chrome.page;
});
afterAll(async () => { await chrome?.close(); });

const shelfPanel = () => steps.try(page).locator('.shelf');
const shelved = () => shelfPanel().locator('.shelf-list li').evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.adapter));

/** Puts the two Hub repos on the shelf, one after the other. */
async function shelveRepos(): Promise<void> {
  const panel = shelfPanel();
  for (const repo of REPOS) {
    await panel.getByLabel('Add from a Hub repo').fill(repo);
    await panel.getByRole('button', { name: 'Add to the shelf' }).click();
    await expect.poll(async () => (await shelved()).length, { timeout: 60_000 }).toBe(REPOS.indexOf(repo) + 1);
  }
}

/** Each head's label probabilities, read from the side-by-side outputs. */
function headOutputs(): Promise<Record<string, Record<string, number>>> {
  return shelfPanel().locator('figure.composed-head').evaluateAll((figures) => Object.fromEntries(figures.map((figure) => [
    (figure as HTMLElement).dataset.head!,
    Object.fromEntries([...figure.querySelectorAll('tr[data-label]')].map((tr) => [(tr as HTMLElement).dataset.label!, Number((tr as HTMLElement).dataset.probability)])),
  ])));
}

describe('Adapter shelf and Parallel in Try it (wasm)', () => {
  it('loads two Hub adapters, runs Parallel with both heads side by side, and keeps the setup in the link', async () => {
    await page.goto(studioUrl(`hub=offline&backend=wasm&model=${MODEL}`));
    await loadSelectedModel(page);
    const panel = shelfPanel();
    await shelveRepos();
    expect(await shelved()).toEqual(['sentiment', 'topics']);
    expect(await panel.locator('li[data-adapter="topics"]').textContent()).toContain('labels: World, Sports, Business, Sci/Tech');

    await panel.getByLabel('Composition').selectOption('Parallel');
    await panel.locator('.composition').getByRole('checkbox', { name: 'sentiment' }).check();
    await panel.locator('.composition').getByRole('checkbox', { name: 'topics' }).check();
    expect(await panel.locator('[data-composition]').textContent()).toBe('Parallel[sentiment, topics]');
    const search = new URL(page.url()).searchParams;
    expect(search.get('compose')).toBe('parallel:sentiment,topics');
    expect(search.get('shelf')).toBe(REPOS.join(','));

    await panel.getByLabel('Text for the composition').fill(TEXT);
    await panel.getByRole('button', { name: 'Run Parallel' }).click();
    await panel.locator('figure.composed-head[data-head="topics"]').waitFor({ timeout: 60_000 });
    const outputs = await headOutputs();
    expect(Object.keys(outputs)).toEqual(['sentiment', 'topics']);

    // The same composition on the command line, against the same Hub.
    const out: string[] = [];
    const code = await main(['predict', '--model', MODEL, '--adapter', REPOS[0], '--adapter', REPOS[1], '--compose', 'parallel', '--text', TEXT, '--hub', `${inject('studioUrl')}/hub`, '--json'], { out: (l) => out.push(l), err: (l) => out.push(l) });
    expect(code, out.join('\n')).toBe(0);
    const cli = JSON.parse(out[0]) as { heads: { adapter: string; probabilities: number[] }[] };
    const labels: Record<string, string[]> = { sentiment: ['negative', 'positive'], topics: ['World', 'Sports', 'Business', 'Sci/Tech'] };
    for (const head of cli.heads) {
      labels[head.adapter].forEach((label, i) => expect(outputs[head.adapter][label]).toBeCloseTo(head.probabilities[i], 4));
    }

    // The link brings the setup back; its adapters load on a click once the model is there.
    await page.goto(page.url());
    await loadSelectedModel(page);
    await panel.getByText(`The link puts ${REPOS.join(', ')} on the shelf.`).waitFor();
    await panel.getByRole('button', { name: 'Load them' }).click();
    await expect.poll(shelved, { timeout: 60_000 }).toEqual(['sentiment', 'topics']);
    expect(await panel.locator('[data-composition]').textContent()).toBe('Parallel[sentiment, topics]');
  });

  it('fuses the two shelved adapters, trains the fusion a few steps, tries it with its attention map, downloads files the CLI predicts the same with, and keeps it in Your adapters across a reload', async () => {
    await page.goto(studioUrl(`hub=offline&backend=wasm&model=${MODEL}&dataset=adapter-studio/tiny-sentiment&rows=32&lr=0.001&steps=3&batch=8`));
    await loadSelectedModel(page);
    await dataInspected(page);
    const panel = shelfPanel();
    await shelveRepos();
    const fusion = panel.locator('form.fusion');
    await fusion.getByRole('checkbox', { name: 'sentiment' }).check();
    await fusion.getByRole('checkbox', { name: 'topics' }).check();
    await fusion.getByLabel('Fusion config').selectOption('dynamic');
    await fusion.getByLabel('New head\'s name').fill('mood');
    await fusion.getByRole('button', { name: 'Train the fusion' }).click();
    expect(await runReaches(page, ['done', 'failed'])).toBe('done');
    await fusion.locator('.trained-fusion[data-fusion="sentiment,topics"]').waitFor({ timeout: 60_000 });

    await fusion.getByLabel('Text for the fusion').fill(TEXT);
    await fusion.getByRole('button', { name: 'Try the fusion' }).click();
    await fusion.locator('table.attention-map').first().waitFor({ timeout: 60_000 });
    const outputs = await headOutputs();
    expect(Object.keys(outputs)).toEqual(['mood']);
    expect(Object.keys(outputs.mood)).toEqual(['negative', 'positive']);
    expect(await fusion.locator('table.attention-map').count()).toBe(2);
    const weights = await fusion.locator('table.attention-map').first().locator('tbody tr').evaluateAll((rows) => rows.map((tr) => [...tr.querySelectorAll('td')].map((td) => Number((td as HTMLElement).dataset.weight))));
    expect(weights).toHaveLength(2);
    weights[0].forEach((w, t) => expect(w + weights[1][t]).toBeCloseTo(1, 5));

    const [file] = await Promise.all([page.waitForEvent('download'), fusion.getByRole('button', { name: 'Download the fusion (zip)' }).click()]);
    const dir = mkdtempSync(join(tmpdir(), 'adapter-studio-e2e-fusion-'));
    try {
      const path = join(dir, file.suggestedFilename());
      await file.saveAs(path);
      const files = unzipSync(new Uint8Array(readFileSync(path)));
      expect(Object.keys(files)).toEqual(expect.arrayContaining(['sentiment,topics/adapter_fusion_config.json', 'sentiment/adapter_config.json', 'topics/adapter_config.json', 'mood/head_config.json']));
      const out = join(dir, 'fusion');
      for (const [name, bytes] of Object.entries(files)) {
        mkdirSync(dirname(join(out, name)), { recursive: true });
        writeFileSync(join(out, name), bytes);
      }
      // The downloaded files on the command line give the page's probabilities.
      const lines: string[] = [];
      const code = await main(['predict', '--model', MODEL, '--adapter', out, '--text', TEXT, '--hub', `${inject('studioUrl')}/hub`, '--json'], { out: (l) => lines.push(l), err: (l) => lines.push(l) });
      expect(code, lines.join('\n')).toBe(0);
      const cli = JSON.parse(lines[0]) as { probabilities: number[] };
      ['negative', 'positive'].forEach((label, i) => expect(outputs.mood[label]).toBeCloseTo(cli.probabilities[i], 4));

      // The fusion is kept in Your adapters: after a reload it downloads again with the same files.
      expect(await fusion.locator('.trained-fusion').textContent()).toContain('Kept in Your adapters');
      await page.reload();
      const kept = steps.try(page).locator('.adapter-library').getByRole('listitem', { name: 'Kept fusion sentiment,topics' });
      await kept.waitFor({ timeout: 60_000 });
      const [again] = await Promise.all([page.waitForEvent('download'), kept.getByRole('button', { name: 'Download (zip)' }).click()]);
      const againPath = join(dir, `kept-${again.suggestedFilename()}`);
      await again.saveAs(againPath);
      const keptFiles = unzipSync(new Uint8Array(readFileSync(againPath)));
      expect(Object.keys(keptFiles).sort()).toEqual(Object.keys(files).sort());
      for (const [name, bytes] of Object.entries(files)) expect(Buffer.from(keptFiles[name]).equals(Buffer.from(bytes)), name).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
