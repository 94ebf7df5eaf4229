/**
 * Prediction heads as the `adapters` library's ClassificationHead / MultiLabelClassificationHead
 * (heads/base.py): nn.Sequential of [Dropout, Linear(H, H), act] × (layers − 1), then Dropout,
 * Linear(H, num_labels), on the first token's last hidden state (or the pooler output with use_pooler).
 * Weights `heads.{name}.{index}.{weight,bias}` initialised as model._init_weights does (N(0, 0.02), bias 0).
 * Losses: cross-entropy (num_labels > 1), MSE (num_labels = 1, regression), BCE with logits (multi-label).
 */
import * as tf from '@tensorflow/tfjs';
import type { EncoderConfig } from '../model/config.ts';
import type { EncoderOutput } from '../model/encoder.ts';
import { familyDefinition } from '../model/families/index.ts';
import { thresholdsOf } from '../tasks/multi-label/thresholds.ts';
import { choiceRows } from '../tasks/multiple-choice/mc-head.ts';
import { qaLogits, qaLoss } from '../tasks/question-answering/qa-head.ts';
import { taggingLogits, taggingLoss } from '../tasks/token-classification/tag-head.ts';
import { type Activation, activationNamed } from './activation-names.ts';
import { AdapterConfigError } from './errors.ts';
import { headSteps } from './head-steps.ts';
import type { ParamSpec } from './parameters.ts';
import { MAX_LABELS, checkHeadSizes } from './size-limits.ts';

/** Most choices a multiple-choice example may have (as many as a head may have labels). */
export const MAX_CHOICES = MAX_LABELS;

/** What the head predicts: one class, any subset of labels, one number, an answer span (start / end logits per token), one of N choices (a score per pair), or a tag per token. */
export type HeadKind = 'classification' | 'multilabel' | 'regression' | 'questionAnswering' | 'multipleChoice' | 'tagging';

export interface HeadOptions {
  /** Default "classification". */
  kind?: HeadKind;
  /** Outputs; default 2 (regression: 1, the only value it allows). */
  numLabels?: number;
  /** Multiple choice: the choices each example has (num_choices); default 2, as add_multiple_choice_head. */
  numChoices?: number;
  /** Label names by id (array index or record key); default "LABEL_{i}". */
  id2label?: readonly string[] | Record<number, string>;
  /** Linear layers; default 2 (question answering and tagging: 1, as add_qa_head and add_tagging_head). */
  layers?: number;
  /** Activation between the Linears; default "tanh"; null for none. */
  activationFunction?: string | null;
  /** Read the pooler output instead of the first token; default false. */
  usePooler?: boolean;
  /** Whether the last Linear has a bias; default true. */
  bias?: boolean;
  /** Head dropout; null (default): the model's (hidden_dropout_prob 0.1; DistilBERT, which has none, 0). */
  dropoutProb?: number | null;
  /** Multi-label: each label's threshold on its probability; default 0.5 each. */
  thresholds?: readonly number[];
}

/** head_config.json's "config", as add_classification_head (or add_qa_head: no use_pooler, no bias, label2id null) writes it. */
export interface HeadConfig {
  head_type: 'classification' | 'multilabel_classification' | 'question_answering' | 'multiple_choice' | 'tagging';
  /** Outputs of the last Linear; absent for multiple choice, whose last Linear has one output (a score per pair). */
  num_labels?: number;
  /** Multiple choice: the pairs of one example, whose scores the library views as [-1, num_choices]. */
  num_choices?: number;
  layers: number;
  activation_function: string | null;
  /** Label name → id; null where the library writes None (a QA head made without id2label). */
  label2id: Record<string, number> | null;
  use_pooler?: boolean;
  bias?: boolean;
  dropout_prob: number | null;
}

/** One step of the head's nn.Sequential. */
export type HeadStep =
  | { kind: 'dropout' }
  | { kind: 'linear'; weight: ParamSpec; bias?: ParamSpec }
  | { kind: 'activation'; act: Activation };

export interface HeadPlan {
  name: string;
  kind: HeadKind;
  config: HeadConfig;
  /** Label names by id. */
  id2label: string[];
  /** Dropout rate used in training. */
  dropout: number;
  steps: HeadStep[];
  /** The Linear parameters, in state-dict order. */
  params: ParamSpec[];
  /** Multi-label: each label's threshold on its sigmoid probability (a label at or above it is predicted). */
  thresholds?: number[];
}

