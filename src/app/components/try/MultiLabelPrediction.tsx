/**
 * Try it for a multi-label adapter: every label with its own sigmoid probability (most probable first), trained
 * against untrained, and its threshold; the labels at or above their thresholds are named and marked.
 */
import type { PredictedEvent } from '../../../worker/protocol.ts';
import { Bar, percent } from './ProbabilityBar.tsx';

export function MultiLabelPrediction({ result }: { result: Omit<PredictedEvent, 'type' | 'replyTo'> }) {
  const trained = result.trained[0];
  const untrained = result.untrained[0];
  const thresholds = result.thresholds ?? result.labels.map(() => 0.5);
  const order = result.labels.map((_, i) => i).sort((a, b) => trained[b] - trained[a]);
  const predicted = order.filter((i) => trained[i] >= thresholds[i]);
  return (
    <figure className="prediction multi-label" aria-label="Prediction">
      <figcaption data-labels={predicted.map((i) => result.labels[i]).join(',')}>
        {predicted.length
          ? <>Predicted labels: {predicted.map((i, n) => <span key={i}>{n > 0 && ', '}<strong data-label={result.labels[i]}>{result.labels[i]}</strong> ({percent(trained[i])})</span>)}</>
          : <>No label reaches its threshold (the most probable: {result.labels[order[0]]}, {percent(trained[order[0]])}).</>}
      </figcaption>
      <table className="probability-table">
        <thead>
          <tr><th scope="col">Label</th><th scope="col">Trained</th><th scope="col">Threshold</th><th scope="col">Untrained head</th></tr>
        </thead>
        <tbody>
          {order.map((i) => {
            const above = trained[i] >= thresholds[i];
            return (
              <tr key={result.labels[i]} data-label={result.labels[i]} data-trained={trained[i]} data-untrained={untrained[i]} data-predicted={above || undefined} className={above ? 'predicted' : undefined}>
                <th scope="row">{above ? '✓ ' : ''}{result.labels[i]}{above && <span className="visually-hidden"> (predicted)</span>}</th>
                <td><Bar value={trained[i]} kind="trained" /></td>
                <td>{percent(thresholds[i])}</td>
                <td><Bar value={untrained[i]} kind="untrained" /></td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </figure>
  );
}
