/**
 * The bridge from an adapter with a prediction head on a frozen encoder to the trainer's `TrainableModel`:
 * parameters under their torch state-dict keys, logits from the adapted encoder and the head. The head's dropout
 * draws its masks from the trainer's per-step seed, so a resumed run drops the same units as an uninterrupted one.
 */
import * as tf from '@tensorflow/tfjs';
import type { AdapterModel } from '../adapters/adapter.ts';
import { createAdapterDrop } from '../adapters/adapter-drop.ts';
import { headForward } from '../adapters/head.ts';
import { modelLayout } from '../adapters/locations.ts';
import { seededRandom } from '../random.ts';
import type { EncoderWeights } from '../model/encoder.ts';
import type { EncodedBatch } from '../model/tokenizer.ts';
import type { BatchLike, ForwardOptions, Task, TrainableModel } from './trainable-model.ts';

/** Token ids with their labels: what the data module's batches hold, or one encoded text to predict. */
export type TokenBatch = EncodedBatch & BatchLike;

/** The task an adapter's (or a fusion's) head trains for: a one-output head regresses, the others classify. */
export function headTask(adapter: Pick<AdapterModel, 'name' | 'head'>): Task {
  const head = adapter.head;
  if (!head) throw new TypeError(`Adapter "${adapter.name}" has no prediction head to train; create it with the "head" option.`);
  if (head.kind === 'multilabel') return 'multiLabel';
  if (head.kind === 'tagging') return 'tokenClassification';
  return head.kind === 'regression' || head.kind === 'questionAnswering' || head.kind === 'multipleChoice' ? head.kind : 'classification';
}

export interface AdapterTrainableOptions {
  /**
   * Dynamic AdapterDrop while training: each forward skips the adapters of the first k layers, k uniform in
   * 0 … layers − 2 and drawn from the step's seed (so a resumed run skips the same layers).
   */
  adapterDrop?: boolean;
}

export function adapterTrainable(adapter: AdapterModel, weights: EncoderWeights, options: AdapterTrainableOptions = {}): TrainableModel<TokenBatch> {
  const task = headTask(adapter);
  const head = adapter.head!;
  const variables = adapter.trainableVariables();
  const byKey = new Map(variables.map((v) => [v.name, v]));
  return {
    task,
    // createAdapter names each variable with its torch state-dict key.
    parameters: variables.map((variable) => ({ name: variable.name, variable })),
    logits(batch: TokenBatch, { training, seed }: ForwardOptions): tf.Tensor2D {
      const random = seededRandom(seed);
      const nextSeed = () => Math.floor(random() * 2 ** 31);
      const skipLayers = training && options.adapterDrop ? createAdapterDrop(modelLayout(adapter.encoderConfig).layerCount, seed)() : undefined;
      return tf.tidy(() => {
        const encoded = adapter.encode(weights, batch, { training, skipLayers });
        return headForward(head, encoded, (spec) => byKey.get(spec.key)!, training ? nextSeed : undefined);
      });
    },
  };
}
