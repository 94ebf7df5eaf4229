import type { ColumnMapping } from './column-mapping.ts';
import type { Row } from './columns.ts';
import { type Example, type MappingStats, RowMapper } from './examples.ts';

export interface LabelCount {
  /** Class id. */
  id: number;
  /** Class name. */
  name: string;
  /** Examples of this class among the previewed rows. */
  count: number;
}

/** Summary of regression targets among the previewed rows. */
export interface TargetRange {
  min: number;
  max: number;
  mean: number;
}

/** The first rows as the mapping reads them, and what the labels look like. */
export interface Preview {
  /** The first `limit` examples. */
  examples: Example[];
  /** Examples per class over all sampled rows (classification; multiple choice: per right choice), every class listed even at 0. */
  labelCounts?: LabelCount[];
  /** Range of the targets over all sampled rows (regression). */
  targetRange?: TargetRange;
  /** What mapping the sampled rows kept, skipped and truncated. */
  stats: MappingStats;
}

/** Maps `rows` (the first rows of a split, starting at row `firstRow`) and summarises their labels. */
export function buildPreview(rows: Row[], mapping: ColumnMapping, limit: number, firstRow = 0): Preview {
  const mapper = new RowMapper(mapping);
  const examples = rows.map((row, i) => mapper.map(row, firstRow + i)).filter((e): e is Example => e !== undefined);
  const preview: Preview = { examples: examples.slice(0, limit), stats: mapper.stats };
  if (mapping.task === 'tokenClassification') {
    // Words per tag.
    const counts = mapping.labelNames.map((name, id) => ({ id, name, count: 0 }));
    for (const e of examples) for (const tag of e.tags ?? []) counts[tag].count += 1;
    preview.labelCounts = counts;
  } else if (mapping.task === 'classification' || mapping.task === 'multipleChoice') {
    // Multiple choice: how often each choice is the right one.
    const counts = mapping.labelNames.map((name, id) => ({ id, name, count: 0 }));
    for (const e of examples) counts[e.label].count += 1;
    preview.labelCounts = counts;
  } else if (mapping.task === 'multiLabel') {
    // Examples carrying each label (a row counts once per label it has).
    preview.labelCounts = mapping.labelNames.map((name, id) => ({ id, name, count: examples.filter((e) => e.targets?.[id]).length }));
  } else if (mapping.task === 'regression' && examples.length > 0) {
    const targets = examples.map((e) => e.label);
    preview.targetRange = {
      min: Math.min(...targets),
      max: Math.max(...targets),
      mean: targets.reduce((a, b) => a + b, 0) / targets.length,
    };
  }
  return preview;
}
