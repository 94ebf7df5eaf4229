/**
 * Bench-only baseline: full fine-tuning of the demo encoder, i.e. every encoder weight becomes a trainable
 * tf.Variable next to a freshly initialised classification head, with no adapter. The encoder runs through the
 * same `encoderForward` as the adapter path (without dropout, as the frozen encoder does there).
 */
import * as tf from '@tensorflow/tfjs';
import { headForward, planHead } from '../../src/core/adapters/head.ts';
import type { HeadOptions } from '../../src/core/adapters/head.ts';
import { seededRandom } from '../../src/core/random.ts';
import { type EncoderWeights, encoderForward } from '../../src/core/model/encoder.ts';
import type { TokenBatch } from '../../src/core/train/adapter-trainable.ts';
import type { TrainableModel } from '../../src/core/train/trainable-model.ts';
import type { TrainableParameter } from '../../src/core/train/adamw.ts';

/** Embedding tables (the word embeddings' blocks among them): their gradient needs the UnsortedSegmentSum kernel, which tfjs' wasm backend lacks. */
const EMBEDDING_TABLES = new Set(['wordEmbeddings', 'positionEmbeddings', 'tokenTypeEmbeddings']);

/** A copy of `weights`' object tree with each tensor (embedding tables only if `embeddings`) turned into a trainable variable named by its path. */
function variablesOf(node: unknown, path: string, out: TrainableParameter[], embeddings: boolean): unknown {
  if (node instanceof tf.Tensor) {
    if (!embeddings && EMBEDDING_TABLES.has(path.split('.')[0])) return node;
    const variable = tf.variable(node, true, `fullFineTune/${path}`);
    node.dispose(); // The variable keeps the data: no frozen copy stays resident beside it.
    out.push({ name: path, variable });
    return variable;
  }
  if (Array.isArray(node)) return node.map((child, i) => variablesOf(child, `${path}.${i}`, out, embeddings));
  if (node && typeof node === 'object' && path !== 'config') {
    // The weight trains now: no longer frozen (ops.ts, LinearMap.frozen), so its gradient is computed.
    return Object.fromEntries(Object.entries(node).flatMap(([key, child]) =>
      (key === 'frozen' ? [] : [[key, variablesOf(child, path ? `${path}.${key}` : key, out, embeddings)]])));
  }
  return node;
}

export interface FullFineTune {
  model: TrainableModel<TokenBatch>;
  /** Whether the embedding tables train too. */
  embeddingsTrain: boolean;
  /** Trainable scalars (encoder + head). */
  parameterCount: number;
  dispose(): void;
}

/**
 * Takes over `weights`: every tensor becomes a variable (the tensor is disposed, the variable keeps its data) and adds the same
 * prediction head the adapter path trains (planHead: the AdapterHub classification head), weights N(0, 0.02).
 * The embedding tables train only where the backend can compute their gradient (not on wasm); they stay frozen
 * tensors otherwise.
 */
export function fullFineTune(weights: EncoderWeights, head: HeadOptions): FullFineTune {
  const parameters: TrainableParameter[] = [];
  const embeddings = tf.getKernel('UnsortedSegmentSum', tf.getBackend()) !== undefined;
  const trainable = { ...(variablesOf(weights, '', parameters, embeddings) as EncoderWeights), config: weights.config, dispose: () => {} };
  const plan = planHead(weights.config, 'full', head);
  const headVariables = new Map(plan.params.map((spec) => {
    const variable = tf.tidy(() => tf.variable(spec.key.endsWith('bias') ? tf.zeros(spec.shape) : tf.randomNormal(spec.shape, 0, 0.02, 'float32', 7), true, `fullFineTune/${spec.key}`));
    parameters.push({ name: spec.key, variable });
    return [spec.key, variable];
  }));
  return {
    embeddingsTrain: embeddings,
    parameterCount: parameters.reduce((n, p) => n + p.variable.size, 0),
    model: {
      task: plan.kind === 'regression' ? 'regression' : 'classification',
      parameters,
      logits(batch, { training, seed }) {
        const random = seededRandom(seed);
        const nextSeed = () => Math.floor(random() * 2 ** 31);
        return tf.tidy(() => headForward(plan, encoderForward(trainable, batch), (spec) => headVariables.get(spec.key)!, training ? nextSeed : undefined));
      },
    },
    dispose: () => tf.dispose(parameters.map((p) => p.variable)),
  };
}
