// The token batches the step figures train on (adapter-step.ts in Node, chromium.ts's page in the browser): plain
// data from a fixed seed, no Node or DOM, so both sides of a comparison see the same tokens.
import { seededRandom } from '../../src/core/random.ts';
import type { TokenBatch } from '../../src/core/train/adapter-trainable.ts';

/** Sequences a batch of the bert-base figures. */
export const BATCH = 8;
/** The padded lengths of their batches, cycled: what our pipeline made of real text. */
export const PAD_LENGTHS = [17, 25, 33, 41];

/** Token ids of the batches: [CLS], [SEP], padding (default 0), and words drawn from firstWord … firstWord + words − 1. */
export interface BatchTokens {
  cls: number;
  sep: number;
  pad?: number;
  firstWord: number;
  words: number;
}

/** One batch per padded length: the first sequence fills it, the others take 50–100% of it; labels 0/1 at random. */
export function benchBatches({ cls, sep, pad = 0, firstWord, words }: BatchTokens, batch: number, padLengths: readonly number[]): TokenBatch[] {
  const random = seededRandom(15);
  return padLengths.map((seq) => {
    const inputIds = new Int32Array(batch * seq).fill(pad);
    const attentionMask = new Int32Array(batch * seq);
    const labels = new Int32Array(batch);
    let realTokens = 0;
    for (let b = 0; b < batch; b++) {
      const length = b === 0 ? seq : Math.max(3, Math.ceil(seq * (0.5 + 0.5 * random())));
      for (let t = 0; t < length; t++) {
        inputIds[b * seq + t] = t === 0 ? cls : t === length - 1 ? sep : firstWord + Math.floor(random() * words);
        attentionMask[b * seq + t] = 1;
      }
      realTokens += length;
      labels[b] = random() < 0.5 ? 1 : 0;
    }
    return { inputIds, attentionMask, tokenTypeIds: new Int32Array(batch * seq), batch, seq, labels, realTokens };
  });
}
