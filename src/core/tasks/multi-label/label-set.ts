/**
 * A row's set of labels as a multi-hot target: a list cell (go_emotions' `labels`: ClassLabel ids, or label names
 * in JSON files) or several 0/1 columns (one per label, as toxic-comment datasets spell them).
 */
import type { ColumnMapping } from '../../data/column-mapping.ts';
import type { Row } from '../../data/columns.ts';

/** Why a row has no target: no cell, or a value that is not a label (an id outside the list, a name not in it, a cell not 0/1). */
export type LabelSetSkip = 'missingLabel' | 'unknownLabel';

/** The 0/1 value of a binary label cell (0, 1, booleans, "0"/"1", "true"/"false"), or undefined for anything else. */
export function binaryValue(cell: unknown): 0 | 1 | undefined {
  if (cell === 1 || cell === true || cell === '1' || cell === 'true' || cell === 1n) return 1;
  if (cell === 0 || cell === false || cell === '0' || cell === 'false' || cell === 0n) return 0;
  return undefined;
}

/** The multi-hot target [labelNames.length] of a row, or why it has none. */
export function readLabelSet(row: Row, mapping: Pick<ColumnMapping, 'label' | 'labelKind' | 'labelNames' | 'labelColumns'>): number[] | LabelSetSkip {
  const width = mapping.labelNames.length;
  if (mapping.labelKind === 'binaryColumns') {
    const columns = mapping.labelColumns ?? [];
    const values = columns.map((c) => row[c]);
    if (values.some((v) => v === null || v === undefined || v === '')) return 'missingLabel';
    const bits = values.map(binaryValue);
    return bits.some((b) => b === undefined) ? 'unknownLabel' : (bits as number[]);
  }
  const cell = row[mapping.label];
  if (cell === null || cell === undefined) return 'missingLabel';
  const items = Array.isArray(cell) ? cell : ArrayBuffer.isView(cell) ? Array.from(cell as unknown as ArrayLike<number>) : undefined;
  if (!items) return 'unknownLabel';
  const target = new Array<number>(width).fill(0);
  for (const item of items) {
    const id = typeof item === 'string' ? mapping.labelNames.indexOf(item) : Number(item);
    if (!Number.isInteger(id) || id < 0 || id >= width) return 'unknownLabel';
    target[id] = 1;
  }
  return target;
}

/** The ids of the labels a multi-hot target holds. */
export const labelIdsOf = (target: ArrayLike<number>): number[] => Array.from(target, (v, i) => (v ? i : -1)).filter((i) => i >= 0);

/** [batch · labels] row-major 0/1 targets of a batch's examples (what the BCE loss and the head's labels take). */
export function multiHotBatch(targets: (readonly number[] | undefined)[]): Float32Array {
  const width = targets[0]?.length ?? 0;
  const out = new Float32Array(targets.length * width);
  targets.forEach((t, b) => {
    if (!t || t.length !== width) throw new RangeError(`Example ${b} of a multi-label batch has ${t?.length ?? 'no'} targets; the batch has ${width} labels.`);
    out.set(t, b * width);
  });
  return out;
}
