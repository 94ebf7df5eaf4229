/**
 * The Data step's detection of token classification (NER, POS tagging): a column holding a list of words per row
 * (`tokens`, `words`) next to a column holding a list of tags per row, one per word (conll2003's `ner_tags`, a
 * List of ClassLabel; or a list of tag names in JSON Lines). `ner_tags` wins over other tag lists (pos_tags, chunk_tags).
 */
import type { ColumnMapping, ColumnOverrides } from '../../data/column-mapping.ts';
import type { ColumnInfo, Row } from '../../data/columns.ts';
import { orderTagNames, readWords } from './tags.ts';

const WORD_NAMES = ['tokens', 'words', 'token', 'sentence'];
const TAG_NAMES = ['ner_tags', 'tags', 'ner', 'labels', 'label', 'pos_tags', 'chunk_tags'];

const isList = (c: ColumnInfo | undefined): c is ColumnInfo => c?.kind === 'list';
const cellsOf = (sample: Row[], name: string) => sample.map((r) => r[name]).filter((cell) => cell !== null && cell !== undefined);

/** Whether the sampled cells are lists of words (strings); with no sample, a List(Value(string)) type. */
function holdsWords(column: ColumnInfo, sample: Row[]): boolean {
  const cells = cellsOf(sample, column.name);
  if (cells.length === 0) return /\(Value\((large_)?string\)\)$/.test(column.type);
  return cells.every((cell) => readWords(cell) !== undefined);
}

/** Whether the column holds one tag per word: a list of ClassLabels, or lists of names / ids as long as the words. */
function holdsTags(column: ColumnInfo, words: ColumnInfo, sample: Row[]): boolean {
  if (column.classNames) return true;
  const rows = sample.filter((r) => Array.isArray(r[column.name]) && Array.isArray(r[words.name]));
  return rows.length > 0 && rows.every((r) => (r[column.name] as unknown[]).length === (r[words.name] as unknown[]).length
    && (r[column.name] as unknown[]).every((t) => typeof t === 'string' || Number.isInteger(t)));
}

function tagNamesOf(column: ColumnInfo, sample: Row[]): string[] {
  if (column.classNames) return column.classNames;
  const cells = cellsOf(sample, column.name).flatMap((cell) => (Array.isArray(cell) ? cell : []));
  if (cells.every((t) => typeof t === 'string')) return orderTagNames(cells as string[]);
  const max = cells.reduce((m: number, t) => Math.max(m, Number(t)), -1);
  return Array.from({ length: max + 1 }, (_, i) => String(i));
}

/** The token-classification mapping when the columns hold words and per-word tags (and the overrides ask for no other label). */
export function detectTokenClassification(columns: ColumnInfo[], sample: Row[], overrides: ColumnOverrides): ColumnMapping | undefined {
  const named = (names: string[]) => names.map((n) => columns.find((c) => c.name.toLowerCase() === n)).find(isList);
  const chosenWords = overrides.text === undefined ? undefined : columns.find((c) => c.name === overrides.text);
  if (overrides.text !== undefined && !isList(chosenWords)) return undefined;
  const words = chosenWords ?? [named(WORD_NAMES), ...columns.filter(isList)].find((c) => c !== undefined && holdsWords(c, sample));
  if (!words || !holdsWords(words, sample)) return undefined;
  const chosenTags = overrides.label === undefined ? undefined : columns.find((c) => c.name === overrides.label);
  if (overrides.label !== undefined && !isList(chosenTags)) return undefined;
  const others = columns.filter((c) => isList(c) && c.name !== words.name);
  const tags = chosenTags ?? [named(TAG_NAMES), ...others.filter((c) => c.classNames), ...others].find((c) => c !== undefined && c.name !== words.name && holdsTags(c, words, sample));
  if (!tags || tags.name === words.name || !holdsTags(tags, words, sample)) return undefined;
  const labelNames = overrides.labelNames?.length ? overrides.labelNames : tagNamesOf(tags, sample);
  if (labelNames.length < 2) return undefined;
  return {
    text: words.name,
    label: tags.name,
    labelKind: 'tags',
    task: 'tokenClassification',
    labelNames,
    reasons: {
      text: overrides.text ? 'chosen' : `"${words.name}" holds a list of words per row (${words.type})`,
      label: `${overrides.label ? 'chosen: ' : ''}"${tags.name}" holds one tag per word (${tags.type}${tags.classNames ? ` of ${tags.classNames.length} names` : ''}): token classification, as conll2003`,
    },
  };
}
