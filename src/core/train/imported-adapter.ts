/** A live adapter (tf.Variables on the encoder) from an adapter read back by the export module. */
import { type AdapterModel, createAdapter } from '../adapters/adapter.ts';
import { resolveAdapterConfig } from '../adapters/config.ts';
import { headOptionsFromConfig, importedStateDict } from '../export/import.ts';
import type { ImportedAdapter } from '../export/types.ts';
import type { EncoderConfig } from '../model/config.ts';

/**
 * Creates the adapter and its head on `encoder` and loads the imported weights (every key must match; check the
 * fit first with `importAdapter(files, { encoder })`). The caller disposes it.
 */
export function liveAdapter(encoder: EncoderConfig, imported: ImportedAdapter): AdapterModel {
  const adapter = createAdapter(encoder, resolveAdapterConfig(imported.adapterConfig), {
    name: imported.name,
    ...(imported.head ? { head: headOptionsFromConfig(imported.head.config) } : {}),
  });
  try {
    adapter.loadAdapterStateDict(importedStateDict(imported));
  } catch (err) {
    adapter.dispose();
    throw err;
  }
  return adapter;
}
