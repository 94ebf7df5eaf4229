/** Reading a tokenizer's padded output: each row's real length and the pad id, shared by the sentence and choice batchers. */
import type { Encoded } from './batching.ts';

/** Length of each row of an encoded pool (its real tokens, which must come first). */
export function rowLengths(enc: Encoded): Int32Array {
  const lengths = new Int32Array(enc.batch);
  for (let b = 0; b < enc.batch; b++) {
    let n = 0;
    while (n < enc.seq && enc.attentionMask[b * enc.seq + n] === 1) n++;
    for (let t = n; t < enc.seq; t++) {
      if (enc.attentionMask[b * enc.seq + t] !== 0) throw new Error(`The tokenizer padded row ${b} on the left; batching needs right padding.`);
    }
    lengths[b] = n;
  }
  return lengths;
}

/** The id the tokenizer pads with (read from a padded slot), or undefined when nothing was padded. */
export function padIdOf(enc: Encoded): number | undefined {
  const slot = enc.attentionMask.indexOf(0);
  return slot === -1 ? undefined : enc.inputIds[slot];
}
