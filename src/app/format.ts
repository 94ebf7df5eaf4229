const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });

/** 1234567 → "1.2M". */
export function formatCount(count: number): string {
  return compact.format(count);
}

/** Bytes as "1 GiB", "128 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

const whole = new Intl.NumberFormat('en');

/** 168448 → "168,448". */
export function formatInteger(count: number): string {
  return whole.format(count);
}

/** A share as a percentage: 0.1234 → "12%". */
export function formatPercent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** The metrics of an evaluation, in the order and words the page shows them. */
const METRIC_ORDER = ['accuracy', 'microF1', 'macroF1', 'mse', 'pearson', 'exactMatch', 'f1', 'entityF1', 'tokenAccuracy', 'loss'] as const;
export type ShownMetric = (typeof METRIC_ORDER)[number];
export const METRIC_LABELS: Record<ShownMetric, string> = { accuracy: 'accuracy', microF1: 'micro-F1', macroF1: 'macro-F1', mse: 'MSE', pearson: 'Pearson', exactMatch: 'exact match', f1: 'F1', entityF1: 'entity F1', tokenAccuracy: 'token accuracy', loss: 'loss' };

/** One metric as every step writes it: accuracy as a percentage (88.5%), F1 and Pearson to 3 places, MSE and loss to 4. */
export function formatMetric(name: ShownMetric, value: number): string {
  if (!Number.isFinite(value)) return String(value);
  switch (name) {
    case 'accuracy':
    case 'tokenAccuracy': return `${(value * 100).toFixed(1)}%`;
    case 'microF1':
    case 'macroF1':
    case 'entityF1':
    case 'pearson': return value.toFixed(3);
    case 'mse':
    case 'loss': return value.toFixed(4);
    // SQuAD's, already in percent.
    case 'exactMatch':
    case 'f1': return `${value.toFixed(1)}%`;
  }
}

/** The metrics of a record (`examples` and unknown names left out), in the page's order, as [name, "88.5%"]. */
export function metricEntries(metrics: Partial<Record<ShownMetric, number>>): [ShownMetric, string][] {
  return METRIC_ORDER.flatMap((name) => {
    const value = metrics[name];
    return typeof value === 'number' ? [[name, formatMetric(name, value)] as [ShownMetric, string]] : [];
  });
}

/** "accuracy 88.5%, macro-F1 0.885, loss 0.3012". */
export function formatMetrics(metrics: Partial<Record<ShownMetric, number>>): string {
  return metricEntries(metrics).map(([name, text]) => `${METRIC_LABELS[name]} ${text}`).join(', ');
}

/** A duration in the unit a person reads: "40 s", "3 min 5 s", "2 h 10 min"; "…" while unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '…';
  const whole = Math.round(seconds);
  if (whole < 90) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Training speed: "12.3 examples/s", or below one a second "4.2 s per example", so slow machines don't read "0.0". */
export function formatPace(examplesPerSecond: number): string {
  if (!Number.isFinite(examplesPerSecond) || examplesPerSecond <= 0) return '…';
  if (examplesPerSecond >= 1) return `${examplesPerSecond.toFixed(1)} examples/s`;
  const per = 1 / examplesPerSecond;
  return `${per < 10 ? per.toFixed(1) : Math.round(per)} s per example`;
}

/** Tokens a second, whole, or with one decimal below 10 ("0.4"), never a bare "0" for a slow but moving run. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '…';
  return perSecond < 10 ? perSecond.toFixed(1) : formatInteger(Math.round(perSecond));
}
