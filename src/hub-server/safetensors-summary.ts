import { open, readFile } from 'node:fs/promises';
import { type SafetensorsEntry, parseSafetensorsHeader, safetensorsHeaderLength } from '../core/model/safetensors.ts';
import type { RepoFile } from './repo-store.ts';

/** `safetensors` block of `/api/models/{id}`: parameter counts per dtype and their sum. */
export interface SafetensorsSummary {
  parameters: Record<string, number>;
  total: number;
}

/** Reads and checks a safetensors header (8-byte little-endian length, then that many bytes of JSON) with the core's reader and limits. */
export async function readSafetensorsHeader(abs: string): Promise<SafetensorsEntry[]> {
  const handle = await open(abs, 'r');
  try {
    const { size } = await handle.stat();
    const prefix = new Uint8Array(8);
    await handle.read(prefix, 0, 8, 0);
    const length = safetensorsHeaderLength(prefix, size, abs);
    const head = new Uint8Array(8 + length);
    head.set(prefix);
    await handle.read(head, 8, length, 8);
    return parseSafetensorsHeader(head, abs, undefined, size).entries;
  } finally {
    await handle.close();
  }
}

/**
 * Which files hold the model's weights: the shards named in `model.safetensors.index.json`, else
 * `model.safetensors`, else every top-level `*.safetensors` file.
 */
export async function weightFiles(files: RepoFile[]): Promise<RepoFile[]> {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const index = byPath.get('model.safetensors.index.json');
  if (index) {
    const parsed = JSON.parse(await readFile(index.abs, 'utf8')) as { weight_map?: Record<string, string> };
    const shards = [...new Set(Object.values(parsed.weight_map ?? {}))];
    return shards.map((s) => byPath.get(s)).filter((f): f is RepoFile => f !== undefined);
  }
  const single = byPath.get('model.safetensors');
  if (single) return [single];
  return files.filter((f) => !f.path.includes('/') && f.path.endsWith('.safetensors'));
}

/**
 * Parameter counts per dtype over all weight files, or undefined when the repo has no safetensors weights
 * or a header can't be read (the real Hub then leaves the block out rather than failing the request).
 */
export async function summarizeSafetensors(files: RepoFile[]): Promise<SafetensorsSummary | undefined> {
  const weights = await weightFiles(files);
  if (weights.length === 0) return undefined;
  const parameters: Record<string, number> = {};
  for (const file of weights) {
    const header = await readSafetensorsHeader(file.abs).catch(() => undefined);
    if (!header) return undefined;
    for (const tensor of header) {
      parameters[tensor.dtype] = (parameters[tensor.dtype] ?? 0) + tensor.shape.reduce((a, b) => a * b, 1);
    }
  }
  return { parameters, total: Object.values(parameters).reduce((a, b) => a + b, 0) };
}
