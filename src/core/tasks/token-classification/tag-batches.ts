/**
 * Token-classification batches: each example's words become tokens with aligned labels (align.ts), a batch's
 * labels one per position ([batch · seq], −100 on padding). Rows are bucketed by length within a pool and the
 * pool's batches served in a seeded order, as batching.ts does for sentences.
 */
import type { Batch } from '../../data/batching.ts';
import type { Example } from '../../data/examples.ts';
import { Prng } from '../../random.ts';
import { type EncodedWords, IGNORE, type WordTokenizer, alignLabels, encodeWords } from './align.ts';

export interface TagBatchOptions {
  batchSize: number;
  maxLength: number;
  /** Tag names by id, carried by each batch for the entity metrics. */
  tagNames: readonly string[];
  /** Examples tokenised and cut together (default 16 batches' worth). */
  poolExamples?: number;
  /** Sort a pool's rows by length (default true) and serve its batches in the order of this seed. */
  bucketing?: boolean;
  seed?: number;
}

type Encoded = { encoded: EncodedWords; labels: number[]; example: Example };

/** The words of an example: its word list, or its text split at whitespace. */
export function wordsOf(example: Pick<Example, 'text' | 'words'>): string[] {
  return example.words ?? example.text.split(/\s+/).filter(Boolean);
}

function encodeExample(example: Example, tokenizer: WordTokenizer, maxLength: number): Encoded {
  const encoded = encodeWords(tokenizer, wordsOf(example), maxLength);
  const labels = example.tags ? alignLabels(encoded.wordIds, example.tags) : encoded.wordIds.map(() => IGNORE);
  return { encoded, labels, example };
}

function cut(items: Encoded[], padId: number, tagNames: readonly string[]): Batch {
  const batch = items.length;
  const seq = Math.max(1, ...items.map((i) => i.encoded.inputIds.length));
  const inputIds = new Int32Array(batch * seq).fill(padId);
  const attentionMask = new Int32Array(batch * seq);
  const tokenTypeIds = new Int32Array(batch * seq);
  const labels = new Int32Array(batch * seq).fill(IGNORE);
  const rows = new Int32Array(batch);
  let realTokens = 0;
  items.forEach(({ encoded, labels: aligned, example }, b) => {
    const n = encoded.inputIds.length;
    inputIds.set(encoded.inputIds, b * seq);
    attentionMask.fill(1, b * seq, b * seq + n);
    tokenTypeIds.set(encoded.tokenTypeIds, b * seq);
    labels.set(aligned, b * seq);
    rows[b] = example.row;
    realTokens += n;
  });
  return { inputIds, attentionMask, tokenTypeIds, batch, seq, labels, rows, realTokens, tagNames };
}

export async function* tagBatches(examples: AsyncIterable<Example>, tokenizer: WordTokenizer & { padTokenId: number }, options: TagBatchOptions): AsyncGenerator<Batch> {
  if (!(options.batchSize >= 1)) throw new RangeError(`The batch size must be at least 1, got ${options.batchSize}.`);
  const poolExamples = options.poolExamples ?? options.batchSize * 16;
  const bucketing = options.bucketing ?? true;
  let pool: Encoded[] = [];
  let poolIndex = 0;
  const flush = function* (): Generator<Batch> {
    if (bucketing) pool.sort((a, b) => a.encoded.inputIds.length - b.encoded.inputIds.length);
    const groups: Encoded[][] = [];
    for (let i = 0; i < pool.length; i += options.batchSize) groups.push(pool.slice(i, i + options.batchSize));
    if (bucketing) new Prng((options.seed ?? 0) + poolIndex).shuffle(groups);
    for (const group of groups) yield cut(group, tokenizer.padTokenId, options.tagNames);
    pool = [];
    poolIndex++;
  };
  for await (const example of examples) {
    pool.push(encodeExample(example, tokenizer, options.maxLength));
    if (pool.length === poolExamples) yield* flush();
  }
  if (pool.length > 0) yield* flush();
}
