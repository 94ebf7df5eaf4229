// Hostile adapter folders: sizes in adapter_config.json / head_config.json out of all proportion to the model and to
// the weight files (the numbers are the ones reported: num_labels 1e9 ran the CLI out of memory after 44 s, layers
// 1e6 allocated 1.4 GB before refusing). Each must be refused at once, naming the field, before any big allocation.
import { describe, expect, it } from 'vitest';
import { planAdapter } from '../adapters/plan.ts';
import { resolveAdapterConfig } from '../adapters/config.ts';
import { ADAPTERHUB_FILE, adapterHubFiles } from './adapterhub.ts';
import { AdapterImportError } from './errors.ts';
import { importAdapter } from './import.ts';
import { peftFiles } from './peft.ts';
import { ENCODERS, randomExport } from './test-support.ts';
import type { AdapterFiles } from './types.ts';

const encoder = ENCODERS.bert;
const text = (bytes: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(bytes)) as Record<string, Record<string, unknown>>;
const withJson = (files: AdapterFiles, name: string, edit: (meta: Record<string, Record<string, unknown>>) => void): AdapterFiles => {
  const meta = text(files.get(name));
  edit(meta);
  return new Map([...files, [name, new TextEncoder().encode(JSON.stringify(meta))]]);
};

const seqBn = adapterHubFiles(randomExport(encoder, 'seq_bn', { labels: ['neg', 'pos'] }));
const lora = adapterHubFiles(randomExport(encoder, 'lora', { labels: ['neg', 'pos'] }));
const prefix = adapterHubFiles(randomExport(encoder, 'prefix_tuning'));

/** Runs an import that must fail; returns its error, the time it took and how much the heap grew. */
function refusal(files: AdapterFiles, withEncoder = true): { err: AdapterImportError; ms: number; heapGrowth: number } {
  globalThis.gc?.();
  const heap = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const start = performance.now();
  let caught: unknown;
  try {
    importAdapter(files, { source: 'hostile/', ...(withEncoder ? { encoder } : {}) });
  } catch (err) {
    caught = err;
  }
  const ms = performance.now() - start;
  const heapGrowth = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heap;
  if (!(caught instanceof AdapterImportError)) throw new Error(`expected an AdapterImportError, got ${String(caught)}`);
  return { err: caught, ms, heapGrowth };
}

const MB = 1 << 20;

describe('hostile adapter folders are refused fast, before allocating', () => {
  const cases: [string, AdapterFiles, string, RegExp][] = [
    ['head num_labels 1e9', withJson(seqBn, ADAPTERHUB_FILE.headConfig, (m) => { m.config.num_labels = 1e9; }), 'TooLarge', /num_labels = 1000000000; the studio takes up to 100000 labels/],
    ['head num_labels 50 with weights for 2', withJson(seqBn, ADAPTERHUB_FILE.headConfig, (m) => { m.config.num_labels = 50; }), 'WrongShape', /num_labels = 50, but the last layer's weight heads\.sst2\.4\.weight has 2 rows/],
    ['head layers 1e6', withJson(seqBn, ADAPTERHUB_FILE.headConfig, (m) => { m.config.layers = 1e6; }), 'TooLarge', /Head option "layers" is too large: 2 labels and 1000000 layers/],
    ['label2id with an id past num_labels', withJson(seqBn, ADAPTERHUB_FILE.headConfig, (m) => { m.config.label2id = { neg: 0, pos: 1e9 }; }), 'WrongShape', /label2id id 1000000000 outside 0\.\.1/],
    ['label2id with more labels than outputs', withJson(seqBn, ADAPTERHUB_FILE.headConfig, (m) => { m.config.label2id = { a: 0, b: 1, c: 1 }; }), 'WrongShape', /names 3 labels in label2id for 2 outputs/],
    ['reduction_factor 1e-9', withJson(seqBn, ADAPTERHUB_FILE.config, (m) => { m.config.reduction_factor = 1e-9; }), 'TooLarge', /"reduction_factor" = 1e-9 makes a bottleneck 15999999999 wide/],
    ['lora r 1e9', withJson(lora, ADAPTERHUB_FILE.config, (m) => { m.config.r = 1e9; }), 'TooLarge', /"r" = 1000000000 is above the hidden size 16/],
    ['prefix_length 1e9', withJson(prefix, ADAPTERHUB_FILE.config, (m) => { m.config.prefix_length = 1e9; }), 'TooLarge', /would have [\d.]+ million parameters, over the 250\.0 million the studio allows \(the largest, .*wte\.weight, is \[1000000000, 16\]\)/],
  ];

  for (const [what, files, problem, message] of cases) {
    it(`${what}: ${problem}`, () => {
      const { err, ms, heapGrowth } = refusal(files);
      expect(err.problem).toBe(problem);
      expect(err.message).toMatch(message);
      expect(err.message).toContain('hostile/');
      expect(ms).toBeLessThan(500);
      expect(heapGrowth).toBeLessThan(32 * MB);
    });
  }

  it('a head that claims 1e9 labels is refused even before a base model is known', () => {
    const { err, heapGrowth } = refusal(cases[0][1], false);
    expect(err.problem).toBe('TooLarge');
    expect(heapGrowth).toBeLessThan(32 * MB);
  });

  it('new adapters (link knobs, CLI flags) get the same check against the model', () => {
    expect(() => planAdapter(encoder, resolveAdapterConfig('seq_bn[reduction_factor=0.0001]'), 'x')).toThrow(/bottleneck 160000 wide/);
    expect(() => planAdapter(encoder, resolveAdapterConfig('lora[r=64]'), 'x')).toThrow(/"r" = 64 is above the hidden size 16/);
    expect(planAdapter(encoder, resolveAdapterConfig('lora[r=16]'), 'x').params.length).toBeGreaterThan(0);
  });
});

describe('hostile PEFT folders', () => {
  it('a LoRA rank of 1e9 in adapter_config.json is refused against the model', () => {
    const files = withJson(peftFiles(randomExport(encoder, 'lora')), 'adapter_config.json', (m) => { (m as Record<string, unknown>).r = 1e9; });
    const { err, ms, heapGrowth } = refusal(files);
    expect(err.problem).toBe('TooLarge');
    expect(err.message).toMatch(/"r" = 1000000000 is above the hidden size 16/);
    expect(ms).toBeLessThan(500);
    expect(heapGrowth).toBeLessThan(32 * MB);
  });
});
