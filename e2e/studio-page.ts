import { inject } from 'vitest';
import type { Page } from 'playwright-core';

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
