import { open, readFile } from 'node:fs/promises';
import type { RepoFile } from './repo-store.ts';

/** `safetensors` block of `/api/models/{id}`: parameter counts per dtype and their sum. */
export interface SafetensorsSummary {
  parameters: Record<string, number>;
  total: number;
}

/** The Hub refuses headers above this size, and so do we (huggingface.js parse-safetensors-metadata). */
const MAX_HEADER_BYTES = 25_000_000;

interface TensorEntry {
  dtype: string;
  shape: number[];
}

/** Reads a safetensors header: 8-byte little-endian length, then that many bytes of JSON. */
export async function readSafetensorsHeader(abs: string): Promise<Record<string, TensorEntry>> {
  const handle = await open(abs, 'r');
  try {
    const prefix = Buffer.alloc(8);
    await handle.read(prefix, 0, 8, 0);
    const length = Number(prefix.readBigUInt64LE(0));
    const { size } = await handle.stat();
    if (length > MAX_HEADER_BYTES || length + 8 > size) {
      throw new Error(`${abs}: safetensors header length ${length} does not fit the ${size}-byte file.`);
    }
    const json = Buffer.alloc(length);
    await handle.read(json, 0, length, 8);
    const header = JSON.parse(json.toString('utf8')) as Record<string, unknown>;
    delete header.__metadata__;
    return header as Record<string, TensorEntry>;
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
    for (const tensor of Object.values(header)) {
      parameters[tensor.dtype] = (parameters[tensor.dtype] ?? 0) + tensor.shape.reduce((a, b) => a * b, 1);
    }
  }
  return { parameters, total: Object.values(parameters).reduce((a, b) => a + b, 0) };
}