export function planHead(encoder: EncoderConfig, name: string, options: HeadOptions = {}): HeadPlan {
  const kind = options.kind ?? 'classification';
  const numLabels = options.numLabels ?? (kind === 'regression' ? 1 : 2);
  const fail = (field: string, message: string): never => { throw new AdapterConfigError(`Head option "${field}" ${message}.`, field); };
  if (!Number.isInteger(numLabels) || numLabels < 1) fail('numLabels', `is ${numLabels}; it must be a positive integer`);
  if (kind === 'regression' && numLabels !== 1) fail('numLabels', `is ${numLabels}; a regression head has exactly 1 output`);
  if (kind !== 'regression' && numLabels < 2) fail('numLabels', `is ${numLabels}; a ${kind} head needs at least 2 labels (use kind "regression" for one number)`);
  if (kind === 'questionAnswering' && numLabels !== 2) fail('numLabels', `is ${numLabels}; a question-answering head has 2 outputs (start, end)`);
  const numChoices = options.numChoices ?? 2;
  if (kind === 'multipleChoice' && !(Number.isInteger(numChoices) && numChoices >= 2 && numChoices <= MAX_CHOICES)) fail('numChoices', `is ${numChoices}; a multiple-choice head needs 2 to ${MAX_CHOICES} choices`);
  // A multiple-choice head scores each (context, choice) pair with one output.
  const outputs = kind === 'multipleChoice' ? 1 : numLabels;
  const layers = options.layers ?? (kind === 'questionAnswering' || kind === 'tagging' ? 1 : 2);
  if (!Number.isInteger(layers) || layers < 1) fail('layers', `is ${layers}; it must be a positive integer`);
  checkHeadSizes(encoder, outputs, layers);
  const activationName = options.activationFunction === undefined ? 'tanh' : options.activationFunction;
  const act = activationName === null ? undefined : activationNamed(activationName);
  if (activationName !== null && !act) fail('activationFunction', `names the unknown activation "${activationName}"`);
  if (options.usePooler && !encoder.hasPooler) fail('usePooler', `is true but "${encoder.repoId}" has no pooler`);
  const dropoutProb = options.dropoutProb ?? null;
  if (dropoutProb !== null && !(dropoutProb >= 0 && dropoutProb < 1)) fail('dropoutProb', `is ${dropoutProb}; it must be in [0, 1)`);

  const id2label = Array.from({ length: kind === 'multipleChoice' ? 0 : numLabels }, (_, i) => {
    const given = Array.isArray(options.id2label) ? options.id2label[i] : (options.id2label as Record<number, string> | undefined)?.[i];
    return given ?? `LABEL_${i}`;
  });
  if (new Set(id2label).size !== id2label.length) fail('id2label', `repeats a label name (${id2label.join(', ')})`);

  const hidden = encoder.hiddenSize;
  const steps: HeadStep[] = [];
  const params: ParamSpec[] = [];
  const linear = (inputs: number, outputs: number, withBias: boolean) => {
    const prefix = `heads.${name}.${steps.length}`;
    const spec = (local: string, shape: number[], std: number): ParamSpec => ({ key: `${prefix}.${local}`, aliases: [], shape, init: std ? { kind: 'normal', std } : { kind: 'zeros' }, trainable: true, local: `${steps.length}.${local}` });
    const weight = spec('weight', [outputs, inputs], 0.02);
    const bias = withBias ? spec('bias', [outputs], 0) : undefined;
    params.push(weight, ...(bias ? [bias] : []));
    steps.push({ kind: 'linear', weight, bias });
  };
  for (let l = 0; l < layers; l++) {
    steps.push({ kind: 'dropout' });
    if (l < layers - 1) {
      linear(hidden, hidden, true);
      if (act) steps.push({ kind: 'activation', act });
    } else linear(hidden, outputs, options.bias ?? true);
  }
  const dropout = dropoutProb ?? familyDefinition(encoder.family).headDropout;
  if (kind === 'questionAnswering') {
    const config: HeadConfig = { head_type: 'question_answering', num_labels: 2, layers, activation_function: activationName, label2id: null, dropout_prob: dropoutProb };
    return { name, kind, id2label, steps, params, dropout, config };
  }
  if (kind === 'tagging') {
    // TaggingHead's config: no use_pooler or bias keys.
    const config: HeadConfig = { head_type: 'tagging', num_labels: numLabels, layers, activation_function: activationName, label2id: Object.fromEntries(id2label.map((label, id) => [label, id])), dropout_prob: dropoutProb };
    return { name, kind, id2label, steps, params, dropout, config };
  }
  if (kind === 'multipleChoice') {
    // MultipleChoiceHead's config: num_choices instead of num_labels, label2id None, no bias key.
    const config: HeadConfig = { head_type: 'multiple_choice', num_choices: numChoices, layers, activation_function: activationName, label2id: null, use_pooler: options.usePooler ?? false, dropout_prob: dropoutProb };
    return { name, kind, id2label, steps, params, dropout, config };
  }
  return {
    name, kind, id2label, steps, params, dropout,
    ...(kind === 'multilabel' ? { thresholds: multiLabelThresholds(numLabels, options.thresholds, fail) } : {}),
    config: {
      head_type: kind === 'multilabel' ? 'multilabel_classification' : 'classification',
      num_labels: numLabels,
      layers,
      activation_function: activationName,
      label2id: Object.fromEntries(id2label.map((label, id) => [label, id])),
      use_pooler: options.usePooler ?? false,
      bias: options.bias ?? true,
      dropout_prob: dropoutProb,
    },
  };
}

