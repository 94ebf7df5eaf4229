// The README's "Command line" table is a contract with its readers: every command it lists must exist, answer
// --help, and accept every flag the README shows for it (as the command's own option table declares it). A flag
// renamed or dropped in the CLI, or a command removed, fails here until the README says the truth again.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Command } from './cli-io.ts';
import { main } from './main.ts';

const README = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
const COMMANDS_DIR = join(import.meta.dirname, 'commands');

/** The README's command-line section: from its heading to the next second-level heading. */
function commandLineSection(): string {
  const start = README.indexOf('\n## Command line');
  if (start < 0) throw new Error('README.md has no "## Command line" section');
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

/** Each row of the command table: the command, and every `--flag` named anywhere in its row. */
function readmeRows(): { command: string; flags: string[]; row: string }[] {
  return commandLineSection().split('\n')
    .filter((line) => /^\| `[a-z]/.test(line))
    .map((row) => {
      const command = /^\| `([a-z-]+)/.exec(row)![1];
      const flags = [...new Set([...row.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]))];
      return { command, flags, row };
    });
}

/** The flags named in the section's prose (the paragraph before the table): they apply to the commands that take them. */
function proseFlags(): string[] {
  const section = commandLineSection();
  const prose = section.slice(0, section.indexOf('\n|'));
  return [...new Set([...prose.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]))];
}

/** Every command module's exported Command (src/cli/commands/*.ts), by name. */
async function cliCommands(): Promise<Map<string, Command>> {
  const found = new Map<string, Command>();
  for (const file of readdirSync(COMMANDS_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const module = await import(join(COMMANDS_DIR, file)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      const command = value as Partial<Command>;
      if (command && typeof command === 'object' && typeof command.name === 'string' && typeof command.run === 'function' && command.options) {
        found.set(command.name, command as Command);
      }
    }
  }
  return found;
}

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await main(argv, { out: (line) => out.push(line), err: (line) => out.push(line) });
  return { code, out: out.join('\n') };
}

/** Flags every command takes (cli-io's parseCommandArgs adds them). */
const COMMON = ['json', 'help'];

describe('the README\'s command-line table', () => {
  it('lists exactly the commands the CLI has', async () => {
    const rows = readmeRows();
    expect(rows.length).toBeGreaterThanOrEqual(9);
    const listed = (await run(['--help'])).out.split('\n').flatMap((line) => /^ {2}([a-z-]+) /.exec(line)?.[1] ?? []);
    expect(rows.map((r) => r.command).sort()).toEqual([...listed].sort());
    expect([...(await cliCommands()).keys()].sort()).toEqual([...listed].sort());
  });

  it('names only flags each command accepts, and each is in the command\'s --help', async () => {
    const commands = await cliCommands();
    const problems: string[] = [];
    for (const { command, flags } of readmeRows()) {
      const cli = commands.get(command);
      if (!cli) {
        problems.push(`README lists "${command}", which the CLI does not have`);
        continue;
      }
      const help = await run([command, '--help']);
      if (help.code !== 0) problems.push(`${command} --help exits ${help.code}`);
      for (const flag of flags) {
        if (!(flag in cli.options) && !COMMON.includes(flag)) problems.push(`README's ${command} row names --${flag}, which ${command} does not accept`);
        else if (!COMMON.includes(flag) && !help.out.includes(`--${flag}`)) problems.push(`${command} --help does not mention --${flag}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('names, before the table, only flags that some command accepts', async () => {
    const options = new Set([...(await cliCommands()).values()].flatMap((c) => Object.keys(c.options)).concat(COMMON));
    expect(proseFlags().filter((flag) => !options.has(flag))).toEqual([]);
  });

  it('would catch a dropped flag: the parse of a made-up flag fails as the README check expects', async () => {
    // The check above relies on the CLI refusing flags it does not declare (strict parsing): a flag the README
    // names but the CLI dropped would also fail for a user, with exit code 2.
    expect((await run(['data', '--no-such-flag'])).code).toBe(2);
  });
});
