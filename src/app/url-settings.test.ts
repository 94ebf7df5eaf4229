import { describe, expect, it } from 'vitest';
import { experimentLink, readUrlSettings, withUrlSettings } from './url-settings.ts';

describe('URL settings', () => {
  it('defaults to the real Hub and WebGPU first', () => {
    expect(readUrlSettings('')).toEqual({ hub: { kind: 'real' }, backend: undefined, debug: false, setup: {}, problem: undefined });
  });

  it('reads the offline Hub, a Hub URL, the backend and debug', () => {
    expect(readUrlSettings('?hub=offline&backend=wasm&debug=1')).toEqual({ hub: { kind: 'offline' }, backend: 'wasm', debug: true, setup: {}, problem: undefined });
    expect(readUrlSettings('?hub=http%3A%2F%2F127.0.0.1%3A9000%2Fhub%2F').hub).toEqual({ kind: 'custom', url: 'http://127.0.0.1:9000/hub' });
  });

  it('explains parameters it cannot use', () => {
    const settings = readUrlSettings('?hub=ftp://x&backend=webgl');
    expect(settings.hub).toEqual({ kind: 'real' });
    expect(settings.backend).toBeUndefined();
    expect(settings.problem).toBe('"hub=ftp://x" is neither "offline" nor an http(s) URL, so the Hugging Face Hub is used. '
      + '"backend=webgl" is not one of webgpu, wasm, cpu, so WebGPU is tried first.');
  });

  it('writes choices back, keeping other parameters, and round-trips', () => {
    const href = withUrlSettings('http://127.0.0.1:5173/?debug=1', { hub: { kind: 'custom', url: 'http://mirror.local/hub' } });
    expect(new URL(href).searchParams.get('debug')).toBe('1');
    expect(readUrlSettings(new URL(href).search)).toMatchObject({ hub: { kind: 'custom', url: 'http://mirror.local/hub' }, debug: true });
    expect(withUrlSettings(href, { hub: { kind: 'real' } })).toBe('http://127.0.0.1:5173/?debug=1');
  });

  it('reads a backend from the address, but never writes one: the backend is the machine\'s, not the experiment\'s', () => {
    const opened = 'http://127.0.0.1:5173/?hub=offline&backend=wasm&model=adapter-studio%2Ftiny-bert';
    expect(readUrlSettings(new URL(opened).search).backend).toBe('wasm');
    const written = new URL(withUrlSettings(opened, { hub: { kind: 'offline' }, setup: { model: 'adapter-studio/tiny-bert' } }));
    expect(written.searchParams.has('backend')).toBe(false);
    expect(written.searchParams.get('model')).toBe('adapter-studio/tiny-bert');
  });

  it('shares the experiment only: Hub, model, data, method and knobs; no backend, debug or stray parameter', () => {
    const setup = {
      model: 'adapter-studio/tiny-bert', dataset: 'adapter-studio/tiny-sentiment', split: 'train',
      adapter: { method: 'lora' as const, r: 4 }, training: { learningRate: 0.001, epochs: 2 },
    };
    const link = new URL(experimentLink('http://127.0.0.1:5173/studio/?backend=wasm&debug=1&utm=x&hub=offline#step-train', { hub: { kind: 'offline' }, setup }));
    expect(link.origin + link.pathname).toBe('http://127.0.0.1:5173/studio/');
    expect(link.hash).toBe('');
    expect([...link.searchParams.keys()].sort()).toEqual(['dataset', 'epochs', 'hub', 'lr', 'method', 'model', 'r', 'split']);
    expect(readUrlSettings(link.search)).toEqual({ hub: { kind: 'offline' }, backend: undefined, debug: false, setup, problem: undefined });
  });

  it('reads the model and data setup', () => {
    const { setup, problem } = readUrlSettings('?model=google-bert%2Fbert-base-uncased&dataset=nyu-mll/glue&config=mrpc&split=train'
      + '&text=sentence2&pair=sentence1&label=label&rows=500');
    expect(setup).toEqual({
      model: 'google-bert/bert-base-uncased', dataset: 'nyu-mll/glue', config: 'mrpc', split: 'train',
      text: 'sentence2', textPair: 'sentence1', label: 'label', maxTrainExamples: 500,
    });
    expect(problem).toBeUndefined();
    expect(readUrlSettings('?pair=').setup).toEqual({ textPair: '' });
  });

  it('carries the model revision, main being the default', () => {
    const setup = { model: 'adapter-studio/tiny-bert-bin', revision: 'refs/pr/1' };
    const href = withUrlSettings('http://127.0.0.1:5173/?hub=offline', { hub: { kind: 'offline' }, setup });
    expect(new URL(href).searchParams.get('revision')).toBe('refs/pr/1');
    expect(readUrlSettings(new URL(href).search).setup).toEqual(setup);
    expect(readUrlSettings('?model=a/b&revision=main').setup).toEqual({ model: 'a/b' });
  });

  it('leaves out setup values it cannot use, and says why', () => {
    const { setup, problem } = readUrlSettings('?model=../../etc&dataset=a/b&rows=-3');
    expect(setup).toEqual({ dataset: 'a/b' });
    expect(problem).toBe('"model=../../etc" is not a Hub repository id (owner/name), so no model is chosen. '
      + '"rows=-3" is not a positive whole number, so every training row is used.');
  });

  it('writes the setup so that a shared link reproduces it, and drops what is no longer chosen', () => {
    const setup = { model: 'adapter-studio/tiny-bert', dataset: 'adapter-studio/tiny-pairs', config: 'mrpc', textPair: '', maxTrainExamples: 200 };
    const href = withUrlSettings('http://127.0.0.1:5173/?hub=offline&split=test', { hub: { kind: 'offline' }, setup });
    expect(readUrlSettings(new URL(href).search)).toMatchObject({ hub: { kind: 'offline' }, setup });
    expect(new URL(href).searchParams.has('split')).toBe(false);
    expect(withUrlSettings(href, { hub: { kind: 'offline' } })).toBe('http://127.0.0.1:5173/?hub=offline');
  });
});

