/** A probability as a bar and a percentage, for the trained adapter or the untrained head (Try it's tables). */

export const percent = (p: number) => `${(p * 100).toFixed(1)}%`;

export function Bar({ value, kind }: { value: number; kind: 'trained' | 'untrained' }) {
  return (
    <span className="probability" data-kind={kind}>
      <span className="probability-bar" style={{ width: `${value * 100}%` }} aria-hidden="true" />
      <span className="probability-value">{percent(value)}</span>
    </span>
  );
}
