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
