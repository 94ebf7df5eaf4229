import { useEffect, useState } from 'react';
import { useStudio } from '../store.ts';
import { useDebouncedValue } from '../use-debounced-value.ts';

/** A cap on training examples for quick classroom runs; empty means every row. */
export function RowCapInput() {
  const cap = useStudio((s) => s.dataChoice.maxTrainExamples);
  const updateDataChoice = useStudio((s) => s.updateDataChoice);
  const [draft, setDraft] = useState(cap === undefined ? '' : String(cap));
  const settled = useDebouncedValue(draft.trim(), 500);
  const valid = settled === '' || /^[1-9]\d{0,8}$/.test(settled);
  useEffect(() => {
    const next = settled === '' ? undefined : Number(settled);
    if (valid && next !== useStudio.getState().dataChoice.maxTrainExamples) updateDataChoice({ maxTrainExamples: next });
  }, [settled, valid, updateDataChoice]);
  return (
    <div className="row-cap">
      <label htmlFor="row-cap">Train on at most</label>
      <input id="row-cap" type="number" min={1} step={1} inputMode="numeric" value={draft} placeholder="all" aria-invalid={!valid || undefined}
        aria-describedby="row-cap-help" onChange={(e) => setDraft(e.target.value)} />
      <span>examples</span>
      <p id="row-cap-help" className="help">{valid ? 'Leave empty to use every row; a few hundred make a quick classroom run. Validation then reads at most a fifth as many (at least 200).' : 'Give a whole number above 0, or leave it empty.'}</p>
    </div>
  );
}
