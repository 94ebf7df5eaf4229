// The rule under test: a token belongs to the Hub it was given for (kept by that Hub's origin), so switching the Hub
// (to the offline demo Hub, or a server a link named) never takes another Hub's token along.
import { describe, expect, it } from 'vitest';
import { tokenFor } from '../hub/endpoint.ts';
import { currentToken, endpointFor, hubOriginOf } from './hub-endpoints.ts';

const OFFLINE = 'http://127.0.0.1:5173/hub';
const tokens = { 'https://huggingface.co': 'hf_real', 'http://mirror.local:9000': 'hf_mirror' };

describe('tokens by Hub', () => {
  it('keeps each token under its Hub\'s origin', () => {
    expect(hubOriginOf({ kind: 'real' }, OFFLINE)).toBe('https://huggingface.co');
    expect(hubOriginOf({ kind: 'offline' }, OFFLINE)).toBe('http://127.0.0.1:5173');
    expect(hubOriginOf({ kind: 'offline' }, undefined)).toBeUndefined();
    expect(hubOriginOf({ kind: 'custom', url: 'http://mirror.local:9000/hub' }, OFFLINE)).toBe('http://mirror.local:9000');
  });

  it('gives the real Hub its token, the offline demo Hub and other servers none of it', () => {
    const real = endpointFor({ kind: 'real' }, OFFLINE, tokens)!;
    expect(tokenFor(real, 'https://huggingface.co/api/models')).toBe('hf_real');
    const offline = endpointFor({ kind: 'offline' }, OFFLINE, tokens)!;
    expect(offline.token).toBeUndefined();
    expect(tokenFor(offline, `${OFFLINE}/api/models`)).toBeUndefined();
    const evil = endpointFor({ kind: 'custom', url: 'http://evil.example' }, OFFLINE, tokens)!;
    expect(evil.token).toBeUndefined();
    const mirror = endpointFor({ kind: 'custom', url: 'http://mirror.local:9000/hub' }, OFFLINE, tokens)!;
    expect(tokenFor(mirror, 'http://mirror.local:9000/hub/api/models')).toBe('hf_mirror');
    expect(currentToken({ hubChoice: { kind: 'offline' }, offlineHubUrl: OFFLINE, tokens })).toBe('');
    expect(currentToken({ hubChoice: { kind: 'real' }, offlineHubUrl: OFFLINE, tokens })).toBe('hf_real');
  });
});
