import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StudioBrowser, launchChromium } from './browser.ts';
import { dataInspected, loadSelectedModel, runReaches, screenshotStep, steps, studioUrl, waitForBackendBadge } from './studio-page.ts';

// Extractive question answering from dataset to Try it, on wasm: the Data step reads tiny-squad's SQuAD columns and
// says why, the Adapter step shows the QA head, a short run reports SQuAD's exact match and F1, and Try it marks the
// best span in the paragraph with its score.
let chrome: StudioBrowser;
let page: Page;

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: false });
  page = chrome.page;
});
afterAll(async () => chrome?.close());

const PARAGRAPH = 'The mayor bought the big house. The teacher fixed the old road last week. The doctor closed a small shop.';

describe('question answering on tiny-squad (wasm)', () => {
  it('detects the task, trains the QA head and marks the answer span in Try it', async () => {
    await page.goto(studioUrl('hub=offline&backend=wasm&model=adapter-studio/tiny-bert&dataset=adapter-studio/tiny-squad&lr=0.01&steps=40&evalsteps=40&batch=16&maxlen=96'));
    await waitForBackendBadge(page, /^wasm/);
    await loadSelectedModel(page);
    await dataInspected(page);
    const data = steps.data(page);
    await expect.poll(async () => (await data.textContent()) ?? '').toContain('extractive question answering');
    expect(await data.textContent()).toContain('"answers" holds answer spans');
    await expect.poll(async () => steps.adapter(page).locator('input[name="head-kind"]:checked').locator('xpath=..').textContent()).toMatch(/Question answering/);

    await steps.train(page).getByRole('button', { name: 'Train', exact: true }).click();
    expect(await runReaches(page, ['done', 'failed'], 120_000)).toBe('done');
    const log = (await steps.train(page).getByRole('log').textContent()) ?? '';
    const [, exact, f1] = /Evaluation at step 40 \(epoch [\d.]+\): exact match ([\d.]+)%, F1 ([\d.]+)%/.exec(log) ?? [];
    expect(Number(f1)).toBeGreaterThanOrEqual(Number(exact));
    const best = `exact match ${exact}%, F1 ${f1}%`;

    const tryStep = steps.try(page);
    await tryStep.getByLabel('Question').fill('When did it happen?');
    await tryStep.getByLabel('Paragraph').fill(PARAGRAPH);
    await tryStep.getByRole('button', { name: 'Answer' }).click();
    const mark = tryStep.locator('.answer-context mark');
    await mark.waitFor({ timeout: 60_000 });
    const context = tryStep.locator('.answer-context');
    const [start, end] = [Number(await context.getAttribute('data-start')), Number(await context.getAttribute('data-end'))];
    const answer = (await mark.textContent()) ?? '';
    // The marked text is the answer shown, at the span the worker returned, inside the paragraph as typed.
    expect(answer).toBe([...PARAGRAPH].slice(start, end).join(''));
    expect(await tryStep.locator('figcaption strong').getAttribute('data-answer')).toBe(answer);
    expect(await context.textContent()).toBe(PARAGRAPH);
    expect(Number(await mark.getAttribute('data-score'))).toBeGreaterThan(-Infinity);
    await screenshotStep(page, tryStep, 'docs/screenshots/try-qa.png');
    console.log(`tiny-squad after 40 steps: ${best}; Try it answered ${JSON.stringify(answer)}`);
  });
});
