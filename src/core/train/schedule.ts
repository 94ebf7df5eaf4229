/**
 * Learning-rate schedules as transformers defines them (optimization.py): a multiplier λ(step) of the base rate,
 * where `step` counts optimizer updates already made (LambdaLR is built at step 0 and stepped after each update,
 * so the first update uses λ(0), which is 0 during warmup).
 */

/** The shape of the rate after warmup. */
export type ScheduleKind = 'linear' | 'cosine' | 'constant';

export interface Schedule {
  kind: ScheduleKind;
  /** Updates over which the rate climbs linearly from 0 to the base rate. */
  warmupSteps: number;
  /** Updates of the whole run; linear and cosine reach 0 here. */
  totalSteps: number;
}

/** Warmup updates for a share of the run, as TrainingArguments.get_warmup_steps: ceil(totalSteps × ratio). */
export function warmupStepsForRatio(totalSteps: number, ratio: number): number {
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`The warmup ratio must be between 0 and 1, got ${ratio}.`);
  return Math.ceil(totalSteps * ratio);
}

/**
 * λ(step): get_linear_schedule_with_warmup, get_cosine_schedule_with_warmup (num_cycles 0.5) or
 * get_constant_schedule_with_warmup.
 */
export function scheduleFactor(schedule: Schedule, step: number): number {
  const { warmupSteps, totalSteps } = schedule;
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  switch (schedule.kind) {
    case 'constant':
      return 1;
    case 'linear':
      return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
    case 'cosine': {
      const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
  }
}
