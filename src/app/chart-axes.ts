/**
 * The y axes of the Train step's charts: ranges that stay readable for flat or all-zero curves and tick labels in
 * a few digits. Recharts calls a domain function with the data's minimum or maximum.
 */
export type AxisRange = [(dataMin: number) => number, (dataMax: number) => number];

/** A value rounded up to 1, 2 or 5 times a power of ten: 0.37 → 0.5, 4.2 → 5. */
export function niceCeiling(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((m) => m * power >= value * (1 - 1e-12))!;
  return step * power;
}

/** From 0 (or below, for negative data) to a round number above the largest value; 0 to 1 when every value is 0. */
export const zeroBasedAxis: AxisRange = [(min) => (min < 0 ? -niceCeiling(-min) : 0), (max) => niceCeiling(max)];

/**
 * For shares (accuracy, F1): whole tenths around the values, within 0 to 1, ticked at each tenth. A value on a tenth
 * gets a tenth of room (so a flat line at 0.5 spans 0.4–0.6, not a zero-height axis).
 */
export function shareRange(values: number[]): { domain: [number, number]; ticks: number[] } {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { domain: [0, 1], ticks: [0, 0.5, 1] };
  const low = Math.max(0, Math.floor((Math.min(...finite) - 1e-9) * 10));
  const high = Math.min(10, Math.ceil((Math.max(...finite) + 1e-9) * 10));
  const every = high - low > 5 ? 2 : 1;
  const ticks = Array.from({ length: high - low + 1 }, (_, i) => low + i).filter((t) => (t - low) % every === 0 || t === high).map((t) => t / 10);
  return { domain: [low / 10, high / 10], ticks };
}

/** A tick label in at most three significant digits: 0.9295 → "0.93", 1250 → "1250", 0.000123 → "0.000123". */
export function tickText(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(3)));
}
