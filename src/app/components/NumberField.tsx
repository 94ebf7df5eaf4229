import { type ReactNode, useEffect, useId, useRef, useState } from 'react';

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
  /** Wait this long after the last keystroke before committing (for values that start work, like a data read). */
  settleMs?: number;
  id?: string;
  className?: string;
}

const shownValue = (value: number | undefined) => (value === undefined ? '' : String(value));

/**
 * A number input whose applied value is always the one it shows. Each acceptable value is committed as it is typed;
 * while the text is not acceptable the value it had before this edit is applied again (so "1e400" typed key by key
 * does not leave 1e40 in effect), and on leaving the field the text goes back to that applied value, with a note.
 */
export function NumberField({ label, value, placeholder, check, onCommit, optional, step = 'any', disabled, hint, settleMs, id: givenId, className }: NumberFieldProps) {
  const ownId = useId();
  const id = givenId ?? ownId;
  const [draft, setDraft] = useState(shownValue(value));
  const [problem, setProblem] = useState<string>();
  const [note, setNote] = useState<string>();
  /** The value when this edit began: what applies again while the text is not acceptable. */
  const before = useRef(value);
  const editing = useRef(false);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const pending = useRef<{ value: number | undefined }>(undefined);
  useEffect(() => {
    // While the user types, the text is theirs; a value set from elsewhere (a button, a link) replaces it otherwise.
    if (editing.current) return;
    before.current = value;
    setDraft((current) => (Number(current) === value && current.trim() !== '' ? current : shownValue(value)));
    setProblem(undefined);
  }, [value]);
  useEffect(() => () => clearTimeout(timer.current), []);

  const flush = () => {
    clearTimeout(timer.current);
    const next = pending.current;
    pending.current = undefined;
    if (next) onCommit(next.value);
  };
  const commit = (next: number | undefined) => {
    if (!settleMs) return onCommit(next);
    pending.current = { value: next };
    clearTimeout(timer.current);
    timer.current = setTimeout(flush, settleMs);
  };
  const refuse = (why: string) => {
    setProblem(why);
    commit(before.current);
  };
  const change = (text: string, unreadable: boolean) => {
    editing.current = true;
    setDraft(text);
    setNote(undefined);
    if (unreadable) return refuse('Give a number.');
    if (text.trim() === '') {
      if (!optional) return refuse('Give a value.');
      setProblem(undefined);
      return commit(undefined);
    }
    const n = Number(text);
    const why = Number.isFinite(n) ? check(n) : 'Give a number.';
    if (why) return refuse(why);
    setProblem(undefined);
    commit(n);
  };
  const leave = () => {
    flush();
    editing.current = false;
    if (problem) {
      // The text goes back to what applies, so the field never shows a value that is not in effect.
      setNote(`${problem.replace(/\.$/, '')}: kept ${before.current ?? placeholder ?? 'the default'}.`);
      setProblem(undefined);
      setDraft(shownValue(before.current));
    }
    before.current = value;
  };
  const message = problem ?? note;
  const described = [message ? `${id}-problem` : undefined, hint ? `${id}-hint` : undefined].filter(Boolean).join(' ') || undefined;
  return (
    <div className={className ?? 'field'}>
      <label htmlFor={id}>{label}</label>
      <input id={id} type="number" inputMode="decimal" step={step} value={draft} placeholder={placeholder} disabled={disabled}
        aria-invalid={problem ? true : undefined} aria-describedby={described}
        onChange={(e) => change(e.target.value, e.target.validity.badInput)} onBlur={leave}
        onKeyDown={(e) => { if (e.key === 'Enter') leave(); }} />
      {hint && <span id={`${id}-hint`} className="help">{hint}</span>}
      {problem && <span id={`${id}-problem`} className="error" role="alert">{problem} Still using {before.current ?? placeholder ?? 'the default'}.</span>}
      {!problem && note && <span id={`${id}-problem`} className="help field-note" role="status">{note}</span>}
    </div>
  );
}

/** Checks for NumberField. */
export const checks = {
  positive: (n: number) => (n > 0 ? undefined : 'Give a number above 0.'),
  wholeFrom: (min: number) => (n: number) => (Number.isInteger(n) && n >= min ? undefined : `Give a whole number of at least ${min}.`),
  between: (min: number, max: number) => (n: number) => (n >= min && n <= max ? undefined : `Give a number from ${min} to ${max}.`),
  atLeast: (min: number) => (n: number) => (n >= min ? undefined : `Give a number of at least ${min}.`),
  /** A whole number from min to max (e.g. a row cap the URL can carry). */
  wholeBetween: (min: number, max: number) => (n: number) => (Number.isInteger(n) && n >= min && n <= max ? undefined : `Give a whole number from ${min} to ${max}.`),
};
