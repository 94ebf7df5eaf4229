import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StudioBrowser, launchChromium } from './browser.ts';
import { dataInspected, loadSelectedModel, runReaches, screenshotStep, steps, studioUrl, waitForBackendBadge } from './studio-page.ts';

// Multiple choice from dataset to Try it, on wasm: the Data step reads tiny-swag's SWAG columns and says why, the
// Adapter step shows the multiple-choice head, a short run reports accuracy over the examples (chance is 25%), and
// Try it ranks a context's four endings with their probabilities, the right one first.
let chrome: StudioBrowser;
let page: Page;

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: false });
  page = chrome.page;
});
afterAll(async () => chrome?.close());

const CONTEXT = 'Researchers launched the satellite in orbit on Friday, a spokesman said.';
const CHOICES = ['the home team clinched the championship in overtime.', 'the prime minister signed the peace treaty in Geneva.', 'investors raised interest rates on Wall Street.', 'researchers released a new processor in orbit.'];

describe('multiple choice on tiny-swag (wasm)', () => {
  it('detects the task, trains the multiple-choice head and ranks the endings in Try it', async () => {
    await page.goto(studioUrl('hub=offline&backend=wasm&model=adapter-studio/tiny-bert&dataset=adapter-studio/tiny-swag&lr=0.01&steps=100&evalsteps=50&batch=16&maxlen=64'));
    await waitForBackendBadge(page, /^wasm/);
    await loadSelectedModel(page);
    await dataInspected(page);
    const data = steps.data(page);
    await expect.poll(async () => (await data.textContent()) ?? '').toContain('Task: multiple choice, the right one of 4 choices after the context');
    expect(await data.textContent()).toContain('"label" (ClassLabel) picks one of the 4 choices ending0..ending3: multiple choice, as SWAG');
    await expect.poll(async () => steps.adapter(page).locator('input[name="head-kind"]:checked').locator('xpath=..').textContent()).toMatch(/Multiple choice/);

    await steps.train(page).getByRole('button', { name: 'Train', exact: true }).click();
    expect(await runReaches(page, ['done', 'failed'], 180_000)).toBe('done');
    const log = (await steps.train(page).getByRole('log').textContent()) ?? '';
    const [, accuracy] = /Evaluation at step 100 \(epoch [\d.]+\): accuracy ([\d.]+)%, loss [\d.]+/.exec(log) ?? [];
    // Far above the 25% of a guess among four endings, without macro-F1 (a choice's position is no class).
    expect(Number(accuracy)).toBeGreaterThan(80);
    expect(log).not.toContain('macro-F1');

    const tryStep = steps.try(page);
    await tryStep.getByLabel('Context').fill(CONTEXT);
    await tryStep.getByLabel('Start of each choice (optional)').fill('On Monday');
    for (const [i, choice] of CHOICES.entries()) await tryStep.getByLabel(`Choice ${i + 1}`, { exact: true }).fill(choice);
    await tryStep.getByRole('button', { name: 'Rank the choices' }).click();
    const rows = tryStep.locator('.ranking tbody tr');
    await rows.first().waitFor({ timeout: 60_000 });
    // Every ending once, the most probable first, probabilities summing to 1; the caption names the first.
    const ranked = await rows.evaluateAll((trs) => trs.map((tr) => ({ choice: tr.getAttribute('data-choice'), index: Number(tr.getAttribute('data-index')), probability: Number(tr.getAttribute('data-probability')) })));
    expect(ranked.map((r) => r.choice)).toEqual(ranked.map((r) => CHOICES[r.index]));
    expect(ranked.map((r) => r.index).sort()).toEqual([0, 1, 2, 3]);
    expect(ranked.map((r) => r.probability)).toEqual([...ranked.map((r) => r.probability)].sort((a, b) => b - a));
    expect(ranked.reduce((s, r) => s + r.probability, 0)).toBeCloseTo(1, 4);
    expect(await tryStep.locator('.ranking figcaption strong').getAttribute('data-choice')).toBe(ranked[0].choice);
    // A Sci/Tech context: the Sci/Tech ending is right (the CLI's run with these settings gives it 99.3%).
    expect(ranked[0].choice).toBe(CHOICES[3]);
    await screenshotStep(page, tryStep, 'docs/screenshots/try-multiple-choice.png');
    console.log(`tiny-swag after 100 steps: accuracy ${accuracy}%; Try it chose ${JSON.stringify(ranked[0].choice)} (${(ranked[0].probability * 100).toFixed(1)}%)`);
  });
});
