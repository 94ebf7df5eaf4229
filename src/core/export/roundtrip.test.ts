// Reference: the tensors and configs given to the exporter. Export → import must give them back bit for bit for
// every method family and model type (through safetensors, through the .bin via the restricted unpickler, through a
// zip and through the Python project's adapter/ folder), and the adapters module must accept the result strictly.
import { describe, expect, it } from 'vitest';
import { createAdapter } from '../adapters/adapter.ts';
import { resolveAdapterConfig } from '../adapters/config.ts';
import { ADAPTERHUB_FILE, adapterHubFiles } from './adapterhub.ts';
import { headOptionsFromConfig, importAdapter, importedStateDict } from './import.ts';
import { pythonProjectFiles } from './python-project.ts';
import { ENCODERS, METHODS, type MethodName, TRAINING, expectSameAdapter, expectSameTensors, randomExport } from './test-support.ts';
import type { AdapterFiles } from './types.ts';
import { unzipAdapterFiles, zipAdapterFiles } from './zip.ts';

const cases = Object.keys(ENCODERS).flatMap((type) => (Object.keys(METHODS) as MethodName[]).map((method) => ({ type: type as keyof typeof ENCODERS, method })));

const without = (files: AdapterFiles, ...names: string[]) => new Map([...files].filter(([name]) => !names.includes(name)));

describe('export → import (AdapterHub folder)', () => {
  it.each(cases)('$type $method: identical config, tensors, head and training record, from safetensors, .bin and zip; re-export identical', ({ type, method }) => {
    const encoder = ENCODERS[type];
    const exp = randomExport(encoder, METHODS[method], { labels: ['bad', 'ok', 'good'], training: TRAINING, seed: 11 });
    const files = adapterHubFiles(exp);

    const imported = importAdapter(files, { encoder, source: `${type}-${method}` });
    expect(imported.sourceFormat).toBe('studio');
    expect(imported.notes).toEqual([]);
    expectSameAdapter(imported, exp);
    // Python's default files only: the .bin pair, read by the restricted unpickler.
    expectSameAdapter(importAdapter(without(files, ADAPTERHUB_FILE.safeWeights, ADAPTERHUB_FILE.safeHeadWeights), { encoder }), exp);
    expectSameAdapter(importAdapter(unzipAdapterFiles(zipAdapterFiles(files), 'export.zip'), { encoder }), exp);
    // Exporting the imported adapter again writes the very same bytes (tensors back in torch's state-dict order).
    for (const [name, bytes] of adapterHubFiles(imported)) expect(Buffer.from(bytes).equals(Buffer.from(files.get(name)!)), name).toBe(true);
  });

  it.each(Object.keys(METHODS) as MethodName[])('bert %s: the adapters module loads the imported state dict strictly and gives the same weights back', (method) => {
    const encoder = ENCODERS.bert;
    const exp = randomExport(encoder, METHODS[method], { labels: ['no', 'yes'], seed: 5 });
    const imported = importAdapter(adapterHubFiles(exp), { encoder });
    const adapter = createAdapter(encoder, resolveAdapterConfig(imported.adapterConfig), { name: imported.name, head: headOptionsFromConfig(imported.head!.config) });
    try {
      expect(adapter.loadAdapterStateDict(importedStateDict(imported))).toEqual({ missing: [], unexpected: [] });
      expectSameTensors(adapter.adapterStateDict(), exp.adapterTensors);
      expectSameTensors(adapter.headStateDict(), exp.head!.tensors);
    } finally {
      adapter.dispose();
    }
  });

  it('imports the Python project\'s adapter/ folder, and a folder without a head or a card', () => {
    const encoder = ENCODERS.roberta;
    const exp = randomExport(encoder, METHODS.lora, { labels: ['a', 'b'], training: TRAINING });
    expectSameAdapter(importAdapter(pythonProjectFiles(exp), { encoder }), exp);
    const bare = randomExport(encoder, METHODS.lora);
    const imported = importAdapter(without(adapterHubFiles(bare), ADAPTERHUB_FILE.card), { encoder });
    expect(imported.sourceFormat).toBe('adapters');
    expect(imported.head).toBeUndefined();
    expect(imported.training).toBeUndefined();
    expectSameTensors(imported.adapterTensors, bare.adapterTensors);
  });
});
