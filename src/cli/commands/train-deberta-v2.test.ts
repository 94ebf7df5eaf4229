/**
 * The seeds' own demo (the paper's code example: microsoft/deberta-v3-base with
 * ConfigUnion(PrefixTuningConfig(prefix_length=20), ParBnConfig(reduction_factor=4))), through the CLI's train
 * command on the fixture tiny-deberta-v3: the loss falls, and the export names the union and DebertaV2AdapterModel.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import type { TrainEvent } from '../../core/train/events.ts';
import { main } from '../main.ts';

let server: RunningHubServer;
let dir: string;
beforeAll(async () => {
  server = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'adapter-studio-cli-deberta-'));
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('adapter-studio train on tiny-deberta-v3 with the seeds\' demo union', () => {
  it('prefix_tuning[prefix_length=20]|par_bn[reduction_factor=4]: the training loss falls and the adapter exports as DebertaV2AdapterModel', async () => {
    const out = join(dir, 'demo');
    const lines: string[] = [];
    const err: string[] = [];
    const code = await main([
      'train', '--model', 'adapter-studio/tiny-deberta-v3', '--dataset', 'adapter-studio/tiny-sentiment', '--method', 'prefix_tuning[prefix_length=20]|par_bn[reduction_factor=4]',
      '--max-steps', '60', '--lr', '3e-3', '--max-length', '64', '--validation-rows', '64', '--hub', server.url, '--out', out, '--json',
    ], { out: (l) => lines.push(l), err: (l) => err.push(l) });
    if (code !== 0) console.log(err.join('\n'), lines.join('\n'));
    expect(code).toBe(0);
    const events = lines.map((l) => JSON.parse(l));
    const losses = (events.slice(1, -1) as TrainEvent[]).flatMap((e) => (e.kind === 'progress' ? [e.loss] : []));
    expect(losses).toHaveLength(60);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [first, last] = [mean(losses.slice(0, 15)), mean(losses.slice(-15))];
    console.log(`tiny-deberta-v3, prefix 20 + par_bn rf 4: mean loss of steps 1-15 ${first.toFixed(4)}, of steps 46-60 ${last.toFixed(4)}; result ${JSON.stringify(events.at(-1).best)}`);
    expect(last).toBeLessThan(first - 0.05);
    const config = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'deberta-v2', model_class: 'DebertaV2AdapterModel', config: { architecture: 'union' } });
    expect(config.config.configs.map((c: { architecture?: string }) => c.architecture ?? 'bottleneck')).toEqual(['prefix_tuning', 'bottleneck']);
    expect(config.config.configs[0].prefix_length).toBe(20);
    expect(config.config.configs[1]).toMatchObject({ reduction_factor: 4, is_parallel: true });
  });
});
