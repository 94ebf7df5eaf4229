import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';

/** Debian's Chromium; its SwiftShader gives WebGPU on a GPU-less machine. Never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium';
const QUIET_FLAGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface StudioBrowser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions of the page and its workers, as "text (where)". */
  consoleErrors: string[];
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile; `webgpu: false` leaves WebGPU off (no adapter), as on an unsupported machine;
 * `serviceWorkers: 'block'` refuses every service worker registration; `args` are further Chromium flags (the GPU
 * bench's for a real adapter).
 */
export async function launchChromium({ webgpu, serviceWorkers = 'allow', args = [] }: { webgpu: boolean; serviceWorkers?: 'allow' | 'block'; args?: string[] }): Promise<StudioBrowser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'adapter-studio-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...QUIET_FLAGS, ...(webgpu ? ['--enable-unsafe-webgpu'] : []), ...args],
    viewport: { width: 1280, height: 800 },
    serviceWorkers,
  });
  const consoleErrors: string[] = [];
  context.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url || 'no location'})`);
  });
  context.on('weberror', (error) => consoleErrors.push(`uncaught: ${error.error().message}`));
  const page = context.pages()[0] ?? await context.newPage();
  return {
    context,
    page,
    consoleErrors,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
