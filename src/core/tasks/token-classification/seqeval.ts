/**
 * seqeval's entity metrics (seqeval.metrics with mode="strict", scheme=IOB2, as the `evaluate` seqeval metric and
 * run_ner report them): an entity is a B-X tag followed by any I-X tags of the same type; an I-X that does not
 * continue such an entity starts none. Precision, recall and F1 are micro averages over exact (sentence, type,
 * start, end) matches, 0 where their denominator is 0 (zero_division 0); accuracy is the share of tags right.
 * Tag sets without B- / I- prefixes (POS tags) read as IO: each run of one tag other than "O" is one entity.
 */

export interface Entity {
  type: string;
  /** First word. */
  start: number;
  /** One past the last word. */
  end: number;
}

/** Whether every tag is "O", "B-…" or "I-…", with at least one B-. */
export function isIob2(names: readonly string[]): boolean {
  return names.some((n) => n.startsWith('B-')) && names.every((n) => n === 'O' || /^[BI]-./.test(n));
}

/** The entities of one tag sequence, strict IOB2 (or IO runs when `iob2` is false). */
export function entitiesOf(tags: readonly string[], iob2 = isIob2(tags)): Entity[] {
  const entities: Entity[] = [];
  let i = 0;
  while (i < tags.length) {
    const tag = tags[i];
    if (iob2 ? !tag.startsWith('B-') : tag === 'O') {
      i++;
      continue;
    }
    const type = iob2 ? tag.slice(2) : tag;
    const inside = iob2 ? `I-${type}` : tag;
    let end = i + 1;
    while (end < tags.length && tags[end] === inside) end++;
    entities.push({ type, start: i, end });
    i = end;
  }
  return entities;
}

export interface SeqevalScores {
  precision: number;
  recall: number;
  f1: number;
  /** Tags right over all tags. */
  accuracy: number;
  /** Gold entities. */
  entities: number;
}

/** seqeval over sentences: `gold[i]` and `predicted[i]` are sentence i's tags (as long as each other). */
export function seqevalScores(gold: readonly (readonly string[])[], predicted: readonly (readonly string[])[], iob2: boolean): SeqevalScores {
  if (gold.length !== predicted.length) throw new RangeError(`${gold.length} gold sentences but ${predicted.length} predicted ones.`);
  let correct = 0;
  let goldCount = 0;
  let predictedCount = 0;
  let right = 0;
  let tags = 0;
  gold.forEach((g, s) => {
    const p = predicted[s];
    if (g.length !== p.length) throw new RangeError(`Sentence ${s} has ${g.length} gold tags but ${p.length} predicted ones.`);
    for (let i = 0; i < g.length; i++) if (g[i] === p[i]) right++;
    tags += g.length;
    const goldEntities = entitiesOf(g, iob2);
    const found = new Set(goldEntities.map((e) => `${e.type}\u0000${e.start}\u0000${e.end}`));
    const predictedEntities = entitiesOf(p, iob2);
    for (const e of predictedEntities) if (found.has(`${e.type}\u0000${e.start}\u0000${e.end}`)) correct++;
    goldCount += goldEntities.length;
    predictedCount += predictedEntities.length;
  });
  const precision = predictedCount === 0 ? 0 : correct / predictedCount;
  const recall = goldCount === 0 ? 0 : correct / goldCount;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, accuracy: tags === 0 ? NaN : right / tags, entities: goldCount };
}
