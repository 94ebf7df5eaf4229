/**
 * The training loss curve a checkpoint carries, so that a run resumed from it (after a reload that cut off the
 * page's own record) still draws every step trained before the checkpoint.
 */

/** One step of the curve; `loss` is absent when the step was skipped for a non-finite loss. */
export interface CurvePoint {
  step: number;
  loss?: number;
  lr: number;
}

/** Points a checkpoint keeps: about 40 bytes each, enough for a smooth curve over any run length. */
export const CURVE_POINTS = 400;

/**
 * Appends a step's point; past CURVE_POINTS every other older point is dropped (the first and the newest stay), so
 * the curve covers the whole run at an even, coarser spacing.
 */
export function appendCurvePoint(curve: CurvePoint[], point: CurvePoint, limit = CURVE_POINTS): void {
  curve.push(point);
  if (curve.length <= limit) return;
  const kept = curve.filter((_, i) => i % 2 === 0 || i === curve.length - 1);
  curve.splice(0, curve.length, ...kept);
}
