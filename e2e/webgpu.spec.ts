import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StudioBrowser, launchChromium } from './browser.ts';
import { runSelfTest, studioUrl, waitForBackendBadge } from './studio-page.ts';

// Chromium with WebGPU on SwiftShader: the backend badge, and our WGSL kernels checked against the cpu backend.
let chrome: StudioBrowser;

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: true });
});

afterAll(async () => {
  await chrome?.close();
});

describe('WebGPU in Chromium (SwiftShader)', () => {
  it('starts on WebGPU and says that the adapter is software', async () => {
    const { page } = chrome;
    await page.goto(studioUrl('hub=offline'));
    expect(await page.title()).toBe('Adapter Studio');
    expect(await waitForBackendBadge(page, /^WebGPU/)).toBe('WebGPU · SwiftShader (software)');
    await page.getByText('WebGPU runs on a software adapter (SwiftShader) here').waitFor();
    await page.getByRole('button', { name: 'Use wasm instead' }).waitFor();
  });

  it('runs the linear and fused adapter WGSL kernels and matches the cpu backend (forward, gradients) and tf.matMul', async () => {
    const { caption, rows } = await runSelfTest(chrome.page, 'Run GPU self-test');
    const linear = rows.filter((r) => r.name.startsWith('linear'));
    expect(linear).toHaveLength(8);
    for (const row of linear) {
      expect(row.path, row.name).toBe('wgsl');
      expect(row.maxAbsError, row.name).toBeLessThanOrEqual(row.name.endsWith('forward') ? 1e-4 : 1e-3);
    }
    const matMul = rows.find((r) => r.name === 'matMul 64×48×40');
    expect(matMul?.maxAbsError).toBeLessThanOrEqual(1e-4);
    // The fused adapter kernels (bottleneck, LoRA, IA3) as the adapters call them, against their composed twins.
    const fused = rows.filter((r) => /^(bottleneck|lora|ia3) /.test(r.name));
    expect(fused).toHaveLength(14);
    for (const row of fused) {
      expect(row.path, row.name).toBe('wgsl');
      expect(row.maxAbsError, row.name).toBeLessThanOrEqual(row.name.endsWith('forward') ? 1e-4 : 1e-3);
    }
    expect(rows.every((r) => r.passed)).toBe(true);
    expect(caption).toMatch(/^Self-test on webgpu: all 23 checks passed/);
    console.log(rows.map((r) => `${r.name} [${r.path}] ${r.maxAbsError.toExponential(2)}`).join('\n'));
  });

  it('logged no errors', () => {
    expect(chrome.consoleErrors).toEqual([]);
  });
});
