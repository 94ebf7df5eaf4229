/**
 * Question-answering batches: each example becomes its windows (windows.ts), a batch holds windows, its labels
 * the start and end position of each, and `qa` what postprocessing needs to turn the logits back into text.
 * Windows are bucketed by length within a pool and the pool's batches served in a seeded order, as batching.ts
 * does for sentences.
 */
import type { Batch } from '../../data/batching.ts';
import type { Example } from '../../data/examples.ts';
import { Prng } from '../../random.ts';
import { type QaTokenizer, type QaWindow, questionWindows } from './windows.ts';

/** The postprocessing side of a batch: per window, its example's row, offsets, context and gold answers. */
export interface QaBatchInfo {
  rows: number[];
  offsets: Int32Array[];
  contexts: string[];
  golds: string[][];
}

export interface QuestionBatchOptions {
  batchSize: number;
  maxLength: number;
  docStride: number;
  /** Examples tokenised and cut together (default 16 batches' worth). */
  poolExamples?: number;
  /** Sort a pool's windows by length (default true) and serve its batches in the order of this seed. */
  bucketing?: boolean;
  seed?: number;
}

type Windowed = { window: QaWindow; example: Example };

function cut(items: Windowed[], padId: number): Batch & { qa: QaBatchInfo } {
  const batch = items.length;
  const seq = Math.max(1, ...items.map((i) => i.window.inputIds.length));
  const inputIds = new Int32Array(batch * seq).fill(padId);
  const attentionMask = new Int32Array(batch * seq);
  const tokenTypeIds = new Int32Array(batch * seq);
  const labels = new Int32Array(2 * batch);
  const rows = new Int32Array(batch);
  const qa: QaBatchInfo = { rows: [], offsets: [], contexts: [], golds: [] };
  let realTokens = 0;
  items.forEach(({ window, example }, b) => {
    const n = window.inputIds.length;
    inputIds.set(window.inputIds, b * seq);
    attentionMask.fill(1, b * seq, b * seq + n);
    tokenTypeIds.set(window.tokenTypeIds, b * seq);
    labels[2 * b] = window.startPosition;
    labels[2 * b + 1] = window.endPosition;
    rows[b] = example.row;
    qa.rows.push(example.row);
    qa.offsets.push(window.offsets);
    qa.contexts.push(example.textPair ?? '');
    qa.golds.push(example.answers?.text ?? []);
    realTokens += n;
  });
  return { inputIds, attentionMask, tokenTypeIds, batch, seq, labels, rows, realTokens, qa };
}

function windowsOf(example: Example, tokenizer: QaTokenizer, options: QuestionBatchOptions): QaWindow[] {
  return questionWindows(tokenizer, example.text, example.textPair ?? '', example.answers, { maxLength: options.maxLength, docStride: options.docStride });
}

/** How many windows the examples make (the trainer's batches per epoch: ⌈windows / batch size⌉). */
export async function countWindows(examples: AsyncIterable<Example>, tokenizer: QaTokenizer, options: QuestionBatchOptions): Promise<number> {
  let windows = 0;
  for await (const example of examples) windows += windowsOf(example, tokenizer, options).length;
  return windows;
}

export async function* questionBatches(examples: AsyncIterable<Example>, tokenizer: QaTokenizer & { padTokenId: number }, options: QuestionBatchOptions): AsyncGenerator<Batch & { qa: QaBatchInfo }> {
  if (!(options.batchSize >= 1)) throw new RangeError(`The batch size must be at least 1, got ${options.batchSize}.`);
  const poolExamples = options.poolExamples ?? options.batchSize * 16;
  let pool: Windowed[] = [];
  let examplesInPool = 0;
  let poolIndex = 0;
  const flush = function* (): Generator<Batch & { qa: QaBatchInfo }> {
    if (options.bucketing ?? true) pool.sort((a, b) => a.window.inputIds.length - b.window.inputIds.length);
    const groups: Windowed[][] = [];
    for (let i = 0; i < pool.length; i += options.batchSize) groups.push(pool.slice(i, i + options.batchSize));
    if (options.bucketing ?? true) new Prng((options.seed ?? 0) + poolIndex).shuffle(groups);
    for (const group of groups) yield cut(group, tokenizer.padTokenId);
    pool = [];
    examplesInPool = 0;
    poolIndex++;
  };
  for await (const example of examples) {
    for (const window of windowsOf(example, tokenizer, options)) pool.push({ window, example });
    if (++examplesInPool === poolExamples) yield* flush();
  }
  if (pool.length > 0) yield* flush();
}