describe('URL settings: adapter and training', () => {
  it('reads the adapter method, its knobs and name, and the training settings', () => {
    const { setup, problem } = readUrlSettings('?method=mam&rf=4&prefix=20&act=gelu&dropout=0.1&leave=0,3&adrop=1&name=my_adapter'
      + '&lr=0.001&epochs=2&batch=8&maxlen=64&warmup=0.1&sched=cosine&accum=2&clip=0&wd=0&seed=7&evalsteps=50&metric=macroF1&patience=3');
    expect(problem).toBeUndefined();
    expect(setup.adapter).toEqual({ method: 'mam', reductionFactor: 4, prefixLength: 20, nonLinearity: 'gelu', dropout: 0.1, leaveOut: [0, 3], adapterDrop: true });
    expect(setup.adapterName).toBe('my_adapter');
    expect(setup.training).toEqual({
      learningRate: 0.001, epochs: 2, batchSize: 8, maxLength: 64, warmupRatio: 0.1, schedule: 'cosine', gradientAccumulation: 2,
      maxGradNorm: 0, weightDecay: 0, seed: 7, evalEverySteps: 50, metricForBest: 'macroF1', earlyStoppingPatience: 3,
    });
    // A tagging run's metrics are names a link may carry too.
    expect(readUrlSettings('?metric=entityF1').setup.training).toEqual({ metricForBest: 'entityF1' });
    expect(readUrlSettings('?metric=tokenAccuracy').setup.training).toEqual({ metricForBest: 'tokenAccuracy' });
  });

  it('explains adapter and training values it cannot use, and keeps the others', () => {
    const { setup, problem } = readUrlSettings('?method=adapterfusion&rf=-2&r=4&lr=fast&batch=8.5&sched=step&name=a b');
    expect(setup.adapter).toEqual({ method: 'seq_bn', r: 4 });
    expect(setup.training).toBeUndefined();
    expect(setup.adapterName).toBeUndefined();
    expect(problem).toBe('"rf=-2" is not a number above 0, so the method\'s own value is used. '
      + '"method=adapterfusion" is not one of seq_bn, double_seq_bn, par_bn, compacter, lora, ia3, prefix_tuning, prompt_tuning, mam, unipelt, so seq_bn is used. '
      + '"name=a b" may hold letters, digits, "_" and "-" only, so the adapter is named after the dataset. '
      + '"lr=fast" is not a number above 0, so the default is used. '
      + '"batch=8.5" is not a whole number of at least 1, so the default is used. '
      + '"sched=step" is not one of linear, cosine, constant, so the default is used.');
  });

  it('writes the whole setup so that a shared link reproduces it, never the token', () => {
    const setup = {
      model: 'adapter-studio/tiny-bert', dataset: 'adapter-studio/tiny-sentiment',
      adapter: { method: 'lora' as const, r: 16, alpha: 32, leaveOut: [1] }, adapterName: 'sentiment',
      training: { learningRate: 0.001, maxSteps: 500, schedule: 'cosine' as const, metricForBest: 'loss' as const },
    };
    const href = withUrlSettings('http://127.0.0.1:5173/?hub=offline', { hub: { kind: 'offline' }, setup });
    expect(readUrlSettings(new URL(href).search).setup).toEqual(setup);
    expect(new URL(href).search).toBe('?hub=offline&model=adapter-studio%2Ftiny-bert&dataset=adapter-studio%2Ftiny-sentiment&method=lora&r=16&alpha=32&leave=1'
      + '&name=sentiment&lr=0.001&steps=500&sched=cosine&metric=loss');
    // Unset knobs and settings leave the link; AdapterDrop off and no layers left out are not written.
    const plain = withUrlSettings(href, { hub: { kind: 'offline' }, setup: { adapter: { method: 'seq_bn', adapterDrop: false, leaveOut: [] } } });
    expect(new URL(plain).search).toBe('?hub=offline&method=seq_bn');
  });
});

