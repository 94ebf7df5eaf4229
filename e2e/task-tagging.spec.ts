import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StudioBrowser, launchChromium } from './browser.ts';
import { dataInspected, loadSelectedModel, runReaches, screenshotStep, steps, studioUrl, waitForBackendBadge } from './studio-page.ts';

// Token classification from dataset to Try it, on wasm: the Data step reads tiny-ner's tokens / ner_tags and says
// why, the Adapter step shows the tagging head, a run reports seqeval's entity F1 and token accuracy, and Try it
// highlights the entities of a typed text with their labels and probabilities.
let chrome: StudioBrowser;
let page: Page;

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: false });
  page = chrome.page;
});
afterAll(async () => chrome?.close());

const TEXT = 'the police chief of the city council visited wall street on monday .';

describe('token classification on tiny-ner (wasm)', () => {
  it('detects the task, trains the tagging head and highlights entities in Try it', async () => {
    await page.goto(studioUrl('hub=offline&backend=wasm&model=adapter-studio/tiny-bert&dataset=adapter-studio/tiny-ner&lr=0.03&steps=150&evalsteps=75&batch=16&maxlen=32'));
    await waitForBackendBadge(page, /^wasm/);
    await loadSelectedModel(page);
    await dataInspected(page);
    const data = steps.data(page);
    await expect.poll(async () => (await data.textContent()) ?? '').toContain('Task: token classification, a tag per word (9)');
    expect(await data.textContent()).toContain('"ner_tags" holds one tag per word (List(ClassLabel) of 9 names): token classification, as conll2003');
    // The preview shows each row's entities, and the bars count words per tag.
    expect(await data.locator('.preview-table tbody').textContent()).toMatch(/(PER|ORG|LOC|MISC) "[a-z ]+"/);
    expect(await data.locator('.label-bars figcaption').textContent()).toMatch(/^Words per tag in the first \d+ examples$/);
    await expect.poll(async () => steps.adapter(page).locator('input[name="head-kind"]:checked').locator('xpath=..').textContent()).toMatch(/Token classification/);

    await steps.train(page).getByRole('button', { name: 'Train', exact: true }).click();
    expect(await runReaches(page, ['done', 'failed'], 240_000)).toBe('done');
    const log = (await steps.train(page).getByRole('log').textContent()) ?? '';
    const [, entityF1, tokenAccuracy] = /Evaluation at step 150 \(epoch [\d.]+\): entity F1 ([\d.]+), token accuracy ([\d.]+)%/.exec(log) ?? [];
    expect(Number(tokenAccuracy)).toBeGreaterThan(80);
    expect(Number(entityF1)).toBeGreaterThan(0.5);

    const tryStep = steps.try(page);
    await tryStep.getByLabel('Text to tag').fill(TEXT);
    await tryStep.getByRole('button', { name: 'Tag', exact: true }).click();
    const marks = tryStep.locator('.tagged-text mark.entity');
    await marks.first().waitFor({ timeout: 60_000 });
    const entities = await marks.evaluateAll((nodes) => nodes.map((n) => ({
      label: n.getAttribute('data-label'), probability: Number(n.getAttribute('data-probability')), text: n.querySelector('.entity-text')?.textContent, shown: n.querySelector('.entity-label')?.textContent,
    })));
    for (const e of entities) {
      expect(['PER', 'ORG', 'LOC', 'MISC']).toContain(e.label);
      expect(TEXT).toContain(e.text);
      expect(e.probability).toBeGreaterThan(0);
      expect(e.probability).toBeLessThanOrEqual(1);
      expect(e.shown).toBe(`${e.label} ${(e.probability * 100).toFixed(1)}%`);
    }
    // The two the demo data teaches first.
    expect(entities.map((e) => `${e.label} ${e.text}`)).toEqual(expect.arrayContaining(['PER police chief', 'ORG city council']));
    // Every word is in the table with its tag, in the text's order.
    const rows = await tryStep.locator('.tagged tbody tr').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-word')));
    expect(rows).toEqual(TEXT.split(' '));
    await screenshotStep(page, tryStep, 'docs/screenshots/try-ner.png');
    console.log(`tiny-ner after 150 steps: entity F1 ${entityF1}, token accuracy ${tokenAccuracy}%; Try it found ${entities.map((e) => `${e.label} "${e.text}"`).join(', ')}`);
  });
});
