/**
 * Evaluation metrics over plain arrays, defined as scikit-learn and SciPy compute them (what `evaluate`'s GLUE
 * metrics call): accuracy_score, f1_score(average="macro"), mean_squared_error, pearsonr.
 */

/** Metrics of one evaluation; classification fills accuracy and macroF1, regression mse and pearson. */
export interface EvalMetrics {
  /** Mean loss per example: cross-entropy (classification) or squared error (regression). */
  loss: number;
  /** Share of examples whose arg-max class is the label. */
  accuracy?: number;
  /** Unweighted mean of the per-class F1 over the classes that occur in labels or predictions (multi-label: over all labels). */
  macroF1?: number;
  /** Multi-label: F1 of all (example, label) decisions pooled. */
  microF1?: number;
  /** Mean squared error of the predicted targets. */
  mse?: number;
  /** Pearson correlation of predictions and targets; NaN when either is constant. */
  pearson?: number;
  /** Question answering: SQuAD's exact match and token F1, in percent of the questions. */
  exactMatch?: number;
  f1?: number;
  /** Token classification: seqeval's entity F1, precision and recall (strict IOB2) and the share of word tags right. */
  entityF1?: number;
  entityPrecision?: number;
  entityRecall?: number;
  tokenAccuracy?: number;
  /** Examples evaluated. */
  examples: number;
}

/** Names of the metrics a run can keep its best checkpoint by. */
export type MetricName = 'loss' | 'accuracy' | 'macroF1' | 'mse' | 'pearson' | 'exactMatch' | 'f1' | 'entityF1' | 'tokenAccuracy' | 'microF1';

/** Whether a larger value of the metric is better. */
export function greaterIsBetter(metric: MetricName): boolean {
  return metric === 'accuracy' || metric === 'macroF1' || metric === 'pearson' || metric === 'exactMatch' || metric === 'f1' || metric === 'entityF1' || metric === 'tokenAccuracy' || metric === 'microF1';
}

/** Whether `candidate` beats `best` on `metric` (NaN never beats anything; anything beats a NaN or missing best). */
export function improves(metric: MetricName, candidate: number, best: number | undefined): boolean {
  if (Number.isNaN(candidate)) return false;
  if (best === undefined || Number.isNaN(best)) return true;
  return greaterIsBetter(metric) ? candidate > best : candidate < best;
}

export function accuracy(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths(predictions, labels);
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) right++;
  return labels.length === 0 ? NaN : right / labels.length;
}

/**
 * Macro-averaged F1 as f1_score(average="macro", zero_division=0): the classes are those present in the
 * labels or the predictions; a class never predicted has precision 0 (zero_division) and so F1 0.
 */
export function macroF1(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths(predictions, labels);
  const classes = new Set<number>();
  for (let i = 0; i < labels.length; i++) {
    classes.add(labels[i]);
    classes.add(predictions[i]);
  }
  if (classes.size === 0) return NaN;
  let sum = 0;
  for (const c of classes) {
    let truePositives = 0;
    let predicted = 0;
    let actual = 0;
    for (let i = 0; i < labels.length; i++) {
      if (predictions[i] === c) predicted++;
      if (labels[i] === c) actual++;
      if (predictions[i] === c && labels[i] === c) truePositives++;
    }
    // F1 = 2·TP / (predicted + actual): equal to 2PR/(P+R), and 0 when TP is 0 (zero_division=0).
    sum += (2 * truePositives) / (predicted + actual);
  }
  return sum / classes.size;
}

export function meanSquaredError(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  checkLengths(predictions, targets);
  let sum = 0;
  for (let i = 0; i < targets.length; i++) sum += (predictions[i] - targets[i]) ** 2;
  return targets.length === 0 ? NaN : sum / targets.length;
}

/** Pearson's r = cov(x, y) / (σx σy), computed from centred sums as scipy.stats.pearsonr; NaN for constant input. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkLengths(x, y);
  const n = x.length;
  if (n < 2) return NaN;
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    meanX += x[i];
    meanY += y[i];
  }
  meanX /= n;
  meanY /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - meanX;
    const dy = y[i] - meanY;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

function checkLengths(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`Metrics need one prediction per label; got ${a.length} predictions for ${b.length} labels.`);
}
