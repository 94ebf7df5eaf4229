/**
 * The Data step's detection of extractive question answering: a `question` and a `context` text column and an
 * `answers` column whose cells are SQuAD's `{text, answer_start}` (run_qa's default column names).
 */
import type { ColumnMapping, ColumnOverrides } from '../../data/column-mapping.ts';
import type { ColumnInfo, Row } from '../../data/columns.ts';
import { looksLikeAnswers } from './answers.ts';

const byName = (columns: ColumnInfo[], name: string) => columns.find((c) => c.name.toLowerCase() === name);

/** The question-answering mapping when the columns are SQuAD-shaped (and the overrides do not ask for another label). */
export function detectQuestionAnswering(columns: ColumnInfo[], sample: Row[], overrides: ColumnOverrides): ColumnMapping | undefined {
  const question = overrides.text ? columns.find((c) => c.name === overrides.text) : byName(columns, 'question');
  const context = overrides.textPair ? columns.find((c) => c.name === overrides.textPair) : byName(columns, 'context');
  const answers = overrides.label ? columns.find((c) => c.name === overrides.label) : byName(columns, 'answers');
  if (!question || !context || !answers || question.kind !== 'string' || context.kind !== 'string') return undefined;
  const cells = sample.map((row) => row[answers.name]).filter((cell) => cell !== null && cell !== undefined);
  if (cells.length === 0 || !cells.every(looksLikeAnswers)) return undefined;
  return {
    text: question.name,
    textPair: context.name,
    label: answers.name,
    labelKind: 'answers',
    task: 'questionAnswering',
    labelNames: [],
    reasons: {
      text: `question "${question.name}" / context "${context.name}"`,
      label: `"${answers.name}" holds answer spans ({text, answer_start} in the context, ${answers.type}): extractive question answering, as SQuAD`,
    },
  };
}
