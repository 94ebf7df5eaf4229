/**
 * Multi-label metrics over 0/1 indicator matrices, as scikit-learn's f1_score on multilabel-indicator input:
 * average="micro" pools true positives, false positives and false negatives over every label; average="macro" is
 * the unweighted mean of each label's F1 over all labels (a label never true nor predicted scores 0, zero_division=0).
 */

/** Row-major [examples, labels] 0/1 predictions and targets. */
export interface Indicators {
  predictions: ArrayLike<number>;
  targets: ArrayLike<number>;
  labels: number;
}

/** Per-label true positives, false positives and false negatives. */
export function labelCounts({ predictions, targets, labels }: Indicators): { tp: number[]; fp: number[]; fn: number[] } {
  if (predictions.length !== targets.length) throw new RangeError(`Metrics need one prediction per target; got ${predictions.length} predictions for ${targets.length} targets.`);
  if (labels < 1 || targets.length % labels !== 0) throw new RangeError(`${targets.length} targets do not make rows of ${labels} labels.`);
  const tp = new Array<number>(labels).fill(0);
  const fp = new Array<number>(labels).fill(0);
  const fn = new Array<number>(labels).fill(0);
  for (let i = 0; i < targets.length; i++) {
    const l = i % labels;
    const p = predictions[i] ? 1 : 0;
    const t = targets[i] ? 1 : 0;
    if (p && t) tp[l]++;
    else if (p) fp[l]++;
    else if (t) fn[l]++;
  }
  return { tp, fp, fn };
}

// F1 = 2·TP / (2·TP + FP + FN): equal to 2PR/(P+R), and 0 when nothing was true or predicted (zero_division=0).
const f1 = (tp: number, fp: number, fn: number) => (tp + fp + fn === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn));

/** f1_score(targets, predictions, average="micro"); NaN without examples. */
export function microF1(input: Indicators): number {
  if (input.targets.length === 0) return NaN;
  const { tp, fp, fn } = labelCounts(input);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return f1(sum(tp), sum(fp), sum(fn));
}

/** f1_score(targets, predictions, average="macro", zero_division=0); NaN without examples. */
export function multiLabelMacroF1(input: Indicators): number {
  if (input.targets.length === 0) return NaN;
  const { tp, fp, fn } = labelCounts(input);
  return tp.reduce((sum, _, l) => sum + f1(tp[l], fp[l], fn[l]), 0) / input.labels;
}
