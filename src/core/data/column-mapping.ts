import type { ColumnInfo, Row } from './columns.ts';
import { detectMultiLabel } from '../tasks/multi-label/detect.ts';
import { detectMultipleChoice } from '../tasks/multiple-choice/detect.ts';
import { detectQuestionAnswering } from '../tasks/question-answering/detect.ts';
import { detectTokenClassification } from '../tasks/token-classification/detect.ts';
import { DataError } from './errors.ts';

/** Columns the user chose in Data settings; each one replaces what detection would pick. */
export interface ColumnOverrides {
  /** Column of the (first) text segment. */
  text?: string;
  /** Column of the second segment for sentence-pair tasks; `''` forces a single-text task. */
  textPair?: string;
  /** Column of the target. */
  label?: string;
  /** Class names in id order, for integer or string labels whose full set the first rows may not show. */
  labelNames?: string[];
  /** Multi-label: several 0/1 columns, one per label (or one list-of-labels column). */
  labelColumns?: string[];
}

/** How a label cell becomes the model's target. */
export type LabelKind = 'classLabel' | 'int' | 'string' | 'bool' | 'float' | 'answers' | 'tags' | 'labelList' | 'binaryColumns';

export interface ColumnMapping {
  /** Column of the (first) text segment. */
  text: string;
  /** Column of the second text segment of sentence-pair tasks (premise/hypothesis, sentence1/sentence2...). */
  textPair?: string;
  /** Column of the target (several 0/1 label columns: their names joined by commas). */
  label: string;
  /** Multi-label from 0/1 columns: the columns, one per label (in labelNames order). */
  labelColumns?: string[];
  /** How label cells are read: ClassLabel ids, integers (id = value), strings (id = index in labelNames), booleans, floats, SQuAD answer spans. */
  labelKind: LabelKind;
  /** `classification`: label → class id; `regression`: label → float target; `questionAnswering`: question + context → answer span; `tokenClassification`: a list of words → a tag per word; `multiLabel`: a set of labels → a 0/1 target per label. */
  task: 'classification' | 'regression' | 'questionAnswering' | 'multipleChoice' | 'tokenClassification' | 'multiLabel';
  /** Class names by id; empty for regression. */
  labelNames: string[];
  /** Multiple choice: the choice columns in label order (`ending0..3`); `text` is then the context, `textPair` the header before each choice. */
  choices?: string[];
  /** Why these columns were picked, one short phrase each (shown next to the pickers). */
  reasons: { text: string; label: string };
}