describe('URL settings: the shelf and the composition of Try it', () => {
  it('round-trips the shelf\'s Hub repos and each block with its numbers', () => {
    const setups = [
      { shelf: ['AdapterHub/roberta-base-pf-trec', 'AdapterHub/roberta-base-pf-imdb'], composition: { block: 'Parallel' as const, adapters: ['trec', 'imdb'] } },
      { composition: { block: 'Stack' as const, adapters: ['en', 'ner'] } },
      { composition: { block: 'Average' as const, adapters: ['a', 'b', 'c'], weights: [0.1, 0.6, 0.3] } },
      { composition: { block: 'BatchSplit' as const, adapters: ['a', 'b'], batchSizes: [2, 1] } },
    ];
    for (const setup of setups) {
      const href = withUrlSettings('http://127.0.0.1:5173/', { hub: { kind: 'real' }, setup });
      expect(readUrlSettings(new URL(href).search).setup).toEqual(setup);
    }
    const href = withUrlSettings('http://127.0.0.1:5173/', { hub: { kind: 'real' }, setup: setups[0] });
    expect(new URL(href).search).toBe('?shelf=AdapterHub%2Froberta-base-pf-trec%2CAdapterHub%2Froberta-base-pf-imdb&compose=parallel%3Atrec%2Cimdb');
    // A Fuse setup needs its trained fusion, which no link carries.
    expect(new URL(withUrlSettings(href, { hub: { kind: 'real' }, setup: { composition: { block: 'Fuse', adapters: ['a', 'b'] } } })).search).toBe('');
  });

  it('explains shelf and composition values it cannot use', () => {
    const { setup, problem } = readUrlSettings('?shelf=AdapterHub/ok,bad id&compose=fuse:a,b');
    expect(setup).toEqual({ shelf: ['AdapterHub/ok'] });
    expect(problem).toBe('"shelf=AdapterHub/ok,bad id" names "bad id", which is not a Hub repository id (owner/name), so it is left out. '
      + '"compose=fuse:a,b" is not "stack|parallel|average|batch-split:name,name[:n,n]", so no composition is chosen.');
    expect(readUrlSettings('?compose=stack:a,b:1,2').problem).toBe('"compose=stack:a,b:1,2" gives numbers, which only average and batch-split take, so no composition is chosen.');
    expect(readUrlSettings('?compose=average:a,b:1').problem).toMatch(/one number of at least 0 an adapter/);
  });
});

describe('URL settings for multi-label data', () => {
  it('carries several 0/1 label columns as ?labels=a,b,c, both ways', () => {
    expect(readUrlSettings('?dataset=acme/toxic&labels=toxic,%20insult,,threat').setup).toEqual({ dataset: 'acme/toxic', labelColumns: ['toxic', 'insult', 'threat'] });
    const href = withUrlSettings('http://127.0.0.1:5173/', { hub: { kind: 'real' }, setup: { dataset: 'acme/toxic', labelColumns: ['toxic', 'insult'] } });
    expect(new URL(href).searchParams.get('labels')).toBe('toxic,insult');
    expect(readUrlSettings(new URL(href).search).setup.labelColumns).toEqual(['toxic', 'insult']);
  });
});
