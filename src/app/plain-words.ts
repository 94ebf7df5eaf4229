/**
 * The data step in words a newcomer reads: column kinds instead of the `datasets` library's feature types
 * ("text" for `Value(string)`, "class label" for `ClassLabel`), which the page keeps behind a "details" toggle.
 */
import type { ColumnInfo, ColumnKind } from '../core/data/columns.ts';

const KIND_WORDS: Record<ColumnKind, string> = {
  string: 'text', int: 'whole numbers', float: 'numbers', bool: 'yes/no', classLabel: 'class labels', image: 'images', audio: 'audio',
  list: 'lists', other: 'other values',
};

/** What a column holds, in words: "text", "class labels", "numbers". */
export function plainType(column: Pick<ColumnInfo, 'kind'>): string {
  return KIND_WORDS[column.kind];
}

/** A feature type as the dataset spells it, in words: `Value(string)` → "text", `Sequence(ClassLabel)` → "lists of class labels". */
function plainFeature(type: string): string {
  const list = /^(?:Sequence|List|LargeList)\((.*)\)$/.exec(type);
  if (list) return `lists of ${plainFeature(list[1])}`;
  const value = /^Value\((.*)\)$/.exec(type);
  if (value) {
    const dtype = value[1];
    if (dtype === 'string' || dtype === 'large_string') return 'text';
    if (/^u?int\d+$/.test(dtype)) return 'whole numbers';
    if (/^float\d+$|^double$/.test(dtype)) return 'numbers';
    if (dtype === 'bool') return 'yes/no';
    return dtype;
  }
  if (type === 'ClassLabel') return 'class labels';
  if (type === 'Image') return 'images';
  if (type === 'Audio') return 'audio';
  return type;
}

/** A message from the data module with each "(Value(string))"-style type said in words; other text is kept as is. */
export function plainMessage(message: string): string {
  return message
    .replace(/\((?:Value|Sequence|List|LargeList)\((?:[^()]|\([^()]*\))*\)\)|\((?:ClassLabel|Image|Audio)\)/g, (match) => `(${plainFeature(match.slice(1, -1))})`);
}

/** Why a column was picked, in words. */
export function plainReason(reason: string): string {
  if (reason === 'ClassLabel column') return 'the dataset marks it as its class label';
  if (reason === 'chosen') return 'chosen by you';
  if (reason.startsWith('the string column with the longest cells')) return reason.replace('the string column with the longest cells', 'the column with the longest texts');
  return reason;
}

/** Where on the page the data error's fix is, by its code (the core's messages name no place on the page). */
export function dataFixHint(code: string | undefined): string | undefined {
  switch (code) {
    case 'NoTextColumn':
    case 'NoLabelColumn':
    case 'UnknownColumn': return 'Use the Text and Label pickers above.';
    case 'UnknownSplit':
    case 'EmptySplit': return 'Use the “Train on split” picker above.';
    case 'UnknownConfig': return 'Use the Config picker above.';
    default: return undefined;
  }
}
