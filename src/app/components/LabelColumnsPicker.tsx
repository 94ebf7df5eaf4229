/**
 * The Data step's choice of several 0/1 label columns, one per label (toxic-comment style multi-label data): the
 * number and boolean columns, any of which may be ticked. Two or more make the task multi-label.
 */
import { useId } from 'react';
import type { ColumnInfo } from '../../core/data/columns.ts';

export function LabelColumnsPicker({ columns, chosen, onChange }: { columns: ColumnInfo[]; chosen: string[]; onChange: (columns: string[]) => void }) {
  const id = useId();
  const candidates = columns.filter((c) => c.kind === 'int' || c.kind === 'bool' || c.kind === 'float');
  if (candidates.length < 2) return null;
  const toggle = (name: string, on: boolean) => onChange(on ? [...chosen, name] : chosen.filter((c) => c !== name));
  return (
    <fieldset className="picker label-columns" aria-describedby={`${id}-help`}>
      <legend>Or several 0/1 label columns (multi-label)</legend>
      {candidates.map((c) => (
        <label key={c.name} className="choice">
          <input type="checkbox" checked={chosen.includes(c.name)} onChange={(e) => toggle(c.name, e.target.checked)} /> {c.name}
        </label>
      ))}
      <span id={`${id}-help`} className="reason">one column a label, each cell 0 or 1; tick two or more</span>
    </fieldset>
  );
}
