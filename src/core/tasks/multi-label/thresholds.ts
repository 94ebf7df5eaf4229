/**
 * Per-label decision thresholds on the sigmoid probability (default 0.5, i.e. logit > 0). The studio stores them in
 * head_config.json as a top-level "thresholds" object {label: value}: the adapters library's loader reads only the
 * file's "config" and "name", so it ignores them, and they travel with the head.
 */

export const DEFAULT_THRESHOLD = 0.5;

/** The thresholds of `labels` labels: the given ones, checked, else 0.5 each. */
export function thresholdsOf(labels: number, given?: readonly number[]): number[] {
  if (given === undefined) return new Array<number>(labels).fill(DEFAULT_THRESHOLD);
  if (given.length !== labels) throw new RangeError(`A multi-label head with ${labels} labels needs ${labels} thresholds, got ${given.length}.`);
  const bad = given.findIndex((t) => !(t > 0 && t < 1));
  if (bad >= 0) throw new RangeError(`Threshold ${given[bad]} of label ${bad} is not a probability strictly between 0 and 1.`);
  return [...given];
}

/** head_config.json's "thresholds": label name → threshold. */
export const thresholdRecord = (id2label: readonly string[], thresholds: readonly number[]): Record<string, number> =>
  Object.fromEntries(id2label.map((label, i) => [label, thresholds[i]]));

/** Thresholds in id order from head_config.json's "thresholds" (undefined when absent); a label it leaves out gets 0.5. */
export function thresholdsFromRecord(record: unknown, id2label: readonly string[], source: string): number[] | undefined {
  if (record === undefined || record === null) return undefined;
  if (typeof record !== 'object' || Array.isArray(record)) throw new TypeError(`head_config.json in ${source} has "thresholds" that is not an object of label → threshold.`);
  const values = record as Record<string, unknown>;
  const unknown = Object.keys(values).filter((k) => !id2label.includes(k));
  if (unknown.length) throw new TypeError(`head_config.json in ${source} has thresholds for labels the head does not have: ${unknown.join(', ')}.`);
  return thresholdsOf(id2label.length, id2label.map((label) => (label in values ? Number(values[label]) : DEFAULT_THRESHOLD)));
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** One label's score for a text. */
export interface LabelScore {
  label: string;
  probability: number;
  threshold: number;
  /** Whether the probability reaches the threshold (the label is predicted). */
  predicted: boolean;
}

/** Every label with its sigmoid probability and threshold, most probable first. */
export function scoreLabels(logits: ArrayLike<number>, id2label: readonly string[], thresholds: readonly number[]): LabelScore[] {
  return id2label
    .map((label, i) => {
      const probability = sigmoid(logits[i]);
      return { label, probability, threshold: thresholds[i], predicted: probability >= thresholds[i] };
    })
    .sort((a, b) => b.probability - a.probability);
}

/** [rows · labels] 0/1 predictions from row-major logits and per-label thresholds. */
export function predictLabels(logits: ArrayLike<number>, thresholds: readonly number[]): Uint8Array {
  const out = new Uint8Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = sigmoid(logits[i]) >= thresholds[i % thresholds.length] ? 1 : 0;
  return out;
}
