import { DataError } from './errors.ts';

/** A share of a split's rows picked by a seeded hash of the row index (the same rows on every run and resume). */
export interface HoldOut {
  /** Seed of the row hash. */
  seed: number;
  /** Share of the rows held out, in (0, 1). */
  share: number;
}

/** The rows one role (train, validation, test) reads. */
export interface SplitPart {
  /** Split the rows come from. */
  split: string;
  /** `all` rows; `kept`: all but the hold-out (train); `heldOut`: only the hold-out (validation taken from train). */
  take: 'all' | 'kept' | 'heldOut';
  /** The hold-out, for `kept` and `heldOut`. */
  holdOut?: HoldOut;
  /** At most this many examples (row caps for quick classroom runs). */
  maxExamples?: number;
}

export interface SplitPlan {
  train: SplitPart;
  validation: SplitPart;
  /** Absent when no test split has labels. */
  test?: SplitPart;
  /** What the plan decided and why, for the UI and the CLI (e.g. "test has no labels (all −1): skipped"). */
  notes: string[];
  /** What will go wrong with this plan (a hold-out with no rows in it), for the UI and the CLI. */
  warnings?: string[];
}

/** What planning needs to know about a split. */
export interface SplitFacts {
  name: string;
  /** Rows in the split when known. */
  numRows?: number;
  /** Whether its first rows carry labels (GLUE test splits hold −1 everywhere). */
  labelled: boolean;
}

export interface PlanOptions {
  /** Split to train on (default `train`, else the first split). */
  trainSplit?: string;
  /** Share of train held out for validation when no labelled validation split exists (default 0.1). */
  holdOutShare?: number;
  /** Seed of the hold-out (default 42). */
  seed?: number;
  /** Most examples per role. */
  caps?: { train?: number; validation?: number; test?: number };
}

/**
 * The validation cap that goes with a training cap when none is given: a fifth of it, at least 200 examples. Without
 * it a capped run of a large dataset still validates on every held-out row (500 rows of a 200k-row set read 92% of it).
 */
export function defaultValidationCap(trainCap: number): number {
  return Math.max(200, Math.ceil(trainCap / 5));
}

const VALIDATION_NAMES = ['validation', 'valid', 'val', 'dev'];
const TEST_NAMES = ['test'];

/** 32-bit finaliser of MurmurHash3: spreads every input bit over the output. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Whether row `row` falls in the hold-out: a uniform hash of (seed, row) below `share`. */
export function isHeldOut(row: number, holdOut: HoldOut): boolean {
  const h = fmix32(Math.imul(row, 0x9e3779b1) ^ fmix32(holdOut.seed ^ Math.floor(row / 0x100000000)));
  return h / 0x100000000 < holdOut.share;
}

/**
 * Whether a split of `numRows` rows puts none of them ('none') or all of them ('all') in the hold-out; undefined when
 * the count is unknown or too large to walk. Stops at the first rows that show both sides.
 */
function lopsidedHoldOut(numRows: number | undefined, holdOut: HoldOut): 'none' | 'all' | undefined {
  if (numRows === undefined || numRows === 0 || numRows > 100_000) return undefined;
  let heldOut = false;
  let kept = false;
  for (let row = 0; row < numRows && !(heldOut && kept); row++) {
    if (isHeldOut(row, holdOut)) heldOut = true;
    else kept = true;
  }
  return heldOut && kept ? undefined : heldOut ? 'all' : 'none';
}

/** Whether a part reads row `row` of its split. */
export function partTakesRow(part: SplitPart, row: number): boolean {
  if (part.take === 'all' || !part.holdOut) return true;
  return isHeldOut(row, part.holdOut) === (part.take === 'heldOut');
}

/**
 * Decides which rows train, validate and test: a labelled validation split validates, else a seeded share of
 * train is held out; a labelled test split tests, an unlabelled one (GLUE's −1 labels) is skipped.
 */
export function planSplits(target: string, splits: SplitFacts[], options: PlanOptions = {}): SplitPlan {
  const notes: string[] = [];
  const names = splits.map((s) => s.name);
  const trainName = options.trainSplit ?? (names.includes('train') ? 'train' : names[0]);
  const train = splits.find((s) => s.name === trainName);
  if (!train) {
    throw new DataError(`${target} has no split "${trainName}"; splits are: ${names.join(', ')}. Choose the training split.`, 'UnknownSplit');
  }
  const caps = options.caps ?? {};
  const cap = (part: SplitPart, max?: number): SplitPart => (max === undefined ? part : { ...part, maxExamples: max });
  const others = splits.filter((s) => s.name !== trainName);
  const pick = (candidates: string[]) => candidates.map((n) => others.find((s) => s.name === n)).find(Boolean);

  const validationSplit = pick(VALIDATION_NAMES);
  let plan: SplitPlan;
  if (validationSplit?.labelled) {
    plan = { train: cap({ split: trainName, take: 'all' }, caps.train), validation: cap({ split: validationSplit.name, take: 'all' }, caps.validation), notes };
    notes.push(`Validating on split "${validationSplit.name}".`);
  } else {
    const holdOut: HoldOut = { seed: options.seed ?? 42, share: options.holdOutShare ?? 0.1 };
    if (!(holdOut.share > 0 && holdOut.share < 1)) throw new RangeError(`The hold-out share must be between 0 and 1, got ${holdOut.share}.`);
    plan = {
      train: cap({ split: trainName, take: 'kept', holdOut }, caps.train),
      validation: cap({ split: trainName, take: 'heldOut', holdOut }, caps.validation),
      notes,
    };
    if (validationSplit) notes.push(`Split "${validationSplit.name}" has no labels: skipped.`);
    notes.push(`Validating on ${Math.round(holdOut.share * 100)}% of "${trainName}" held out with seed ${holdOut.seed}.`);
    const lopsided = lopsidedHoldOut(train.numRows, holdOut);
    if (lopsided) {
      plan.warnings = [`"${trainName}" has ${train.numRows} row${train.numRows === 1 ? '' : 's'} and ${lopsided === 'none' ? 'none falls in' : 'every one falls in'} the ${Math.round(holdOut.share * 100)}% hold-out, so the run will have ${lopsided === 'none' ? 'no validation metrics' : 'nothing to train on'}. Give a validation split or file, or use more rows.`];
    }
  }
  const testSplit = pick(TEST_NAMES);
  if (testSplit?.labelled) {
    plan.test = cap({ split: testSplit.name, take: 'all' }, caps.test);
    notes.push(`Testing on split "${testSplit.name}".`);
  } else if (testSplit) {
    notes.push(`Split "${testSplit.name}" has no labels (e.g. all −1, as in GLUE): skipped.`);
  }
  return plan;
}
