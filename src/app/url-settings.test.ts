import { describe, expect, it } from 'vitest';
import { readUrlSettings, withUrlSettings } from './url-settings.ts';

describe('URL settings', () => {
  it('defaults to the real Hub and WebGPU first', () => {
    expect(readUrlSettings('')).toEqual({ hub: { kind: 'real' }, backend: undefined, debug: false, problem: undefined });
  });

  it('reads the offline Hub, a Hub URL, the backend and debug', () => {
    expect(readUrlSettings('?hub=offline&backend=wasm&debug=1')).toEqual({ hub: { kind: 'offline' }, backend: 'wasm', debug: true, problem: undefined });
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
});
