import { describe, expect, it } from 'vitest';
import { columnsOfFeatures } from '../core/data/columns.ts';
import { dataFixHint, plainMessage, plainReason, plainType } from './plain-words.ts';

describe('the Data step in plain words', () => {
  it('names column kinds for a newcomer, from the features a Hub dataset declares', () => {
    // The shape of the dataset viewer's /info features for SST-2 plus a float, a list and an image column.
    const columns = columnsOfFeatures({
      sentence: { dtype: 'string', _type: 'Value' },
      label: { names: ['negative', 'positive'], _type: 'ClassLabel' },
      score: { dtype: 'float32', _type: 'Value' },
      idx: { dtype: 'int32', _type: 'Value' },
      image: { _type: 'Image' },
    });
    expect(columns.map((c) => `${c.name}: ${plainType(c)}`)).toEqual(['sentence: text', 'label: class labels', 'score: numbers', 'idx: whole numbers', 'image: images']);
  });

  it('says the datasets library\'s types in words inside messages, leaving the rest as written', () => {
    expect(plainMessage('Dataset "x/y" column "score" (Value(float32)) cannot be a label, and "tags" (Sequence(ClassLabel)) is per token.'))
      .toBe('Dataset "x/y" column "score" (numbers) cannot be a label, and "tags" (lists of class labels) is per token.');
    expect(plainMessage('Column "text" (Value(string)) and "pic" (Image).')).toBe('Column "text" (text) and "pic" (images).');
    expect(plainMessage('No types here (see above).')).toBe('No types here (see above).');
  });

  it('explains why a column was picked, and where the fix is on the page', () => {
    expect(plainReason('ClassLabel column')).toBe('the dataset marks it as its class label');
    expect(plainReason('column named "text"')).toBe('column named "text"');
    expect(plainReason('the string column with the longest cells')).toBe('the column with the longest texts');
    expect(dataFixHint('NoTextColumn')).toBe('Use the Text and Label pickers above.');
    expect(dataFixHint('NeedsToken')).toBeUndefined();
  });
});
