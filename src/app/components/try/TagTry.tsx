import { type FormEvent, useId, useState } from 'react';
import type { TaggedEvent } from '../../../worker/protocol.ts';
import { useStudio } from '../../store.ts';
import { failureOf } from '../../store-state.ts';

type Tagged = Omit<TaggedEvent, 'type' | 'replyTo'>;
type TagState = { status: 'idle' } | { status: 'running' } | { status: 'done'; result: Tagged } | { status: 'failed'; message: string };

const percent = (p: number) => `${(p * 100).toFixed(1)}%`;

/** Try it for a tagging adapter: a text in, its entities highlighted with their label and probability, and each word's tag. */
export function TagTry() {
  const id = useId();
  const tagText = useStudio((s) => s.tagText);
  const [text, setText] = useState('');
  const [state, setState] = useState<TagState>({ status: 'idle' });
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!text.trim()) return;
    setState({ status: 'running' });
    try {
      setState({ status: 'done', result: await tagText(text) });
    } catch (err) {
      setState({ status: 'failed', message: failureOf(err).message });
    }
  };
  return (
    <>
      <form className="predict-form" onSubmit={submit}>
        <div className="field">
          <label htmlFor={`${id}-text`}>Text to tag</label>
          <textarea id={`${id}-text`} rows={2} value={text} placeholder="the mayor of the city council visited geneva" onChange={(e) => setText(e.target.value)} />
        </div>
        <button type="submit" className="button primary" disabled={state.status === 'running' || !text.trim()}>{state.status === 'running' ? 'Tagging…' : 'Tag'}</button>
      </form>
      {state.status === 'failed' && <p className="notice error in-place" role="alert">{state.message}</p>}
      {state.status === 'done' && <TaggedView result={state.result} />}
    </>
  );
}

/** The text with each entity marked (label and probability beside it), then a table of every word's tag. */
function TaggedView({ result }: { result: Tagged }) {
  const { text, entities, words } = result;
  const pieces: React.ReactNode[] = [];
  let at = 0;
  for (const e of entities) {
    if (e.start > at) pieces.push(text.slice(at, e.start));
    pieces.push(
      <mark key={e.start} className="entity" data-label={e.label} data-probability={e.probability} title={`${e.label} ${percent(e.probability)}`}>
        <span className="entity-text">{text.slice(e.start, e.end)}</span> <span className="entity-label">{e.label} {percent(e.probability)}</span>
      </mark>,
    );
    at = e.end;
  }
  pieces.push(text.slice(at));
  return (
    <figure className="prediction tagged" aria-label="Entities">
      <figcaption>
        {entities.length === 0 ? 'No entities found.' : <>Entities: {entities.length}</>}
        {result.truncatedWords > 0 && <span className="help"> {result.truncatedWords} word(s) past the maximum length were not tagged.</span>}
      </figcaption>
      <p className="tagged-text">{pieces}</p>
      <details className="details">
        <summary>Every word's tag</summary>
        <table className="probability-table">
          <thead><tr><th scope="col">Word</th><th scope="col">Tag</th><th scope="col">Probability</th></tr></thead>
          <tbody>
            {words.map((w) => (
              <tr key={w.start} data-word={w.word} data-tag={w.tag ?? ''}>
                <th scope="row">{w.word}</th>
                <td>{w.tag ?? '(cut)'}</td>
                <td>{w.probability === undefined ? '' : percent(w.probability)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
