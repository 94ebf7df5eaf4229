/**
 * An example's (context, choice) pairs as transformers' run_swag.py builds them: the context first, repeated for
 * every choice, and the header followed by the choice second (`f"{header} {ending}"`), truncated longest-first.
 */
import type { Example } from '../../data/examples.ts';

export interface ChoicePairs {
  /** The first segment of each pair: the context. */
  first: string[];
  /** The second segment of each pair: the header (when the mapping has one) and a space, then the choice. */
  second: string[];
}

/** The pairs of one example; throws when it has no choices (it was not read with a multiple-choice mapping). */
export function choicePairs(example: Pick<Example, 'text' | 'textPair' | 'choices'>): ChoicePairs {
  const choices = example.choices;
  if (!choices || choices.length < 2) throw new TypeError(`A multiple-choice example needs at least 2 choices, got ${choices?.length ?? 0}.`);
  return {
    first: choices.map(() => example.text),
    second: choices.map((choice) => (example.textPair === undefined ? choice : `${example.textPair} ${choice}`)),
  };
}