/** Pair columns by name, lower-cased: the `datasets` names, then GLUE's raw TSV headers (MRPC's `#1 String`). */
const PAIR_NAMES: [string, string][] = [
  ['premise', 'hypothesis'],
  ['sentence1', 'sentence2'],
  ['question1', 'question2'],
  ['question', 'sentence'],
  ['#1 string', '#2 string'],
  ['text_a', 'text_b'],
  ['text1', 'text2'],
];
const TEXT_NAMES = ['text', 'sentence', 'review', 'content', 'question'];
/** Label columns by name, lower-cased; `quality` (MRPC), `gold_label` (SNLI, MNLI) and `is_duplicate` (QQP) are GLUE's raw files. */
const LABEL_NAMES = ['label', 'labels', 'gold_label', 'quality', 'is_duplicate', 'sentiment', 'polarity', 'class', 'category', 'target', 'stars', 'rating', 'score'];
/** Identifier columns (`id`, `idx`, `guid`, `#1 ID`, `item_id`...): strings, but never the text to classify. */
const ID_NAME = /(^|[\s_#-])(id|idx|guid|uuid)$/i;
/** Most distinct values a string column may show in the sample and still be read as class names. */
const MAX_STRING_CLASSES = 100;

const columnList = (columns: ColumnInfo[]) => columns.map((c) => c.name).join(', ');

function findColumn(target: string, columns: ColumnInfo[], name: string, role: string): ColumnInfo {
  const column = columns.find((c) => c.name === name);
  if (!column) {
    throw new DataError(`${target} has no column "${name}" (chosen as the ${role}); columns are: ${columnList(columns)}. Choose another ${role}.`, 'UnknownColumn');
  }
  return column;
}

const isText = (c: ColumnInfo) => c.kind === 'string';

function meanLength(rows: Row[], name: string): number {
  let total = 0;
  for (const row of rows) total += typeof row[name] === 'string' ? (row[name] as string).length : 0;
  return rows.length ? total / rows.length : 0;
}

function distinctStrings(rows: Row[], name: string): string[] {
  const values = new Set<string>();
  for (const row of rows) if (typeof row[name] === 'string' && row[name] !== '') values.add(row[name] as string);
  return [...values].sort();
}

function labelCandidate(columns: ColumnInfo[], textColumns: Set<string>): ColumnInfo | undefined {
  const free = columns.filter((c) => !textColumns.has(c.name));
  const usable = (c: ColumnInfo) => ['classLabel', 'int', 'float', 'bool', 'string'].includes(c.kind);
  return free.find((c) => c.kind === 'classLabel' && c.name === 'label')
    ?? free.find((c) => c.kind === 'classLabel')
    ?? LABEL_NAMES.map((n) => free.find((c) => c.name.toLowerCase() === n && usable(c))).find(Boolean);
}

function labelKindOf(column: ColumnInfo): LabelKind {
  switch (column.kind) {
    case 'classLabel': return 'classLabel';
    case 'bool': return 'bool';
    case 'string': return 'string';
    case 'float': return 'float';
    default: return 'int';
  }
}

function labelNamesOf(column: ColumnInfo, kind: LabelKind, sample: Row[], target: string): string[] {
  switch (kind) {
    case 'classLabel': return column.classNames ?? [];
    case 'bool': return ['false', 'true'];
    case 'float':
    case 'answers':
    case 'tags':
    case 'labelList':
    case 'binaryColumns': return [];
    case 'string': {
      const names = distinctStrings(sample, column.name);
      if (names.length > MAX_STRING_CLASSES) {
        throw new DataError(`${target} column "${column.name}" has more than ${MAX_STRING_CLASSES} different values in its first ${sample.length} rows, too many for class labels. Choose the label column.`, 'NoLabelColumn');
      }
      return names;
    }
    case 'int': {
      const max = sample.reduce((m, r) => (typeof r[column.name] === 'number' ? Math.max(m, r[column.name] as number) : m), -1);
      return Array.from({ length: max + 1 }, (_, i) => String(i));
    }
  }
}

/**
 * Picks the text column(s) and the label from the column types and the first rows: user overrides first, then
 * well-known pair names (premise/hypothesis, sentence1/sentence2...), single names (text, sentence, review,
 * content, question), else the string column with the longest cells; the label is a ClassLabel column, else a
 * well-known label name. Throws a DataError naming the columns when no text or no label can be found.
 */
export function detectMapping(target: string, columns: ColumnInfo[], sample: Row[], overrides: ColumnOverrides = {}): ColumnMapping {
  const questionAnswering = detectQuestionAnswering(columns, sample, overrides);
  if (questionAnswering) return questionAnswering;
  const tagging = detectTokenClassification(columns, sample, overrides);
  if (tagging) return tagging;
  const multipleChoice = detectMultipleChoice(columns, overrides);
  if (multipleChoice) return multipleChoice;
  const textColumns = columns.filter(isText);
  if (textColumns.length === 0 && !overrides.text) {
    const media = columns.filter((c) => c.kind === 'image' || c.kind === 'audio');
    if (media.length > 0) {
      throw new DataError(`${target} holds ${media.map((c) => `${c.type.toLowerCase()} ("${c.name}")`).join(', ')} and no text; columns are: ${columnList(columns)}. Adapter Studio trains text classifiers: pick a text dataset.`, 'UnsupportedModality');
    }
    throw new DataError(`${target} has no text column; columns are: ${columnList(columns)}. Choose the text column.`, 'NoTextColumn');
  }

  let text: ColumnInfo | undefined;
  let textPair: ColumnInfo | undefined;
  let textReason = 'chosen';
  if (overrides.text) {
    text = findColumn(target, columns, overrides.text, 'text column');
    if (overrides.textPair) textPair = findColumn(target, columns, overrides.textPair, 'second text column');
  } else {
    const byName = (n: string) => textColumns.find((c) => c.name.toLowerCase() === n);
    const pair = overrides.textPair === '' ? undefined : PAIR_NAMES.find(([a, b]) => byName(a) && byName(b));
    if (pair) {
      [text, textPair] = [byName(pair[0]), byName(pair[1])];
      textReason = `sentence pair "${pair[0]}" / "${pair[1]}"`;
    } else {
      text = TEXT_NAMES.map(byName).find(Boolean);
      textReason = `column named "${text?.name}"`;
    }
    if (overrides.textPair) textPair = findColumn(target, columns, overrides.textPair, 'second text column');
  }

  const used = new Set([text?.name, textPair?.name].filter((n): n is string => Boolean(n)));
  const candidate = overrides.label
    ? findColumn(target, columns, overrides.label, 'label column')
    : labelCandidate(columns, used);
  const multiLabel = detectMultiLabel(target, columns, sample, overrides, candidate);
  const label = multiLabel ? undefined : candidate;

  // NER tags and multi-label targets: a list of class labels per row, which a sequence classifier cannot take.
  const perToken = columns.filter((c) => c.kind === 'list' && c.type.includes('ClassLabel'));
  if (!label && !multiLabel && perToken.length > 0) {
    const named = perToken.map((c) => `"${c.name}" (${c.type})`).join(', ');
    throw new DataError(`${target} has no column with one label per row: ${named} ${perToken.length === 1 ? 'holds' : 'hold'} a list of class labels per row (token tagging or multi-label), which Adapter Studio does not train; columns are: ${columnList(columns)}. Choose a single-label column, or pick a text classification dataset.`, 'NoLabelColumn');
  }
  if (!text) {
    const rest = textColumns.filter((c) => c.name !== label?.name && !multiLabel?.labelColumns?.includes(c.name) && !ID_NAME.test(c.name));
    text = rest.sort((a, b) => meanLength(sample, b.name) - meanLength(sample, a.name))[0];
    textReason = 'the string column with the longest cells';
    if (!text) {
      const ids = textColumns.filter((c) => ID_NAME.test(c.name)).map((c) => `"${c.name}"`);
      const besides = `${label ? ` besides the label "${label.name}"` : ''}${ids.length ? ` (${ids.join(', ')} ${ids.length === 1 ? 'is an identifier' : 'are identifiers'}, not text)` : ''}`;
      throw new DataError(`${target} has no text column${besides}; columns are: ${columnList(columns)}. Choose the text column.`, 'NoTextColumn');
    }
    const media = columns.filter((c) => c.kind === 'image' || c.kind === 'audio');
    if (media.length > 0) textReason += `; the ${media.map((c) => `${c.type.toLowerCase()} column "${c.name}"`).join(', ')} ${media.length === 1 ? 'is' : 'are'} not used`;
  }
  if (multiLabel) {
    const { reason, ...labelPart } = multiLabel;
    return { text: text.name, ...(textPair ? { textPair: textPair.name } : {}), ...labelPart, task: 'multiLabel', reasons: { text: textReason, label: reason } };
  }
  if (!label) {
    throw new DataError(`${target} has no label column; columns are: ${columnList(columns)}. Choose the label column.`, 'NoLabelColumn');
  }
  if (label.name === text.name || label.name === textPair?.name) {
    throw new DataError(`${target} column "${label.name}" cannot be both text and label. Choose different columns.`, 'UnknownColumn');
  }
  if (!['classLabel', 'int', 'float', 'bool', 'string'].includes(label.kind)) {
    throw new DataError(`${target} column "${label.name}" (${label.type}) cannot be a label: labels are class names, integers or numbers. Choose the label column.`, 'NoLabelColumn');
  }

  const labelKind = labelKindOf(label);
  const labelNames = overrides.labelNames?.length ? overrides.labelNames : labelNamesOf(label, labelKind, sample, target);
  return {
    text: text.name,
    ...(textPair ? { textPair: textPair.name } : {}),
    label: label.name,
    labelKind,
    task: labelKind === 'float' ? 'regression' : 'classification',
    labelNames,
    reasons: {
      text: textReason,
      label: overrides.label ? 'chosen' : label.kind === 'classLabel' ? 'ClassLabel column' : `column named "${label.name}"`,
    },
  };
}