function multiLabelThresholds(labels: number, given: readonly number[] | undefined, fail: (field: string, message: string) => never): number[] {
  try {
    return thresholdsOf(labels, given);
  } catch (err) {
    return fail('thresholds', `is invalid: ${(err as Error).message}`);
  }
}

/** `head`, or a clear error when `owner` (e.g. 'Adapter "x"') was created without one. */
export function requireHead(head: HeadPlan | undefined, owner: string): HeadPlan {
  if (!head) throw new AdapterConfigError(`${owner} has no prediction head; create it with the "head" option to get logits and a loss.`);
  return head;
}

/**
 * The head's logits [batch, num_labels]. `tensor` maps a parameter to its variable; `dropoutSeed` gives a seed
 * per dropout in training (undefined: no dropout).
 */
export function headForward(plan: HeadPlan, encoded: EncoderOutput, tensor: (spec: ParamSpec) => tf.Tensor, dropoutSeed?: () => number): tf.Tensor2D {
  // Token-level: [batch, 2·seq] start and end logits (see tasks/question-answering/qa-head.ts).
  if (plan.kind === 'questionAnswering') return qaLogits(plan, encoded, tensor, dropoutSeed);
  // Token-level: [batch, seq · num_labels] tag logits (see tasks/token-classification/tag-head.ts).
  if (plan.kind === 'tagging') return taggingLogits(plan, encoded, tensor, dropoutSeed);
  return tf.tidy(() => {
    let x: tf.Tensor2D;
    if (plan.config.use_pooler) {
      if (!encoded.pooled) throw new AdapterConfigError(`Head "${plan.name}" reads the pooler output, but the encoder produced none.`, 'usePooler');
      x = encoded.pooled;
    } else x = encoded.firstToken;
    const logits = headSteps(plan, x, tensor, dropoutSeed);
    // Multiple choice: one score per pair, viewed as [examples, num_choices] (tasks/multiple-choice/mc-head.ts).
    return plan.kind === 'multipleChoice' ? choiceRows(logits, plan.config.num_choices!) : logits;
  });
}

/**
 * The library's loss for the head's kind, averaged over the batch.
 * @param logits [batch, num_labels]
 * @param labels classification: class ids [batch]; regression: targets [batch]; multi-label: 0/1 [batch · num_labels];
 *   question answering: start, end positions [2 · batch]; multiple choice: the right choice of each example [batch]
 *   (logits [batch, num_choices], the cross-entropy of classification); tagging: tag ids or −100 [batch · seq]
 */
export function headLoss(plan: HeadPlan, logits: tf.Tensor2D, labels: ArrayLike<number>): tf.Scalar {
  if (plan.kind === 'questionAnswering') return qaLoss(logits, labels);
  if (plan.kind === 'tagging') return taggingLoss(logits, labels);
  const [batch, numLabels] = logits.shape;
  const expected = plan.kind === 'multilabel' ? batch * numLabels : batch;
  if (labels.length !== expected) throw new RangeError(`Head "${plan.name}" (${plan.kind}) needs ${expected} label values for a batch of ${batch}, got ${labels.length}.`);
  return tf.tidy(() => {
    if (plan.kind === 'regression') {
      // MSELoss(logits.view(-1), labels.view(-1)).
      return tf.squaredDifference(logits.reshape([batch]), tf.tensor1d(Float32Array.from(labels))).mean() as tf.Scalar;
    }
    if (plan.kind === 'multilabel') {
      // BCEWithLogitsLoss: max(x, 0) − x·y + log(1 + e^(−|x|)), averaged over every entry.
      const y = tf.tensor2d(Float32Array.from(labels), [batch, numLabels]);
      return tf.relu(logits).sub(logits.mul(y)).add(tf.log1p(tf.exp(tf.abs(logits).neg()))).mean() as tf.Scalar;
    }
    // CrossEntropyLoss: −log softmax(logits)[label], averaged.
    for (let i = 0; i < batch; i++) {
      const label = labels[i];
      if (!Number.isInteger(label) || label < 0 || label >= numLabels) throw new RangeError(`Label ${label} of example ${i} is not a class id of head "${plan.name}" (0..${numLabels - 1}).`);
    }
    const oneHot = tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), numLabels);
    return tf.logSoftmax(logits).mul(oneHot).sum().div(-batch) as tf.Scalar;
  });
}
