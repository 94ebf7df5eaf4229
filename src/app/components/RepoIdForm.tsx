import { type FormEvent, useId, useState } from 'react';
import { checkRepoId } from '../../hub/endpoint.ts';
import { repoIdOf } from '../repo-id.ts';

export interface RepoIdFormProps {
  /** What the id names, singular: "model", "dataset". */
  noun: string;
  /** An example id for the placeholder. */
  example: string;
  onSubmit: (id: string) => void;
}

/** "Or paste an id": takes a Hub repository id (or its huggingface.co URL) typed or pasted by the user. */
export function RepoIdForm({ noun, example, onSubmit }: RepoIdFormProps) {
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<string>();
  const inputId = useId();
  const problemId = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const id = repoIdOf(draft);
    try {
      onSubmit(checkRepoId(id));
      setProblem(undefined);
    } catch (err) {
      setProblem((err as Error).message);
    }
  };
  return (
    <form className="repo-id-form" onSubmit={submit}>
      <label htmlFor={inputId}>Or paste a {noun} id</label>
      <div className="row">
        <input id={inputId} type="text" value={draft} placeholder={example} autoComplete="off" spellCheck={false}
          aria-invalid={problem ? true : undefined} aria-describedby={problem ? problemId : undefined}
          onChange={(e) => setDraft(e.target.value)} />
        <button type="submit" className="button" disabled={!draft.trim()}>Use this {noun}</button>
      </div>
      {problem && <p id={problemId} className="error" role="alert">{problem}</p>}
    </form>
  );
}
