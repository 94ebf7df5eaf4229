import { readLabelSet } from '../tasks/multi-label/label-set.ts';
import { type Answers, readAnswers } from '../tasks/question-answering/answers.ts';
import { readTags, readWords } from '../tasks/token-classification/tags.ts';
import type { ColumnMapping } from './column-mapping.ts';
import type { Row } from './columns.ts';

/** One training example, as the mapping reads it from a row. */
export interface Example {
  /** First text segment, cut to the mapper's `maxTextChars`. */
  text: string;
  /** Second text segment of sentence-pair tasks. */
  textPair?: string;
  /** Class id (classification) or target value (regression). */
  label: number;
  /** Index of the source row in its split (stable across epochs and resumes). */
  row: number;
  /** Question answering: the answer spans in `textPair` (the context); `label` is then 0. */
  answers?: Answers;
  /** Multi-label: 0/1 per label, in labelNames order; `label` is then 0. */
  targets?: number[];
  /** Token classification: the row's words (`text` is them joined by spaces) and a tag id per word; `label` is then 0. */
  words?: string[];
  tags?: number[];
  /** Multiple choice: the choices in label order; `label` is the right one's index, `textPair` the header before each. */
  choices?: string[];
}

/** Why a row did not become an example. */
export type SkipReason = 'missingText' | 'missingLabel' | 'unlabelled' | 'unknownLabel' | 'tagCount';

export interface MappingStats {
  /** Rows looked at. */
  rows: number;
  /** Rows that became examples. */
  kept: number;
  /** Rows left out, by reason: empty/null text, empty/null label, label −1 (unlabelled, e.g. GLUE test), label outside the class list, tags not one per word (token classification). */
  skipped: Record<SkipReason, number>;
  /** Text cells longer than `maxTextChars`, cut to that length. */
  truncated: number;
}

/** Far more than the 512 tokens an encoder reads; longer cells are cut (and counted) so one huge cell cannot stall tokenisation. */
export const DEFAULT_MAX_TEXT_CHARS = 20_000;

function emptyStats(): MappingStats {
  return { rows: 0, kept: 0, skipped: { missingText: 0, missingLabel: 0, unlabelled: 0, unknownLabel: 0, tagCount: 0 }, truncated: 0 };
}

/** Reads rows through a column mapping into examples, counting what it skips or truncates. */
export class RowMapper {
  /** Counts since construction. */
  readonly stats: MappingStats = emptyStats();
  private readonly classIds: Map<string, number>;

  constructor(readonly mapping: ColumnMapping, readonly maxTextChars = DEFAULT_MAX_TEXT_CHARS) {
    this.classIds = new Map(mapping.labelNames.map((name, id) => [name, id]));
  }

  /** The example of row `index`, or undefined when the row is skipped (the reason is counted). */
  map(row: Row, index: number): Example | undefined {
    this.stats.rows += 1;
    if (this.mapping.labelKind === 'tags') return this.mapTags(row, index);
    const text = this.text(row[this.mapping.text]);
    const textPair = this.mapping.textPair === undefined ? undefined : this.text(row[this.mapping.textPair]);
    if (text === undefined || (this.mapping.textPair !== undefined && textPair === undefined)) return this.skip('missingText');
    if (this.mapping.labelKind === 'answers') {
      const answers = readAnswers(row[this.mapping.label]);
      if (typeof answers === 'string' || textPair === undefined) return this.skip('missingLabel');
      this.stats.kept += 1;
      return { text, textPair, label: 0, row: index, answers };
    }
    if (this.mapping.task === 'multiLabel') {
      const targets = readLabelSet(row, this.mapping);
      if (typeof targets === 'string') return this.skip(targets);
      this.stats.kept += 1;
      return textPair === undefined ? { text, label: 0, row: index, targets } : { text, textPair, label: 0, row: index, targets };
    }
    const label = this.label(row[this.mapping.label]);
    if (typeof label === 'string') return this.skip(label);
    const choices = this.mapping.choices?.map((column) => this.text(row[column]));
    if (choices?.includes(undefined)) return this.skip('missingText');
    this.stats.kept += 1;
    if (choices) return { text, ...(textPair === undefined ? {} : { textPair }), label, row: index, choices: choices as string[] };
    return textPair === undefined ? { text, label, row: index } : { text, textPair, label, row: index };
  }

  /** A row of words and their tags (lists of the same length). */
  private mapTags(row: Row, index: number): Example | undefined {
    const words = readWords(row[this.mapping.text]);
    if (!words) return this.skip('missingText');
    const tags = readTags(row[this.mapping.label], this.mapping.labelNames, this.classIds, words.length);
    if (typeof tags === 'string') return this.skip(tags);
    this.stats.kept += 1;
    return { text: words.join(' '), label: 0, row: index, words, tags };
  }

  private skip(reason: SkipReason): undefined {
    this.stats.skipped[reason] += 1;
    return undefined;
  }

  private text(cell: unknown): string | undefined {
    const value = typeof cell === 'string' ? cell
      : typeof cell === 'number' || typeof cell === 'bigint' || typeof cell === 'boolean' ? String(cell)
      : undefined;
    if (value === undefined || value.trim() === '') return undefined;
    if (value.length <= this.maxTextChars) return value;
    this.stats.truncated += 1;
    return value.slice(0, this.maxTextChars);
  }

  /** The target, or the reason the cell has none. */
  private label(cell: unknown): number | SkipReason {
    if (cell === null || cell === undefined || cell === '') return 'missingLabel';
    switch (this.mapping.labelKind) {
      case 'float': {
        const value = Number(cell);
        return Number.isFinite(value) ? value : 'missingLabel';
      }
      case 'string': {
        const id = this.classIds.get(String(cell));
        return id === undefined ? 'unknownLabel' : id;
      }
      case 'bool':
        return cell === true || cell === 'true' ? 1 : cell === false || cell === 'false' ? 0 : 'unknownLabel';
      default: {
        const value = Number(cell);
        if (!Number.isInteger(value)) return 'unknownLabel';
        if (value < 0) return 'unlabelled';
        return value < this.mapping.labelNames.length ? value : 'unknownLabel';
      }
    }
  }
}
