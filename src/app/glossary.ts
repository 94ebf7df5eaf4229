/**
 * One line a student can read for each number the studio shows while training: what it measures and which way is
 * good. Shown on hover and keyboard focus (components/Explain.tsx).
 */
export const GLOSSARY = {
  loss: 'How wrong the predictions are on average (cross-entropy for classes, squared error for numbers). Lower is better; it should fall as the adapter learns.',
  accuracy: 'The share of validation texts whose predicted label is the right one. 100% means every one.',
  microF1: 'Multi-label: F1 over every (text, label) decision pooled together: how well the predicted labels match the right ones overall, frequent labels counting most. 1 is perfect.',
  macroF1: 'F1 balances "found all of a class" against "was right when it said that class". Macro-F1 averages it over the classes, so a class the adapter ignores pulls it down even when accuracy looks good. 1 is perfect.',
  mse: 'Mean squared error: the average of (prediction − true value)². Lower is better; 0 is perfect.',
  pearson: 'How well the predictions rise and fall with the true values, from −1 to 1. 1 is a perfect match.',
  exactMatch: 'Question answering: the share of questions whose answer is exactly one of the right answers, after SQuAD\'s clean-up (case, punctuation, a / an / the, spaces). 100% means every one.',
  f1: 'Question answering: how many words the answer shares with the best right answer, balancing "all its words are right" against "it has all the right words", averaged over the questions (SQuAD\'s F1). 100% is perfect.',
  entityF1: 'Token classification: F1 over whole entities (seqeval, strict IOB2): an entity counts only when its words and its type are all right, balancing "found all the entities" against "was right when it named one". 1 is perfect.',
  tokenAccuracy: 'Token classification: the share of words whose tag is right, "O" (outside any entity) included, so it looks high even when entities are missed.',
  learningRate: 'How big a step each update takes. It warms up, then shrinks. Too high and the loss jumps around; too low and learning is slow.',
  tokensPerSecond: 'Word pieces the model reads per second while training: the speed of this machine on this model.',
  pace: 'Training texts processed per second (or, on slow machines, seconds per text).',
  timeLeft: 'An estimate from the recent pace: it changes as the pace does, and evaluations add to it.',
  trainable: 'The share of the model\'s weights that training changes: the adapter and the head. The rest of the model stays frozen, which is why adapters train fast and export small.',
  steps: 'One step = one batch of examples read and one update of the adapter\'s weights.',
  epoch: 'One epoch = one pass over every training example.',
} as const;

export type GlossaryTerm = keyof typeof GLOSSARY;
