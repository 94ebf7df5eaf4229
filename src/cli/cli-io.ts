import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Thrown for wrong flags or values; main() prints it with the command's usage and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CommandContext {
  /** `--json`: machine-readable output, one JSON document (or JSON lines for streams) on stdout. */
  json: boolean;
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Returns the process exit code. */
  run(values: Record<string, string | boolean | string[] | boolean[] | undefined>, ctx: CommandContext): Promise<number>;
}

export function parseCommandArgs(command: Command, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { ...command.options, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
      strict: true,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A flag that must be a whole number within [min, max]. */
export function intFlag(values: Record<string, unknown>, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${String(raw)}"`);
  }
  return n;
}

/** A flag that must be a finite number within [min, max]. */
export function numberFlag(values: Record<string, unknown>, name: string, fallback: number, min = -Infinity, max = Infinity): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw === '' || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${String(raw)}"`);
  return n;
}

/** Emits a result: JSON when --json, else the human lines. */
export function report(ctx: CommandContext, data: unknown, human: string[]): void {
  if (ctx.json) ctx.out(JSON.stringify(data));
  else for (const line of human) ctx.out(line);
}

/** Resolves when the process is asked to stop (Ctrl-C or SIGTERM). */
export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
