/** The trainer's data for question answering: the windows of the training examples, shuffled per epoch, and of the validation ones. */
import type { ExampleStream } from '../../data/example-stream.ts';
import { epochSeed } from '../../data/shuffle.ts';
import type { Batch } from '../../data/batching.ts';
import type { Example } from '../../data/examples.ts';
import type { TrainingData } from '../../train/trainer.ts';
import { countWindows, questionBatches } from './qa-batches.ts';
import { type QaTokenizer, defaultDocStride } from './windows.ts';

export interface QuestionDataOptions {
  train: ExampleStream;
  validation?: ExampleStream;
  tokenizer: QaTokenizer & { padTokenId: number };
  batchSize: number;
  maxLength: number;
  seed: number;
  /** Context tokens neighbouring windows share (default: defaultDocStride(maxLength)). */
  docStride?: number;
  shuffleBuffer?: number;
}

/** The windows of examples to evaluate on, in their order (what `evaluate` takes for a question-answering model). */
export function questionEvalBatches(examples: AsyncIterable<Example>, tokenizer: QaTokenizer & { padTokenId: number }, options: { batchSize: number; maxLength: number; docStride?: number }): AsyncGenerator<Batch> {
  return questionBatches(examples, tokenizer, { batchSize: options.batchSize, maxLength: options.maxLength, docStride: options.docStride ?? defaultDocStride(options.maxLength), bucketing: false });
}

/** Counts the training windows (one pass, which also fills the stream's cache) and returns the batches of each epoch and of validation. */
export async function questionTrainingData(options: QuestionDataOptions): Promise<TrainingData<Batch>> {
  const { train, validation, tokenizer, batchSize, maxLength, seed } = options;
  const windowOptions = { batchSize, maxLength, docStride: options.docStride ?? defaultDocStride(maxLength) };
  const windows = await countWindows(train.ordered(), tokenizer, windowOptions);
  return {
    batchesPerEpoch: Math.ceil(windows / batchSize),
    trainBatches: (epoch) => questionBatches(train.epoch(epoch, { seed, shuffleBuffer: options.shuffleBuffer }), tokenizer, { ...windowOptions, seed: epochSeed(seed, epoch) }),
    ...(validation ? { evalBatches: () => questionEvalBatches(validation.ordered(), tokenizer, windowOptions) } : {}),
  };
}
