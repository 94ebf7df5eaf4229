import { type ColumnMapping, type ColumnOverrides, detectMapping } from './column-mapping.ts';
import type { ColumnInfo } from './columns.ts';
import type { DatasetHandle, SplitSummary } from './dataset-handle.ts';
import { DataError } from './errors.ts';
import { RowMapper } from './examples.ts';
import { type Preview, buildPreview } from './preview.ts';
import { type PlanOptions, type SplitPlan, planSplits } from './split-plan.ts';

export interface InspectOptions extends Omit<PlanOptions, 'trainSplit'> {
  /** Split to train on (default `train`, else the first). */
  trainSplit?: string;
  /** Columns the user chose. */
  overrides?: ColumnOverrides;
  /** First rows of each split read to detect columns and labels (default 100). */
  sampleRows?: number;
  /** Examples shown in the preview (default 5). */
  previewRows?: number;
}

export interface SplitReport extends SplitSummary {
  /** Whether the split's first rows carry labels. */
  labelled: boolean;
  /** What the plan uses it for. */
  role?: 'train' | 'validation' | 'test';
}

/** Everything the Data panel and `adapter-studio data` show about a dataset before training. */
export interface DatasetReport {
  dataset: string;
  config?: string;
  configs: string[];
  columns: ColumnInfo[];
  mapping: ColumnMapping;
  splits: SplitReport[];
  plan: SplitPlan;
  /** The training split's first rows as mapped, with the label distribution over the sampled rows. */
  preview: Preview;
  /** What reading met that the user should know (lines of a file left out or joined), one sentence each. */
  warnings: string[];
}

const EVAL_SPLIT = /^(validation|valid|val|dev|test)$/;

/**
 * Samples the training split, detects (or applies the user's) column mapping, checks which evaluation splits
 * carry labels and plans train/validation/test. Throws DataErrors for empty splits and missing columns or labels.
 */
export async function inspectDataset(handle: DatasetHandle, options: InspectOptions = {}): Promise<DatasetReport> {
  const sampleRows = options.sampleRows ?? 100;
  const names = handle.splits.map((s) => s.name);
  const trainSplit = options.trainSplit ?? (names.includes('train') ? 'train' : names[0]);
  if (trainSplit === undefined) throw new DataError(`${handle.target()} has no splits. Pick another dataset.`, 'EmptySplit');
  const sample = await handle.sample(trainSplit, sampleRows);
  if (sample.length === 0) {
    throw new DataError(`${handle.target(trainSplit)} is empty. Choose another split or dataset.`, 'EmptySplit');
  }
  const mapping = detectMapping(handle.target(trainSplit), handle.columns, sample, options.overrides);
  const preview = buildPreview(sample, mapping, options.previewRows ?? 5);
  if (preview.stats.kept === 0) {
    const { skipped } = preview.stats;
    const why = skipped.unlabelled ? `all labels are −1 (unlabelled)` : `no row has both text in "${mapping.text}" and a label in "${mapping.label}"`;
    throw new DataError(`${handle.target(trainSplit)} has no usable rows in its first ${sample.length}: ${why}. Choose other columns or another split.`, skipped.unlabelled ? 'NoLabelColumn' : 'NoTextColumn');
  }

  const splits: SplitReport[] = await Promise.all(handle.splits.map(async (s): Promise<SplitReport> => {
    if (s.name === trainSplit) return { ...s, labelled: true };
    if (!EVAL_SPLIT.test(s.name)) return { ...s, labelled: false };
    const mapper = new RowMapper(mapping);
    (await handle.sample(s.name, sampleRows)).forEach((row, i) => mapper.map(row, i));
    return { ...s, labelled: mapper.stats.kept > 0 };
  }));
  const plan = planSplits(handle.target(), splits, { ...options, trainSplit });
  const roleOf = (name: string): SplitReport['role'] =>
    name === plan.train.split ? 'train' : name === plan.validation.split ? 'validation' : name === plan.test?.split ? 'test' : undefined;
  const reported = splits.map((s) => {
    const role = roleOf(s.name);
    return role ? { ...s, role } : s;
  });
  return {
    dataset: handle.name,
    ...(handle.config === undefined ? {} : { config: handle.config }),
    configs: handle.configs,
    columns: handle.columns,
    mapping,
    splits: reported,
    plan,
    preview,
    warnings: [...handle.warnings ?? [], ...plan.warnings ?? []],
  };
}
