/** Training data for the trainer from the data module's example streams: tokenised, bucketed, shuffled per epoch. */
import { type Batch, type Tokenize, batchExamples } from '../data/batching.ts';
import type { ExampleStream } from '../data/example-stream.ts';
import { epochSeed } from '../data/shuffle.ts';
import type { EncoderTokenizer } from '../model/tokenizer.ts';
import type { TrainingData } from './trainer.ts';
import type { Task } from './trainable-model.ts';

export interface DatasetBatchesOptions {
  /** The training part of the split plan. */
  train: ExampleStream;
  /** The validation part; without it nothing is evaluated. */
  validation?: ExampleStream;
  tokenize: Tokenize;
  task: Task;
  /** Examples per micro-batch. */
  batchSize: number;
  /** Most tokens per example. */
  maxLength: number;
  /** Seed of the data order: each epoch shuffles with a seed derived from it. */
  seed: number;
  /** Examples in the shuffle buffer (default: the data module's 10,000). */
  shuffleBuffer?: number;
  /** Examples per validation batch (default: batchSize). */
  evalBatchSize?: number;
}

/** The tokenizer as the batcher calls it. */
export function tokenizeWith(tokenizer: EncoderTokenizer): Tokenize {
  return (texts, pairs, { maxLength }) => tokenizer.encode(texts, pairs, { maxLength });
}

/**
 * Counts the training examples (one pass, which also fills the stream's cache for the epochs) and returns the
 * batches of each epoch, shuffled with a seed of (seed, epoch), and the validation batches.
 */
export async function datasetBatches(options: DatasetBatchesOptions): Promise<TrainingData<Batch>> {
  const { train, validation, tokenize, task, batchSize, maxLength, seed } = options;
  let examples = 0;
  for await (const _ of train.ordered()) examples++;
  return {
    batchesPerEpoch: Math.ceil(examples / batchSize),
    trainBatches: (epoch) => batchExamples(
      train.epoch(epoch, { seed, shuffleBuffer: options.shuffleBuffer }),
      tokenize,
      { batchSize, maxLength, task, seed: epochSeed(seed, epoch) },
    ),
    ...(validation
      ? { evalBatches: () => batchExamples(validation.ordered(), tokenize, { batchSize: options.evalBatchSize ?? batchSize, maxLength, task, seed }) }
      : {}),
  };
}
