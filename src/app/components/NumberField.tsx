import { type ReactNode, useEffect, useId, useState } from 'react';

export interface NumberFieldProps {
  label: string;
  /** The committed value; undefined shows the placeholder. */
  value: number | undefined;
  /** Shown when empty (e.g. the default). */
  placeholder?: string;
  /** Whether a typed value is acceptable; say why not. */
  check: (value: number) => string | undefined;
  /** Called with each acceptable value, and undefined when emptied (when `optional`). */
  onCommit: (value: number | undefined) => void;
  /** Empty is allowed (means "off" or "default"). */
  optional?: boolean;
  step?: number | 'any';
  disabled?: boolean;
  hint?: ReactNode;
}

/** A number input that commits only well-formed values and says what is wrong with the others. */
export function NumberField({ label, value, placeholder, check, onCommit, optional, step = 'any', disabled, hint }: NumberFieldProps) {
  const id = useId();
  const [draft, setDraft] = useState(value === undefined ? '' : String(value));
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    setDraft((current) => (Number(current) === value && current.trim() !== '' ? current : value === undefined ? '' : String(value)));
    setProblem(undefined);
  }, [value]);
  const change = (text: string) => {
    setDraft(text);
    if (text.trim() === '') {
      if (optional) {
        setProblem(undefined);
        onCommit(undefined);
      } else setProblem('Give a value.');
      return;
    }
    const n = Number(text);
    const why = Number.isFinite(n) ? check(n) : 'Give a number.';
    setProblem(why);
    if (!why) onCommit(n);
  };
  const described = [problem ? `${id}-problem` : undefined, hint ? `${id}-hint` : undefined].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="number" inputMode="decimal" step={step} value={draft} placeholder={placeholder} disabled={disabled}
        aria-invalid={problem ? true : undefined} aria-describedby={described} onChange={(e) => change(e.target.value)} />
      {hint && <span id={`${id}-hint`} className="help">{hint}</span>}
      {problem && <span id={`${id}-problem`} className="error" role="alert">{problem}</span>}
    </div>
  );
}

/** Checks for NumberField. */
export const checks = {
  positive: (n: number) => (n > 0 ? undefined : 'Give a number above 0.'),
  wholeFrom: (min: number) => (n: number) => (Number.isInteger(n) && n >= min ? undefined : `Give a whole number of at least ${min}.`),
  between: (min: number, max: number) => (n: number) => (n >= min && n <= max ? undefined : `Give a number from ${min} to ${max}.`),
  atLeast: (min: number) => (n: number) => (n >= min ? undefined : `Give a number of at least ${min}.`),
};
