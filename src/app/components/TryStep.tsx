import { type FormEvent, useId, useMemo, useState } from 'react';
import { headSpecOf, useStudio } from '../store.ts';
import { isActive } from '../training-slice.ts';
import { AdapterLibrary } from './AdapterLibrary.tsx';
import { ShelfPanel } from './ShelfPanel.tsx';
import { MultiLabelPrediction } from './try/MultiLabelPrediction.tsx';
import { Bar, percent } from './try/ProbabilityBar.tsx';
import { ChoiceTry } from './try/ChoiceTry.tsx';
import { QuestionTry } from './try/QuestionTry.tsx';
import { TagTry } from './try/TagTry.tsx';
import { metricsPhrase } from '../training-view.ts';

/** Step 5: the active adapter on the user's own text, beside the same adapter as initialised before training. */
export function TryStep() {
  const adapter = useStudio((s) => s.activeAdapter);
  const training = useStudio((s) => s.training);
  const report = useStudio((s) => s.dataReport);
  const pairFromData = useMemo(() => {
    if (report.status !== 'done' || report.result.inspection.status !== 'ok') return false;
    return report.result.inspection.report.mapping.textPair !== undefined;
  }, [report]);
  const pair = adapter?.training ? adapter.training.textColumns.length === 2 : pairFromData;
  return (
    <section id="step-try" className="step wide" aria-labelledby="try-step-title">
      <h2 id="try-step-title"><span className="step-number" aria-hidden="true">5</span> Try it</h2>
      <p className="step-help">{adapter?.head?.task === 'questionAnswering'
        ? 'Ask a question about a paragraph: the adapter marks the span of the paragraph it reads as the answer, with its score and the runners-up.'
        : adapter?.head?.task === 'tokenClassification' ? 'Type a text: the adapter tags each word, and the entities its tags spell are highlighted with their label and probability.'
        : adapter?.head?.task === 'multipleChoice' ? 'Give a context and its choices: the adapter scores each (context, choice) pair and ranks the choices by probability.'
        : adapter?.head?.task === 'multiLabel' ? 'Type a text: the adapter gives every label its own probability, and predicts each one at or above its threshold, next to the untrained head.'
        : 'Type a text and see what the adapter predicts, next to the untrained head (the same adapter as initialised before training).'}</p>
      {!adapter ? (
        <p className="locked">Train an adapter in step 4, open one you trained before below, or import one in step 6, to try it.</p>
      ) : isActive(training) ? (
        <p className="locked">Training is running: try the adapter once it ends.</p>
      ) : (
        <>
          {adapter.head?.task === 'questionAnswering' ? <QuestionTry key={adapter.name} />
            : adapter.head?.task === 'tokenClassification' ? <TagTry key={adapter.name} />
            : adapter.head?.task === 'multipleChoice' ? <ChoiceTry key={adapter.name} choices={adapter.head.labels.length} header={pair} />
            : <><PredictForm pair={pair} /><PredictionView /></>}
          <Evaluation />
        </>
      )}
      <ShelfPanel />
      <AdapterLibrary />
    </section>
  );
}

function PredictForm({ pair }: { pair: boolean }) {
  const id = useId();
  const predict = useStudio((s) => s.predict);
  const running = useStudio((s) => s.prediction.status === 'running');
  const [text, setText] = useState('');
  const [second, setSecond] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim()) void predict([text], pair ? [second] : undefined);
  };
  return (
    <form className="predict-form" onSubmit={submit}>
      <div className="field">
        <label htmlFor={`${id}-text`}>{pair ? 'First text' : 'Text to classify'}</label>
        <textarea id={`${id}-text`} rows={2} value={text} placeholder="a wonderful, moving film" onChange={(e) => setText(e.target.value)} />
      </div>
      {pair && (
        <div className="field">
          <label htmlFor={`${id}-pair`}>Second text</label>
          <textarea id={`${id}-pair`} rows={2} value={second} onChange={(e) => setSecond(e.target.value)} />
        </div>
      )}
      <button type="submit" className="button primary" disabled={running || !text.trim()}>{running ? 'Predicting…' : 'Predict'}</button>
    </form>
  );
}

/** Each label's probability as a bar, trained against untrained; or the predicted values of a regression head. */
function PredictionView() {
  const prediction = useStudio((s) => s.prediction);
  if (prediction.status === 'failed') return <p className="notice error in-place" role="alert">{prediction.failure.message}</p>;
  if (prediction.status !== 'done') return null;
  const { result } = prediction;
  const trained = result.trained[0];
  const untrained = result.untrained[0];
  if (result.task === 'multiLabel') return <MultiLabelPrediction result={result} />;
  if (result.task === 'regression') {
    return (
      <dl className="facts prediction" aria-label="Prediction">
        <dt>Trained</dt><dd data-value={trained[0]}>{trained[0].toFixed(4)}</dd>
        <dt>Untrained</dt><dd data-value={untrained[0]}>{untrained[0].toFixed(4)}</dd>
      </dl>
    );
  }
  const top = trained.indexOf(Math.max(...trained));
  return (
    <figure className="prediction" aria-label="Prediction">
      <figcaption>
        Predicted: <strong data-label={result.labels[top]}>{result.labels[top]}</strong> ({percent(trained[top])})
      </figcaption>
      <table className="probability-table">
        <thead>
          <tr><th scope="col">Label</th><th scope="col">Trained</th><th scope="col">Untrained head</th></tr>
        </thead>
        <tbody>
          {result.labels.map((label, i) => (
            <tr key={label} data-label={label} data-trained={trained[i]} data-untrained={untrained[i]}>
              <th scope="row">{label}</th>
              <td><Bar value={trained[i]} kind="trained" /></td>
              <td><Bar value={untrained[i]} kind="untrained" /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/** The active adapter's loss and metrics on the chosen data's validation split. */
function Evaluation() {
  const evaluation = useStudio((s) => s.evaluation);
  const evaluateActive = useStudio((s) => s.evaluateActive);
  const report = useStudio((s) => s.dataReport);
  const dataReady = useMemo(() => headSpecOf(report) !== undefined, [report]);
  return (
    <div className="evaluation">
      <button type="button" className="button" disabled={!dataReady || evaluation.status === 'running'} onClick={() => void evaluateActive()}>
        {evaluation.status === 'running' ? 'Evaluating…' : 'Evaluate on the validation split'}
      </button>
      {!dataReady && <span className="help"> Choose the data in step 3 to evaluate on.</span>}
      {evaluation.status === 'done' && <p role="status">Validation (split “{evaluation.split}”, {evaluation.metrics.examples} examples): {metricsPhrase(evaluation.metrics)}</p>}
      {evaluation.status === 'failed' && <p className="notice error in-place" role="alert">{evaluation.failure.message}</p>}
    </div>
  );
}
