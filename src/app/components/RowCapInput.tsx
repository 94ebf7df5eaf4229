import { useStudio } from '../store.ts';
import { NumberField, checks } from './NumberField.tsx';

/** Largest cap a link can carry (`?rows=` takes up to nine digits). */
const MOST_ROWS = 999_999_999;

/** A cap on training examples for quick classroom runs; empty means every row. Committed once typing settles. */
export function RowCapInput() {
  const cap = useStudio((s) => s.dataChoice.maxTrainExamples);
  const updateDataChoice = useStudio((s) => s.updateDataChoice);
  return (
    <NumberField className="row-cap" id="row-cap" label="Train on at most (examples)" value={cap} placeholder="all" optional step={1} settleMs={500}
      check={checks.wholeBetween(1, MOST_ROWS)}
      onCommit={(next) => { if (next !== useStudio.getState().dataChoice.maxTrainExamples) updateDataChoice({ maxTrainExamples: next }); }}
      hint="Leave empty to use every row; a few hundred make a quick classroom run. Validation then reads at most a fifth as many (at least 200)." />
  );
}
