import { defaultFixturesDir, generateFixtures } from '../../fixtures/index.ts';
import { type Command, report } from '../cli-io.ts';

export const fixturesCommand: Command = {
  name: 'fixtures',
  summary: 'write the demo models and datasets (deterministic) in Hub layout',
  usage: [
    'Usage: adapter-studio fixtures [--out DIR] [--json]',
    '',
    '  --out DIR   where to write the repositories (default: .fixtures/hub in the project)',
  ].join('\n'),
  options: { out: { type: 'string' } },
  async run(values, ctx) {
    const out = (values.out as string | undefined) ?? defaultFixturesDir();
    const result = await generateFixtures(out, { log: ctx.json ? undefined : ctx.err });
    report(ctx, result, [
      `Wrote ${result.models.length} models and ${result.datasets.length} datasets to ${result.root} in ${result.seconds.toFixed(1)} s`,
    ]);
    return 0;
  },
};
