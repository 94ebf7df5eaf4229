/**
 * Token-classification cells as `datasets` holds them (conll2003, wnut_17): a list of words (`tokens`) and a list of
 * tags of the same length (`ner_tags`), the tags ClassLabel ids or, in plain JSON / CSV files, their names.
 */
import { entitiesOf, isIob2 } from './seqeval.ts';

/** The words of a cell: a list of strings (numbers read as their text); undefined when the cell is not such a list or is empty. */
export function readWords(cell: unknown): string[] | undefined {
  if (!Array.isArray(cell) || cell.length === 0) return undefined;
  const words: string[] = [];
  for (const item of cell) {
    if (typeof item === 'string') words.push(item);
    else if (typeof item === 'number' || typeof item === 'bigint') words.push(String(item));
    else return undefined;
  }
  return words;
}

/** Why a row's tags cannot be read. */
export type TagProblem = 'missingLabel' | 'unknownLabel' | 'tagCount';

/**
 * The tag ids of a cell: ClassLabel ids (0 … names − 1) or tag names (their index in `labelNames`); `words` tags
 * are needed, one per word.
 */
export function readTags(cell: unknown, labelNames: readonly string[], classIds: ReadonlyMap<string, number>, words: number): number[] | TagProblem {
  if (!Array.isArray(cell) || cell.length === 0) return 'missingLabel';
  if (cell.length !== words) return 'tagCount';
  const tags: number[] = [];
  for (const item of cell) {
    const id = typeof item === 'string' ? classIds.get(item) : typeof item === 'number' || typeof item === 'bigint' ? Number(item) : undefined;
    if (id === undefined || !Number.isInteger(id) || id < 0 || id >= labelNames.length) return 'unknownLabel';
    tags.push(id);
  }
  return tags;
}

/** Tag names in a useful order for a head: "O" first, then by entity type with B- before I- (names seen in the sample). */
export function orderTagNames(names: Iterable<string>): string[] {
  const typeOf = (n: string) => n.replace(/^[BIES]-/, '');
  return [...new Set(names)].sort((a, b) => (a === 'O' ? -1 : b === 'O' ? 1 : typeOf(a).localeCompare(typeOf(b)) || a.localeCompare(b)));
}

/** A row's entities in a line, e.g. `PER "police chief", LOC "geneva"` (what `data` shows for a tagged row). */
export function entitySummary(words: readonly string[], tags: readonly number[], labelNames: readonly string[]): string {
  const entities = entitiesOf(tags.map((t) => labelNames[t]), isIob2(labelNames));
  return entities.length === 0 ? '(no entities)' : entities.map((e) => `${e.type} "${words.slice(e.start, e.end).join(' ')}"`).join(', ');
}
