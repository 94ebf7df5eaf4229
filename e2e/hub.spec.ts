import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type StudioBrowser, launchChromium } from './browser.ts';
import { studioUrl, waitForBackendBadge } from './studio-page.ts';

// Searching models and datasets on the offline demo Hub, and the way there when huggingface.co is out of reach
// (this machine has no internet).
let chrome: StudioBrowser;

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: true });
});

afterAll(async () => {
  await chrome?.close();
});

/** The repository ids listed in a step's results once its search settled. */
async function listedIds(page: Page, step: 'Model' | 'Data'): Promise<string[]> {
  const section = page.getByRole('region', { name: step });
  await section.locator('.search-status').filter({ hasText: /^\d+ (model|dataset)s?|^No / }).waitFor({ timeout: 30_000 });
  return section.locator('.result-id').allTextContents();
}

describe('Hub search', () => {
  it('lists the demo models and datasets, narrows by the query, and selects by mouse and keyboard', async () => {
    const { page } = chrome;
    await page.goto(studioUrl('hub=offline'));
    const models = await listedIds(page, 'Model');
    expect(models).toEqual(expect.arrayContaining(['adapter-studio/tiny-bert', 'adapter-studio/tiny-roberta', 'adapter-studio/tiny-distilbert']));
    expect(await listedIds(page, 'Data')).toContain('adapter-studio/tiny-sentiment');

    const modelStep = page.getByRole('region', { name: 'Model' });
    await modelStep.getByLabel('Search models').fill('roberta');
    await modelStep.locator('.search-status').filter({ hasText: 'matching “roberta”' }).waitFor();
    const narrowed = await modelStep.locator('.result-id').allTextContents();
    expect(narrowed).toContain('adapter-studio/tiny-roberta');
    expect(narrowed).not.toContain('adapter-studio/tiny-bert');
    expect(narrowed.every((id) => id.includes('roberta'))).toBe(true);
    await modelStep.getByText('adapter-studio/tiny-roberta', { exact: true }).click();
    await modelStep.getByText('Selected model: adapter-studio/tiny-roberta').waitFor();

    // Keyboard: from the search box, Tab reaches the result list, Space picks the focused dataset, arrows move the pick.
    const dataStep = page.getByRole('region', { name: 'Data' });
    await dataStep.getByLabel('Search datasets').fill('sentiment');
    await dataStep.locator('.search-status').filter({ hasText: 'matching “sentiment”' }).waitFor();
    const datasets = await dataStep.locator('.result-id').allTextContents();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    await dataStep.getByText(`Selected dataset: ${datasets[0]}`).waitFor();
    for (let i = 1; i <= datasets.indexOf('adapter-studio/tiny-sentiment'); i++) await page.keyboard.press('ArrowDown');
    await dataStep.getByText('Selected dataset: adapter-studio/tiny-sentiment').waitFor();

    await modelStep.getByLabel('Search models').fill('');
    await modelStep.locator('.search-status').filter({ hasText: /^\d+ models$/ }).waitFor();
    await modelStep.getByText('adapter-studio/tiny-bert', { exact: true }).click();
    await modelStep.getByText('Selected model: adapter-studio/tiny-bert').waitFor();
    await page.mouse.move(0, 0);
    await waitForBackendBadge(page, /^WebGPU/);
    await page.screenshot({ path: 'docs/screenshots/studio.png' });
    expect(chrome.consoleErrors).toEqual([]);
  });

  it('fits a narrow screen without sideways scrolling', async () => {
    const { page } = chrome;
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(studioUrl('hub=offline'));
    await listedIds(page, 'Model');
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('says when huggingface.co cannot be reached and offers the offline demo Hub', async () => {
    const { page } = chrome;
    await page.goto(studioUrl());
    const notice = page.getByRole('alert').filter({ hasText: "The Hugging Face Hub can't be reached from here" });
    await notice.waitFor({ timeout: 30_000 });
    await notice.getByRole('button', { name: 'Use the offline demo Hub' }).click();
    expect(new URL(page.url()).searchParams.get('hub')).toBe('offline');
    expect(await listedIds(page, 'Model')).toContain('adapter-studio/tiny-bert');
    expect(await notice.count()).toBe(0);
    // The failed requests to huggingface.co are the only errors the browser may log.
    expect(chrome.consoleErrors.filter((e) => !e.includes('huggingface.co'))).toEqual([]);
  });
});
