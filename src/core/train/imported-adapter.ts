/** A live adapter or fusion (tf.Variables on the encoder) from one read back by the export module. */
import { type AdapterModel, createAdapter } from '../adapters/adapter.ts';
import { resolveAdapterConfig } from '../adapters/config.ts';
import { type FusionModel, createFusion } from '../adapters/fusion.ts';
import type { FusionConfig } from '../adapters/methods/fusion.ts';
import { headOptionsFromConfig, importedStateDict } from '../export/import.ts';
import type { ImportedAdapter, ImportedFusion } from '../export/types.ts';
import type { EncoderConfig } from '../model/config.ts';

/**
 * Creates the adapter and its head on `encoder` and loads the imported weights (every key must match; check the
 * fit first with `importAdapter(files, { encoder })`). The caller disposes it.
 */
export function liveAdapter(encoder: EncoderConfig, imported: ImportedAdapter): AdapterModel {
  const adapter = createAdapter(encoder, resolveAdapterConfig(imported.adapterConfig), {
    name: imported.name,
    ...(imported.head ? { head: headOptionsFromConfig(imported.head.config, imported.head.thresholds) } : {}),
  });
  try {
    adapter.loadAdapterStateDict(importedStateDict(imported));
  } catch (err) {
    adapter.dispose();
    throw err;
  }
  return adapter;
}

/** A live fusion read back from files, with the live adapters it fuses; dispose() frees them all. */
export interface LiveFusion {
  fusion: FusionModel;
  adapters: AdapterModel[];
  dispose(): void;
}

/**
 * Creates the fused adapters, the fusion layers and the fusion's head on `encoder` from an imported fusion (check the
 * fit first with `importFusion(files, { encoder })`) and loads every weight. The caller disposes it.
 */
export function liveFusion(encoder: EncoderConfig, imported: ImportedFusion): LiveFusion {
  const adapters: AdapterModel[] = [];
  const dispose = () => { for (const a of adapters) a.dispose(); };
  try {
    for (const adapter of imported.adapters) adapters.push(liveAdapter(encoder, adapter));
    const fusion = createFusion(encoder, adapters, {
      config: imported.fusionConfig as unknown as FusionConfig,
      ...(imported.head ? { head: { ...headOptionsFromConfig(imported.head.config, imported.head.thresholds), name: imported.head.name } } : {}),
    });
    try {
      fusion.loadStateDict(new Map([...imported.fusionTensors, ...(imported.head?.tensors ?? [])]));
    } catch (err) {
      fusion.dispose();
      throw err;
    }
    return { fusion, adapters, dispose: () => { fusion.dispose(); dispose(); } };
  } catch (err) {
    dispose();
    throw err;
  }
}
