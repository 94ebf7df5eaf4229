/**
 * The Data step's detection of multiple choice: numbered choice columns (`ending0..3` as SWAG, `answer0..3` as
 * Cosmos QA), a context column before them (`sent1`, `context`), optionally a header that starts every choice
 * (`sent2`, `question`), and an integer label that picks the right choice.
 */
import type { ColumnMapping, ColumnOverrides } from '../../data/column-mapping.ts';
import type { ColumnInfo } from '../../data/columns.ts';

/** Prefixes of numbered choice columns (`ending0`, `answer0`, `choice0`, `option0`...), lower-cased. */
const CHOICE_PREFIXES = ['ending', 'answer', 'choice', 'option'];
/** Context columns, then the header each choice continues, lower-cased: SWAG's, Cosmos QA's, and common others. */
const CONTEXT_NAMES = ['sent1', 'context', 'article', 'passage', 'premise', 'text'];
const HEADER_NAMES = ['sent2', 'question', 'query'];

const byName = (columns: ColumnInfo[], name: string) => columns.find((c) => c.name.toLowerCase() === name);

/** The longest run `{prefix}0, {prefix}1, ...` of string columns for the first prefix that has at least two. */
export function choiceColumns(columns: ColumnInfo[]): ColumnInfo[] {
  for (const prefix of CHOICE_PREFIXES) {
    const run: ColumnInfo[] = [];
    for (let i = 0; ; i++) {
      const column = byName(columns, `${prefix}${i}`);
      if (column?.kind !== 'string') break;
      run.push(column);
    }
    if (run.length >= 2) return run;
  }
  return [];
}

/** The multiple-choice mapping when the columns are SWAG- or Cosmos-QA-shaped (overrides pick the context, header and label). */
export function detectMultipleChoice(columns: ColumnInfo[], overrides: ColumnOverrides): ColumnMapping | undefined {
  const choices = choiceColumns(columns);
  if (choices.length === 0) return undefined;
  const named = (override: string | undefined, names: string[]) => (override ? columns.find((c) => c.name === override) : names.map((n) => byName(columns, n)).find(Boolean));
  const context = named(overrides.text, CONTEXT_NAMES);
  const header = overrides.textPair === '' ? undefined : named(overrides.textPair, HEADER_NAMES);
  const label = named(overrides.label, ['label', 'labels']);
  if (context?.kind !== 'string' || (header && header.kind !== 'string')) return undefined;
  if (label?.kind !== 'int' && label?.kind !== 'classLabel') return undefined;
  const names = choices.map((c) => c.name);
  const span = `${names[0]}..${names[names.length - 1]}`;
  return {
    text: context.name,
    ...(header ? { textPair: header.name } : {}),
    label: label.name,
    labelKind: label.kind === 'classLabel' ? 'classLabel' : 'int',
    task: 'multipleChoice',
    // A label is the index of the right choice: the choice columns name the classes.
    labelNames: names,
    choices: names,
    reasons: {
      text: `context "${context.name}"${header ? `, then "${header.name}" before each choice` : ''}`,
      label: `"${label.name}" (${label.type}) picks one of the ${choices.length} choices ${span}: multiple choice, as ${choices[0].name.toLowerCase().startsWith('ending') ? 'SWAG' : 'Cosmos QA'}`,
    },
  };
}
