import { describe, expect, it } from 'vitest';
import { readUrlSettings, withUrlSettings } from './url-settings.ts';

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
    const href = withUrlSettings('http://127.0.0.1:5173/?debug=1', { hub: { kind: 'custom', url: 'http://mirror.local/hub' }, backend: 'cpu' });
    expect(new URL(href).searchParams.get('debug')).toBe('1');
    expect(readUrlSettings(new URL(href).search)).toMatchObject({ hub: { kind: 'custom', url: 'http://mirror.local/hub' }, backend: 'cpu', debug: true });
    expect(withUrlSettings(href, { hub: { kind: 'real' } })).toBe('http://127.0.0.1:5173/?debug=1');
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
