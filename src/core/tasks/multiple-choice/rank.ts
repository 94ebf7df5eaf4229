/** Ranking one context's choices: its (context, choice) pairs through the model, the choices by probability (softmax over the head's scores). */
import * as tf from '@tensorflow/tfjs';
import type { Example } from '../../data/examples.ts';
import type { EncoderTokenizer } from '../../model/tokenizer.ts';
import type { TokenBatch } from '../../train/adapter-trainable.ts';
import type { TrainableModel } from '../../train/trainable-model.ts';
import { choicePairs } from './pairs.ts';

export interface RankedChoice {
  /** Position of the choice as given. */
  index: number;
  choice: string;
  /** The head's score of the (context, choice) pair. */
  logit: number;
  /** Softmax of the scores over the choices. */
  probability: number;
}

export interface ChoiceRanking {
  /** Every choice, the most probable first. */
  ranking: RankedChoice[];
  /** Scores and probabilities in the order the choices were given. */
  logits: number[];
  probabilities: number[];
}

/**
 * The choices of `example` (`text` the context, `textPair` the header before each choice) ranked by `model`, whose
 * head picks among `numChoices` (the library's head views its scores as [-1, num_choices], so as many are needed).
 */
export async function rankChoices(model: TrainableModel<TokenBatch>, tokenizer: Pick<EncoderTokenizer, 'encode'>, example: Pick<Example, 'text' | 'textPair' | 'choices'>, options: { maxLength: number; numChoices: number }): Promise<ChoiceRanking> {
  const choices = example.choices ?? [];
  if (example.text.trim() === '') throw new RangeError('Give a context to rank the choices after.');
  if (choices.some((c) => c.trim() === '')) throw new RangeError('Every choice needs some text.');
  if (choices.length !== options.numChoices) throw new RangeError(`The head picks among ${options.numChoices} choices (its num_choices), so give ${options.numChoices}, not ${choices.length}.`);
  const pairs = choicePairs(example);
  const encoded = tokenizer.encode(pairs.first, pairs.second, { maxLength: options.maxLength });
  const batch: TokenBatch = { ...encoded, labels: new Int32Array(1) };
  const [logitsOut, probabilitiesOut] = tf.tidy(() => {
    const logits = model.logits(batch, { training: false, seed: 0 });
    return [logits, tf.softmax(logits)];
  });
  try {
    const logits = Array.from(await logitsOut.data());
    const probabilities = Array.from(await probabilitiesOut.data());
    const ranking = choices.map((choice, index) => ({ index, choice, logit: logits[index], probability: probabilities[index] }))
      .sort((a, b) => b.logit - a.logit || a.index - b.index);
    return { ranking, logits, probabilities };
  } finally {
    tf.dispose([logitsOut, probabilitiesOut]);
  }
}
