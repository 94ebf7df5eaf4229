import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { type StudioBrowser, launchChromium } from './browser.ts';
import { loadSelectedModel, steps, studioUrl } from './studio-page.ts';

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
    for (const repo of REPOS) {
      await panel.getByLabel('Add from a Hub repo').fill(repo);
      await panel.getByRole('button', { name: 'Add to the shelf' }).click();
      await expect.poll(async () => (await shelved()).length, { timeout: 60_000 }).toBe(REPOS.indexOf(repo) + 1);
    }
    expect(await shelved()).toEqual(['sentiment', 'topics']);
    expect(await panel.locator('li[data-adapter="topics"]').textContent()).toContain('labels: World, Sports, Business, Sci/Tech');

    await panel.getByLabel('Composition').selectOption('Parallel');
    await panel.getByRole('checkbox', { name: 'sentiment' }).check();
    await panel.getByRole('checkbox', { name: 'topics' }).check();
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
});
