/**
 * The Model step's facts list, rendered by React (react-dom/server) from previews read over HTTP from the
 * offline Hub: a config.json without model_type gets a "Read as" line saying what it was inferred from.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineHub } from '../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../hub-server/index.ts';
import { ModelDetails } from './components/ModelDetails.tsx';
import { fetchModelPreview } from './model-preview.ts';

let root: string;
let server: RunningHubServer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'adapter-studio-model-details-'));
  const tinyBert = join(process.env.ADAPTER_STUDIO_FIXTURES!, 'models', 'adapter-studio', 'tiny-bert');
  cpSync(tinyBert, join(root, 'models', 'adapter-studio', 'tiny-bert'), { recursive: true });
  cpSync(join(process.env.ADAPTER_STUDIO_FIXTURES!, 'models', 'adapter-studio', 'tiny-albert'), join(root, 'models', 'adapter-studio', 'tiny-albert'), { recursive: true });
  // The same repo with its config as configs written before transformers 2.x were: no model_type, no architectures.
  const old = join(root, 'models', 'old', 'bert-tiny');
  cpSync(tinyBert, old, { recursive: true });
  const { model_type: _, architectures: __, ...config } = JSON.parse(readFileSync(join(old, 'files', 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(old, 'files', 'config.json'), JSON.stringify(config));
  server = await startHubServer({ root, port: 0 });
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

/** The facts list as { term: definition } text. */
async function facts(repoId: string): Promise<Record<string, string>> {
  const preview = await fetchModelPreview(offlineHub(server.url), repoId, new AbortController().signal);
  const html = renderToStaticMarkup(createElement(ModelDetails, { state: { status: 'ready', repoId, preview } }));
  const text = (s: string) => s.replace(/<[^>]+>/g, '').replace(/&quot;/g, '"');
  const terms = [...html.matchAll(/<dt>(.*?)<\/dt>/g)].map((m) => text(m[1]));
  const values = [...html.matchAll(/<dd[^>]*>(.*?)<\/dd>/g)].map((m) => text(m[1]));
  return Object.fromEntries(terms.map((t, i) => [t, values[i]]));
}

describe('ModelDetails', () => {
  it('says what a config.json without model_type was read as, and from what', async () => {
    const got = await facts('old/bert-tiny');
    expect(got.Architecture).toBe('bert');
    expect(got['Read as']).toBe('model_type missing from config.json; read as "bert" from the repository name "old/bert-tiny"');
    expect(got.Layers).toBe('2');
  });

  it('has no such line when config.json names its model_type', async () => {
    const got = await facts('adapter-studio/tiny-bert');
    expect(got.Architecture).toBe('bert');
    expect(got).not.toHaveProperty('Read as');
  });

  it('says when layers share one module (ALBERT), as adapters count them', async () => {
    const got = await facts('adapter-studio/tiny-albert');
    expect(got.Architecture).toBe('albert');
    expect(got.Layers).toBe('3, sharing 1 layer module (adapters sit on these)');
    expect((await facts('adapter-studio/tiny-bert')).Layers).toBe('2');
  });
});
