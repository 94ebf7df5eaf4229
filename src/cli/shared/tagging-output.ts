/** How `predict` prints a tagging adapter's result: the entities, then each word with its tag and probability. */
import type { TaggingResult } from '../../core/tasks/token-classification/tag-predict.ts';

export function taggingLines({ words, entities, truncatedWords }: TaggingResult): string[] {
  const width = Math.min(24, Math.max(4, ...words.map((w) => w.word.length)));
  return [
    `Entities: ${entities.length === 0 ? '(none)' : entities.map((e) => `${e.label} "${e.text}" (${(e.probability * 100).toFixed(1)}%)`).join(', ')}`,
    ...words.map((w) => `  ${w.word.padEnd(width)} ${(w.tag ?? '(cut)').padEnd(10)} ${w.probability === undefined ? '' : w.probability.toFixed(4)}`.trimEnd()),
    ...(truncatedWords > 0 ? [`${truncatedWords} word(s) past --max-length were not tagged.`] : []),
  ];
}
