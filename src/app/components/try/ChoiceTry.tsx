import { type FormEvent, useId, useState } from 'react';
import type { RankedChoicesEvent } from '../../../worker/protocol.ts';
import { useStudio } from '../../store.ts';
import { failureOf } from '../../store-state.ts';

type Ranked = Omit<RankedChoicesEvent, 'type' | 'replyTo'>;
type RankState = { status: 'idle' } | { status: 'running' } | { status: 'done'; result: Ranked } | { status: 'failed'; message: string };

const percent = (p: number) => `${(p * 100).toFixed(1)}%`;

/**
 * Try it for a multiple-choice adapter: a context, the header before each choice (when the data has one, as SWAG's
 * sent2) and as many choices as the head's num_choices in; the choices ranked by probability out.
 */
export function ChoiceTry({ choices: count, header: withHeader }: { choices: number; header: boolean }) {
  const id = useId();
  const rankChoices = useStudio((s) => s.rankChoices);
  const [context, setContext] = useState('');
  const [header, setHeader] = useState('');
  const [choices, setChoices] = useState<string[]>(() => Array.from({ length: count }, () => ''));
  const [state, setState] = useState<RankState>({ status: 'idle' });
  const ready = context.trim() !== '' && choices.every((c) => c.trim() !== '');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!ready) return;
    setState({ status: 'running' });
    try {
      setState({ status: 'done', result: await rankChoices(context, withHeader ? header : '', choices) });
    } catch (err) {
      setState({ status: 'failed', message: failureOf(err).message });
    }
  };
  return (
    <>
      <form className="predict-form" onSubmit={submit}>
        <div className="field">
          <label htmlFor={`${id}-context`}>Context</label>
          <textarea id={`${id}-context`} rows={2} value={context} placeholder="Diplomats signed a ceasefire in Geneva this week." onChange={(e) => setContext(e.target.value)} />
        </div>
        {withHeader && (
          <div className="field">
            <label htmlFor={`${id}-header`}>Start of each choice (optional)</label>
            <input id={`${id}-header`} type="text" value={header} placeholder="On Monday" onChange={(e) => setHeader(e.target.value)} />
          </div>
        )}
        {choices.map((choice, i) => (
          <div className="field" key={i}>
            <label htmlFor={`${id}-choice-${i}`}>Choice {i + 1}</label>
            <input id={`${id}-choice-${i}`} type="text" value={choice} onChange={(e) => setChoices(choices.map((c, j) => (j === i ? e.target.value : c)))} />
          </div>
        ))}
        <button type="submit" className="button primary" disabled={state.status === 'running' || !ready}>{state.status === 'running' ? 'Ranking…' : 'Rank the choices'}</button>
        {!ready && <span className="help"> The head picks among {count} choices: fill in the context and all {count}.</span>}
      </form>
      {state.status === 'failed' && <p className="notice error in-place" role="alert">{state.message}</p>}
      {state.status === 'done' && <RankingView result={state.result} />}
    </>
  );
}

/** The choices, the most probable first, with their probabilities and scores. */
function RankingView({ result }: { result: Ranked }) {
  const [best] = result.ranking;
  return (
    <figure className="prediction ranking" aria-label="Ranking">
      <figcaption>Chosen: <strong data-choice={best.choice}>{best.choice}</strong> (choice {best.index + 1}, {percent(best.probability)})</figcaption>
      <table className="probability-table">
        <thead><tr><th scope="col">Choice, most probable first</th><th scope="col">Probability</th><th scope="col">Score</th></tr></thead>
        <tbody>
          {result.ranking.map((r, rank) => (
            <tr key={r.index} data-choice={r.choice} data-index={r.index} data-probability={r.probability}>
              <th scope="row"><span className="muted">{rank + 1}.</span> {r.choice}</th>
              <td>
                <span className="probability" data-kind="trained">
                  <span className="probability-bar" style={{ width: `${r.probability * 100}%` }} aria-hidden="true" />
                  <span className="probability-value">{percent(r.probability)}</span>
                </span>
              </td>
              <td>{r.logit.toFixed(3)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
