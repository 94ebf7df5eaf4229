import { existsSync } from 'node:fs';

/** SwiftShader's Vulkan driver as Debian's Chromium installs it; Dawn finds no adapter on a GPU-less machine without it. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * WebGPU in Node from the `webgpu` package (Dawn), set up so tfjs-backend-webgpu runs on it: the GPU* constants
 * become globals and `navigator.gpu` is defined (tfjs checks it). Uses SwiftShader when no Vulkan driver is chosen
 * via VK_ICD_FILENAMES. Node-only; returns why not when no adapter is available.
 */
export async function nodeWebGpu(): Promise<{ gpu: GPU } | { unavailable: string }> {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (err) {
    return { unavailable: `the "webgpu" package could not be loaded (${(err as Error).message})` };
  }
  Object.assign(globalThis, webgpu.globals);
  const gpu = webgpu.create([]);
  if (!(await gpu.requestAdapter())) {
    return { unavailable: `Dawn found no adapter (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? 'unset'}; libvulkan1 and a Vulkan driver such as Chromium's SwiftShader are needed)` };
  }
  const existing = (globalThis as { navigator?: object }).navigator;
  if (existing) Object.defineProperty(existing, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  return { gpu };
}
