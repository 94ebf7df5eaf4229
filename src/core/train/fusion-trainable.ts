/**
 * The bridge from an AdapterFusion with its new head to the trainer's `TrainableModel` (train_adapter_fusion: the
 * fused adapters frozen, the fusion layers and the head trained): parameters under their torch state-dict keys,
 * logits through the fusion, and the value matrices' regularization when the fusion config asks for it.
 */
import type * as tf from '@tensorflow/tfjs';
import type { FusionModel } from '../adapters/fusion.ts';
import type { EncoderWeights } from '../model/encoder.ts';
import { type TokenBatch, headTask } from './adapter-trainable.ts';
import type { ForwardOptions, TrainableModel } from './trainable-model.ts';

export function fusionTrainable(fusion: FusionModel, weights: EncoderWeights): TrainableModel<TokenBatch> {
  const task = headTask(fusion);
  const trainable: TrainableModel<TokenBatch> = {
    task,
    // createFusion names each variable with its torch state-dict key.
    parameters: fusion.trainableVariables().map((variable) => ({ name: variable.name, variable })),
    logits: (batch: TokenBatch, { training, seed }: ForwardOptions): tf.Tensor2D => fusion.forward(weights, batch, { training, seed }),
  };
  return !fusion.regularized ? trainable : { ...trainable, regularization: () => fusion.regularizationLoss()! };
}
