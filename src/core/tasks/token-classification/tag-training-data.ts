/** The trainer's data for token classification: the training sentences' batches, shuffled per epoch, and the validation ones. */
import type { Batch } from '../../data/batching.ts';
import type { Example } from '../../data/examples.ts';
import type { ExampleStream } from '../../data/example-stream.ts';
import { epochSeed } from '../../data/shuffle.ts';
import type { TrainingData } from '../../train/trainer.ts';
import type { WordTokenizer } from './align.ts';
import { tagBatches } from './tag-batches.ts';

export interface TagDataOptions {
  train: ExampleStream;
  validation?: ExampleStream;
  tokenizer: WordTokenizer & { padTokenId: number };
  tagNames: readonly string[];
  batchSize: number;
  maxLength: number;
  seed: number;
  shuffleBuffer?: number;
  /** Validation sentences, when known (for the evaluation's progress). */
  validationExamples?: number;
}

/** The batches an evaluation reads, in the examples' order. */
export function tagEvalBatches(examples: AsyncIterable<Example>, tokenizer: WordTokenizer & { padTokenId: number }, options: { batchSize: number; maxLength: number; tagNames: readonly string[] }): AsyncGenerator<Batch> {
  return tagBatches(examples, tokenizer, { ...options, bucketing: false });
}

/** Counts the training sentences (one pass, which also fills the stream's cache) and returns each epoch's batches and validation's. */
export async function tagTrainingData(options: TagDataOptions): Promise<TrainingData<Batch>> {
  const { train, validation, tokenizer, batchSize, maxLength, seed, tagNames } = options;
  let examples = 0;
  for await (const _ of train.ordered()) examples++;
  return {
    batchesPerEpoch: Math.ceil(examples / batchSize),
    trainBatches: (epoch) => tagBatches(train.epoch(epoch, { seed, shuffleBuffer: options.shuffleBuffer }), tokenizer, { batchSize, maxLength, tagNames, seed: epochSeed(seed, epoch) }),
    ...(validation ? { evalBatches: () => tagEvalBatches(validation.ordered(), tokenizer, { batchSize, maxLength, tagNames }) } : {}),
    ...(options.validationExamples === undefined ? {} : { evalBatchCount: Math.ceil(options.validationExamples / batchSize) }),
  };
}
