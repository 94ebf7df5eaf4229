/**
 * The message for a model repository without weights the studio reads: which other formats it holds (ONNX
 * as transformers.js mirrors have, TensorFlow, Flax, GGUF, checkpoints) and, for a converted copy, which
 * repository it names as its source.
 */
import type { HubEndpoint } from '../../hub/endpoint.ts';
import { checkRepoId } from '../../hub/endpoint.ts';
import { fileUrl, hubFetch } from '../../hub/client.ts';
import { NoWeightsError } from './errors.ts';
import { fetchRepoJson } from './hub-files.ts';

/** Weight formats the studio does not load, by how their files are named. */
const OTHER_FORMATS: { label: string; matches: (file: string) => boolean }[] = [
  { label: 'ONNX', matches: (f) => /\.onnx(_data)?$/.test(f) },
  { label: 'TensorFlow', matches: (f) => /\.h5$/.test(f) || /(^|\/)saved_model\.pb$/.test(f) },
  { label: 'Flax', matches: (f) => f.endsWith('.msgpack') },
  { label: 'GGUF', matches: (f) => f.endsWith('.gguf') },
  { label: 'checkpoint', matches: (f) => /\.ckpt($|\.)/.test(f) },
  { label: 'safetensors under other names', matches: (f) => f.endsWith('.safetensors') },
  { label: '.bin under other names', matches: (f) => f.endsWith('.bin') && !/(^|\/)training_args\.bin$/.test(f) },
];

/** Owners whose repositories are conversions of other repositories (transformers.js ONNX mirrors). */
const CONVERSION_OWNERS = ['Xenova', 'onnx-community'];

const SHOWN_PER_FORMAT = 3;

/** "ONNX (onnx/model.onnx, onnx/model_fp16.onnx and 6 more)" for each other format present. */
function otherFormats(files: string[]): string[] {
  const found: string[] = [];
  const claimed = new Set<string>();
  for (const { label, matches } of OTHER_FORMATS) {
    const hits = files.filter((f) => !claimed.has(f) && matches(f)).sort();
    if (hits.length === 0) continue;
    hits.forEach((f) => claimed.add(f));
    const more = hits.length > SHOWN_PER_FORMAT ? ` and ${hits.length - SHOWN_PER_FORMAT} more` : '';
    found.push(`${label} (${hits.slice(0, SHOWN_PER_FORMAT).join(', ')}${more})`);
  }
  return found;
}

/** A Hub repo id written in a README or config, or undefined when `value` is not one (a local path, a URL...). */
function asRepoId(value: unknown, self: string): string | undefined {
  if (typeof value !== 'string' || value === self) return undefined;
  try {
    return checkRepoId(value);
  } catch {
    return undefined;
  }
}

/** `base_model:` of a model card's YAML front matter (`base_model: x/y` or a one-item list). */
export function baseModelOfCard(readme: string): string | undefined {
  const front = /^---\r?\n([\s\S]*?)\r?\n---/.exec(readme.slice(0, 16_384))?.[1];
  return front ? /^base_model:[ \t]*(?:\r?\n[ \t]*-[ \t]*)?["']?([^\s"'#]+)/m.exec(front)?.[1] : undefined;
}

/** The repository a converted copy names as its source: the card's base_model, else config.json's _name_or_path. */
async function sourceRepoOf(ep: HubEndpoint, repoId: string, files: string[], options: { signal?: AbortSignal; revision?: string }): Promise<{ id: string; where: string } | undefined> {
  // Hints only: when the README or config cannot be read, the message goes without one.
  if (files.includes('README.md')) {
    const readme = await hubFetch(ep, fileUrl(ep, { type: 'model', id: repoId }, 'README.md', options.revision), { signal: options.signal, retry: { retries: 0, baseDelayMs: 0, maxDelayMs: 0 } })
      .then((res) => res.text()).catch(() => '');
    const id = asRepoId(baseModelOfCard(readme), repoId);
    if (id) return { id, where: 'base_model in its README' };
    // Xenova's cards open with "https://huggingface.co/<source> with ONNX weights to be compatible with Transformers.js."
    const linked = asRepoId(/https:\/\/huggingface\.co\/([\w.-]+(?:\/[\w.-]+)?) with ONNX weights/.exec(readme)?.[1], repoId);
    if (linked) return { id: linked, where: 'the link in its README' };
  }
  const config = await fetchRepoJson(ep, repoId, 'config.json', options).catch(() => undefined) as { _name_or_path?: unknown } | undefined;
  const id = asRepoId(config?._name_or_path, repoId);
  return id ? { id, where: '_name_or_path in its config.json' } : undefined;
}

/**
 * The NoWeightsError for `repoId`, whose listing (when the Hub gave one) has none of `readable`: names the
 * formats it does have and, for a converted copy, the repository to load instead.
 */
export async function noWeightsError(
  ep: HubEndpoint, repoId: string, readable: readonly string[], files: string[] | undefined, options: { signal?: AbortSignal; revision?: string },
): Promise<NoWeightsError> {
  const none = `Model "${repoId}" has no weights the studio can read: none of ${readable.join(', ')}.`;
  if (!files) return new NoWeightsError(`${none} Its files are: (the Hub did not list them). Choose a repository with PyTorch/safetensors weights.`, repoId);
  const found = otherFormats(files);
  if (found.length === 0) {
    return new NoWeightsError(`${none} Its files are: ${[...files].sort().join(', ') || '(none)'}. Choose a repository with PyTorch/safetensors weights.`, repoId);
  }
  const has = `It has ${found.join('; ')} weights, which the studio does not load.`;
  const source = await sourceRepoOf(ep, repoId, files, options);
  const owner = repoId.includes('/') ? repoId.split('/')[0] : '';
  const advice = source
    ? `It names "${source.id}" as its source (${source.where}): load that repository instead.`
    : CONVERSION_OWNERS.includes(owner)
      ? `${owner} repositories are converted copies: load the repository it was converted from, which has PyTorch or safetensors weights.`
      : 'Choose a repository with PyTorch/safetensors weights (model.safetensors or pytorch_model.bin).';
  return new NoWeightsError(`${none} ${has} ${advice}`, repoId);
}
