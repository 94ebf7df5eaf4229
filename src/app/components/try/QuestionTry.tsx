import { type FormEvent, useId, useState } from 'react';
import type { AnsweredEvent } from '../../../worker/protocol.ts';
import { useStudio } from '../../store.ts';
import { failureOf } from '../../store-state.ts';

type Answered = Omit<AnsweredEvent, 'type' | 'replyTo'>;
type AskState = { status: 'idle' } | { status: 'running' } | { status: 'done'; result: Answered } | { status: 'failed'; message: string };

const percent = (p: number) => `${(p * 100).toFixed(1)}%`;

/** Try it for a question-answering adapter: a question and a paragraph in, the best span marked in the paragraph with its score. */
export function QuestionTry() {
  const id = useId();
  const askQuestion = useStudio((s) => s.askQuestion);
  const [question, setQuestion] = useState('');
  const [context, setContext] = useState('');
  const [state, setState] = useState<AskState>({ status: 'idle' });
  const ready = question.trim() !== '' && context.trim() !== '';
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!ready) return;
    setState({ status: 'running' });
    try {
      setState({ status: 'done', result: await askQuestion(question, context) });
    } catch (err) {
      setState({ status: 'failed', message: failureOf(err).message });
    }
  };
  return (
    <>
      <form className="predict-form" onSubmit={submit}>
        <div className="field">
          <label htmlFor={`${id}-question`}>Question</label>
          <input id={`${id}-question`} type="text" value={question} placeholder="When did it happen?" onChange={(e) => setQuestion(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-context`}>Paragraph</label>
          <textarea id={`${id}-context`} rows={4} value={context} placeholder="The mayor fixed the old road last week." onChange={(e) => setContext(e.target.value)} />
        </div>
        <button type="submit" className="button primary" disabled={state.status === 'running' || !ready}>{state.status === 'running' ? 'Answering…' : 'Answer'}</button>
      </form>
      {state.status === 'failed' && <p className="notice error in-place" role="alert">{state.message}</p>}
      {state.status === 'done' && <AnswerView result={state.result} />}
    </>
  );
}

/** The paragraph with the best answer's span marked, and the n best answers with their probabilities. */
function AnswerView({ result }: { result: Answered }) {
  const [best] = result.answers;
  const points = [...result.context];
  const found = best.end > best.start;
  return (
    <figure className="prediction answer" aria-label="Answer">
      <figcaption>
        {found
          ? <>Answer: <strong data-answer={best.text}>{best.text}</strong> ({percent(best.probability)}, score {best.score.toFixed(3)})</>
          : <>No answer span found in the paragraph.</>}
        {result.windows > 1 && <span className="help"> The paragraph took {result.windows} windows.</span>}
      </figcaption>
      <p className="answer-context" data-start={best.start} data-end={best.end}>
        {found ? <>{points.slice(0, best.start).join('')}<mark data-score={best.score}>{points.slice(best.start, best.end).join('')}</mark>{points.slice(best.end).join('')}</> : result.context}
      </p>
      <table className="probability-table">
        <thead><tr><th scope="col">Candidate</th><th scope="col">Probability</th><th scope="col">Score (start + end)</th></tr></thead>
        <tbody>
          {result.answers.slice(0, 5).map((a) => (
            <tr key={`${a.start}-${a.end}`} data-answer={a.text} data-probability={a.probability}>
              <th scope="row">{a.text}</th>
              <td>
                <span className="probability" data-kind="trained">
                  <span className="probability-bar" style={{ width: `${a.probability * 100}%` }} aria-hidden="true" />
                  <span className="probability-value">{percent(a.probability)}</span>
                </span>
              </td>
              <td>{a.score.toFixed(3)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
