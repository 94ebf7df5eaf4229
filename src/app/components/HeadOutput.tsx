import type { ComposedHeadOutput } from '../../core/vocabulary/adapter.ts';

const percent = (p: number) => `${(p * 100).toFixed(1)}%`;

/** One head's output: per text, its label and every label's probability (or the predicted value). */
export function HeadOutput({ head, texts }: { head: ComposedHeadOutput; texts: string[] }) {
  return (
    <figure className="prediction composed-head" data-head={head.adapter}>
      <figcaption>Head <strong>{head.adapter}</strong></figcaption>
      {head.values.map((values, i) => {
        const text = texts[head.rows[0] + i];
        if (head.task === 'regression') return <p key={i} data-value={values[0]}>{texts.length > 1 ? `“${text}”: ` : ''}{values[0].toFixed(4)}</p>;
        const top = values.indexOf(Math.max(...values));
        return (
          <div key={i}>
            <p>{texts.length > 1 ? `“${text}”: ` : ''}<strong data-label={head.labels[top]}>{head.labels[top]}</strong> ({percent(values[top])})</p>
            <table className="probability-table">
              <tbody>
                {head.labels.map((label, j) => (
                  <tr key={label} data-label={label} data-probability={values[j]}>
                    <th scope="row">{label}</th>
                    <td>
                      <span className="probability" data-kind="trained">
                        <span className="probability-bar" style={{ width: `${values[j] * 100}%` }} aria-hidden="true" />
                        <span className="probability-value">{percent(values[j])}</span>
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      })}
    </figure>
  );
}
