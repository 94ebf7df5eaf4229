import { type FormEvent, useEffect, useId, useState } from 'react';

export interface RevisionFieldProps {
  /** The revision in use; undefined means main. */
  revision?: string;
  onChange: (revision: string | undefined) => void;
}

/**
 * Which revision of the model to read: a branch, tag, commit id or pull request (`refs/pr/1`, where the Hub's
 * conversion bot often puts the safetensors of an older repo). Empty or "main" is the default branch.
 */
export function RevisionField({ revision, onChange }: RevisionFieldProps) {
  const [draft, setDraft] = useState(revision ?? '');
  const inputId = useId();
  const helpId = useId();
  useEffect(() => setDraft(revision ?? ''), [revision]);
  const wanted = draft.trim() === '' || draft.trim() === 'main' ? undefined : draft.trim();
  const apply = (event?: FormEvent) => {
    event?.preventDefault();
    if (wanted !== revision) onChange(wanted);
  };
  return (
    <form className="revision-form" onSubmit={apply}>
      <label htmlFor={inputId}>Revision</label>
      <div className="row">
        <input id={inputId} type="text" value={draft} placeholder="main" autoComplete="off" spellCheck={false} aria-describedby={helpId}
          onChange={(e) => setDraft(e.target.value)} onBlur={() => apply()} />
        <button type="submit" className="button" disabled={wanted === revision}>Use revision</button>
      </div>
      <p id={helpId} className="help">A branch, tag, commit id or pull request such as <code>refs/pr/1</code>; empty for main.</p>
    </form>
  );
}
