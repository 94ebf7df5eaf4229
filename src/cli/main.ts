import { type Command, type CommandContext, UsageError, parseCommandArgs } from './cli-io.ts';
import { dataCommand } from './commands/data.ts';
import { embedCommand } from './commands/embed.ts';
import { evalCommand } from './commands/eval.ts';
import { exportCommand } from './commands/export.ts';
import { fixturesCommand } from './commands/fixtures.ts';
import { hubCommand } from './commands/hub.ts';
import { predictCommand } from './commands/predict.ts';
import { startCommand } from './commands/start.ts';
import { trainCommand } from './commands/train.ts';
import { checkNotStudio, hubUrlFlag } from './shared/hub-flag.ts';

const TOKEN_HINT = 'On the command line the token is read from the HF_TOKEN environment variable (for the Hub that --hub names, else huggingface.co).';
const COLUMNS_HINT = 'On the command line: --text-column, --text-pair-column and --label-column.';
const SPLIT_HINT = 'On the command line: --split (data, eval), --train-split and --eval-split (train).';

/**
 * What the command line adds to a core error, by its code: the core's messages say what to do ("give an access
 * token", "choose the text column") without naming a place in the studio's page; the CLI says which flag does it.
 */
const CLI_ADVICE: Record<string, string> = {
  NeedsToken: TOKEN_HINT, TokenRequired: TOKEN_HINT, TokenRejected: TOKEN_HINT, GatedRepo: TOKEN_HINT, Unauthorized: TOKEN_HINT,
  NoTextColumn: COLUMNS_HINT, NoLabelColumn: COLUMNS_HINT, UnknownColumn: COLUMNS_HINT,
  UnknownSplit: SPLIT_HINT, EmptySplit: SPLIT_HINT,
  UnknownConfig: 'On the command line: --config.',
};

const COMMANDS: Command[] = [startCommand, hubCommand, fixturesCommand, dataCommand, embedCommand, trainCommand, predictCommand, evalCommand, exportCommand];

function help(): string {
  const rows = COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
  return ['Usage: adapter-studio <command> [flags] [--json]', '', 'Commands:', ...rows, '', 'Run `adapter-studio <command> --help` for its flags.'].join('\n');
}

/** CLI entry: returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[], ctx: Omit<CommandContext, 'json'> = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    ctx.out(help());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    ctx.err(`Unknown command "${name}".\n\n${help()}`);
    return 2;
  }
  const json = rest.includes('--json');
  try {
    const values = parseCommandArgs(command, rest);
    if (values.help) {
      ctx.out(command.usage);
      return 0;
    }
    const hub = hubUrlFlag(values);
    if (hub) await checkNotStudio(hub);
    return await command.run(values, { ...ctx, json });
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.err(`${err.message}\n\n${command.usage}`);
      return 2;
    }
    const error = err as Error;
    const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
    // Model errors name their kind `reason`, data and Hub errors `code`.
    const { code, reason } = err as { code?: unknown; reason?: unknown };
    const advice = CLI_ADVICE[String(code ?? reason)];
    const hint = advice ? ` ${advice}` : '';
    if (json) ctx.out(JSON.stringify({ error: { name: error.name, message: error.message + hint + cause } }));
    else ctx.err(`Error: ${error.message}${hint}${cause}`);
    return 1;
  }
}
