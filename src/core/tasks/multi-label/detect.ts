/**
 * The Data step's detection of multi-label classification: a list-of-labels column (a Sequence(ClassLabel) like
 * go_emotions' `labels`, or a JSON list of ids or names), or several 0/1 columns the user names (`--label-columns`).
 */
import type { ColumnOverrides, LabelKind } from '../../data/column-mapping.ts';
import type { ColumnInfo, Row } from '../../data/columns.ts';
import { DataError } from '../../data/errors.ts';
import { binaryValue } from './label-set.ts';

/** The label part of a multi-label mapping. */
export interface MultiLabelTarget {
  label: string;
  labelKind: Extract<LabelKind, 'labelList' | 'binaryColumns'>;
  labelColumns?: string[];
  labelNames: string[];
  reason: string;
}

/** Most labels a list column may show in the sample and still be read as label names. */
const MAX_LABELS = 200;
const ID_NAME = /(^|[\s_#-])(id|idx|guid|uuid)$/i;

const columnList = (columns: ColumnInfo[]) => columns.map((c) => c.name).join(', ');

/** Label names of a list column: its ClassLabel names, else the names (strings) or ids (integers) its cells hold. */
function listLabelNames(target: string, column: ColumnInfo, sample: Row[]): string[] {
  if (column.classNames?.length) return column.classNames;
  const items = sample.flatMap((row) => (Array.isArray(row[column.name]) ? (row[column.name] as unknown[]) : []));
  if (items.length > 0 && items.every((v) => typeof v === 'string')) {
    const names = [...new Set(items as string[])].sort();
    if (names.length > MAX_LABELS) throw new DataError(`${target} column "${column.name}" lists more than ${MAX_LABELS} different labels in its first ${sample.length} rows, too many for a multi-label head. Choose the label column.`, 'NoLabelColumn');
    return names;
  }
  if (items.length > 0 && items.every((v) => Number.isInteger(Number(v)) && Number(v) >= 0 && typeof v !== 'boolean')) {
    const max = Math.max(...items.map(Number));
    return Array.from({ length: max + 1 }, (_, i) => String(i));
  }
  throw new DataError(`${target} column "${column.name}" (${column.type}) holds no list of label ids or names in its first ${sample.length} rows, so it cannot be a multi-label target. Choose the label column.`, 'NoLabelColumn');
}

function listTarget(target: string, column: ColumnInfo, sample: Row[], chosen: boolean): MultiLabelTarget {
  const labelNames = listLabelNames(target, column, sample);
  if (labelNames.length < 2) throw new DataError(`${target} column "${column.name}" holds only ${labelNames.length} label; a multi-label head needs at least 2. Choose the label column.`, 'NoLabelColumn');
  return {
    label: column.name,
    labelKind: 'labelList',
    labelNames,
    reason: `${chosen ? 'chosen; ' : ''}"${column.name}" holds a list of labels per row (${column.type}, ${labelNames.length} labels): multi-label classification, a sigmoid per label`,
  };
}

function binaryTarget(target: string, columns: ColumnInfo[], sample: Row[], names: string[]): MultiLabelTarget {
  if (names.length < 2) throw new DataError(`${target}: one 0/1 label column ("${names[0]}") is binary classification, not multi-label. Choose it as the label column, or name two or more 0/1 columns.`, 'NoLabelColumn');
  const chosen = names.map((name) => {
    const column = columns.find((c) => c.name === name);
    if (!column) throw new DataError(`${target} has no column "${name}" (chosen as a label column); columns are: ${columnList(columns)}. Choose other label columns.`, 'UnknownColumn');
    return column;
  });
  if (new Set(names).size !== names.length) throw new DataError(`${target}: the label columns ${names.join(', ')} name a column twice. Choose each label column once.`, 'UnknownColumn');
  for (const column of chosen) {
    const bad = sample.map((row) => row[column.name]).find((v) => v !== null && v !== undefined && binaryValue(v) === undefined);
    if (bad !== undefined) throw new DataError(`${target} column "${column.name}" holds ${JSON.stringify(bad)}; each of several label columns must hold 0/1 (or true/false), one column per label. Choose 0/1 columns, or one list-of-labels column.`, 'NoLabelColumn');
  }
  return {
    label: names.join(','),
    labelKind: 'binaryColumns',
    labelColumns: names,
    labelNames: names,
    reason: `chosen: ${names.length} 0/1 columns, one per label: multi-label classification, a sigmoid per label`,
  };
}

/**
 * The multi-label target, or undefined for another task: `labelColumns` when chosen (one list column, or several
 * 0/1 columns), a chosen `label` that is a list column, else (when no single-label column was found) a list of
 * ClassLabels beside a plain text column (a list of tokens with per-token labels is tagging, not this).
 */
export function detectMultiLabel(target: string, columns: ColumnInfo[], sample: Row[], overrides: ColumnOverrides, singleLabel: ColumnInfo | undefined): MultiLabelTarget | undefined {
  const chosen = overrides.labelColumns?.filter((c) => c.trim() !== '').map((c) => c.trim());
  if (chosen?.length) {
    if (chosen.length > 1) return binaryTarget(target, columns, sample, chosen);
    const column = columns.find((c) => c.name === chosen[0]);
    if (column?.kind === 'list') return listTarget(target, column, sample, true);
    return binaryTarget(target, columns, sample, chosen);
  }
  if (overrides.label) return singleLabel?.kind === 'list' ? listTarget(target, singleLabel, sample, true) : undefined;
  if (singleLabel) return undefined;
  const hasText = columns.some((c) => c.kind === 'string' && !ID_NAME.test(c.name));
  const list = columns.find((c) => c.kind === 'list' && c.classNames?.length) ?? columns.find((c) => c.kind === 'list' && /^labels?$/i.test(c.name));
  return hasText && list ? listTarget(target, list, sample, false) : undefined;
}
