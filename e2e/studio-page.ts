import { inject } from 'vitest';
import type { Locator, Page } from 'playwright-core';

/** The studio's address with these query parameters, e.g. `studioUrl('hub=offline')`. */
export function studioUrl(query = ''): string {
  return `${inject('studioUrl')}/${query ? `?${query}` : ''}`;
}

/** Waits until the header's backend badge matches `text`, and returns what it says. */
export async function waitForBackendBadge(page: Page, text: RegExp, timeout = 60_000): Promise<string> {
  const badge = page.locator('.backend-badge').filter({ hasText: text });
  await badge.waitFor({ timeout });
  return (await badge.textContent()) ?? '';
}

/** One row of the self-test table, read from its data attributes (full-precision numbers). */
export interface SelfTestRow {
  name: string;
  path: string;
  maxAbsError: number;
  passed: boolean;
}

/** Opens Settings, presses the self-test button, and reads the results table once it appears. */
export async function runSelfTest(page: Page, buttonName: string, timeout = 120_000): Promise<{ caption: string; rows: SelfTestRow[] }> {
  const settings = page.getByRole('button', { name: 'Settings' });
  if (await settings.getAttribute('aria-expanded') !== 'true') await settings.click();
  await page.getByRole('button', { name: buttonName }).click();
  const table = page.locator('table.self-test');
  await table.waitFor({ timeout });
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => {
    const data = (tr as HTMLElement).dataset;
    return { name: data.check ?? '', path: data.path ?? '', maxAbsError: Number(data.error), passed: data.passed === 'true' };
  }));
  return { caption: (await table.locator('caption').textContent()) ?? '', rows };
}

/** The offline Hub's test controls (src/hub-server): faults to inject, and traffic counters. */
export const offlineHubControls = {
  async setFaults(faults: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${inject('studioUrl')}/hub/__faults`, { method: 'POST', body: JSON.stringify(faults) });
    if (!res.ok) throw new Error(`Setting faults failed: HTTP ${res.status} ${await res.text()}`);
  },
  async resetStats(): Promise<void> {
    await fetch(`${inject('studioUrl')}/hub/__stats/reset`, { method: 'POST' });
  },
  /** Requests answered per path since the last reset. */
  async requestsByPath(): Promise<Record<string, number>> {
    const stats = await (await fetch(`${inject('studioUrl')}/hub/__stats`)).json() as { byPath: Record<string, { requests: number }> };
    return Object.fromEntries(Object.entries(stats.byPath).map(([path, s]) => [path, s.requests]));
  },
};

/** The studio's step sections, found by their headings. */
export const steps = {
  model: (page: Page) => page.getByRole('region', { name: 'Model' }),
  adapter: (page: Page) => page.getByRole('region', { name: 'Adapter' }),
  data: (page: Page) => page.getByRole('region', { name: 'Data' }),
  train: (page: Page) => page.getByRole('region', { name: 'Train' }),
  try: (page: Page) => page.getByRole('region', { name: 'Try it' }),
  export: (page: Page) => page.getByRole('region', { name: 'Export' }),
};

/** Types a Hub id into a step's "Or paste a model/dataset id" form and submits it. */
export async function pasteRepoId(step: Locator, noun: 'model' | 'dataset', id: string): Promise<void> {
  await step.getByLabel(`Or paste a ${noun} id`).fill(id);
  await step.getByRole('button', { name: `Use this ${noun}` }).click();
}

/** The Model step's facts list (details before download) as { term: definition }, once it shows. */
export async function modelFacts(page: Page): Promise<Record<string, string>> {
  const facts = steps.model(page).locator('.model-facts');
  await facts.waitFor();
  const terms = await facts.locator('dt').allTextContents();
  const values = await facts.locator('dd').allTextContents();
  return Object.fromEntries(terms.map((t, i) => [t, values[i]]));
}

/** Rows of a table as arrays of cell texts, once the table shows. */
export async function tableRows(table: Locator): Promise<string[][]> {
  await table.waitFor({ timeout: 60_000 });
  return table.locator('tbody tr').evaluateAll((rows) => rows.map((row) => [...row.children].map((cell) => cell.textContent ?? '')));
}

/** Loads the selected model (the Model step's button) and waits until it is ready. */
export async function loadSelectedModel(page: Page, timeout = 60_000): Promise<void> {
  await steps.model(page).getByRole('button', { name: 'Load model' }).click();
  await steps.model(page).locator('.ready').waitFor({ timeout });
}

/** Waits until the Data step shows its split table (the data is inspected). */
export async function dataInspected(page: Page): Promise<void> {
  await steps.data(page).locator('table.split-table').waitFor({ timeout: 60_000 });
}

/** The Train step's run status once it reaches one of `statuses` (the run element's data-status). */
export async function runReaches(page: Page, statuses: string[], timeout = 240_000): Promise<string> {
  const run = steps.train(page).locator(statuses.map((s) => `.run[data-status="${s}"]`).join(', '));
  await run.waitFor({ timeout });
  return (await run.getAttribute('data-status'))!;
}

/** The step the Train step's progress bar shows (0 before the first). */
export async function trainedSteps(page: Page): Promise<number> {
  const bar = steps.train(page).getByRole('progressbar', { name: 'Training progress' });
  return (await bar.count()) ? Number(await bar.getAttribute('value')) : 0;
}

/** Scrolls a step to the top (below the sticky stepper) and takes a 1280×800 screenshot for the README. */
export async function screenshotStep(page: Page, section: Locator, path: string): Promise<void> {
  await page.mouse.move(0, 0);
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await section.evaluate((element) => element.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path });
}
