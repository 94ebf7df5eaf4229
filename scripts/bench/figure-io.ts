/** How each bench figure talks to scripts/bench/run.mjs: progress lines on stderr, one JSON result as the last stdout line. */

/** A progress line on stderr, prefixed with the figure's name. */
export function progress(figure: string, line: string): void {
  process.stderr.write(`[${figure}] ${line}\n`);
}

/** Prints the figure's result for run.mjs (the last line of stdout). */
export function emit(result: unknown): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list: the bench took no samples.');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
