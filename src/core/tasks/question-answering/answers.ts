/**
 * SQuAD's `answers` cell: `{text: [...], answer_start: [...]}` (a `Sequence` of a dict in `datasets`, stored as a
 * struct of lists), also accepted as a list of `{text, answer_start}` objects (JSON Lines written by hand) and
 * with one answer unwrapped (`{text: "…", answer_start: 3}`). answer_start counts code points, as Python does.
 */

export interface Answers {
  text: string[];
  answerStart: number[];
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]);

/** The answers of a cell, or a sentence saying why the cell holds none (the row is then left out). */
export function readAnswers(cell: unknown): Answers | string {
  let value = cell;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return 'is text, not {text, answer_start}';
    }
  }
  if (Array.isArray(value)) {
    const items = value as { text?: unknown; answer_start?: unknown }[];
    value = { text: items.map((a) => a?.text), answer_start: items.map((a) => a?.answer_start) };
  }
  if (typeof value !== 'object' || value === null) return 'is not an object with text and answer_start';
  const { text, answer_start: starts } = value as { text?: unknown; answer_start?: unknown };
  const texts = list(text);
  const answerStart = list(starts).map((s) => (typeof s === 'bigint' ? Number(s) : s));
  if (texts.length !== answerStart.length) return `has ${texts.length} answer texts but ${answerStart.length} answer_start values`;
  if (!texts.every((t) => typeof t === 'string')) return 'has an answer text that is not a string';
  if (!answerStart.every((s) => Number.isInteger(s) && (s as number) >= 0)) return 'has an answer_start that is not a non-negative integer';
  return { text: texts as string[], answerStart: answerStart as number[] };
}

/** Whether a cell looks like SQuAD answers (for detection from the first rows). */
export function looksLikeAnswers(cell: unknown): boolean {
  return typeof readAnswers(cell) === 'object';
}
