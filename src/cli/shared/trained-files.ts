/** `--adapter` of `eval` and `predict`: a trained adapter's folder or zip, or an AdapterFusion's (train --fuse --out). */
import type { HeadPlan } from '../../core/adapters/head.ts';
import { importFusion } from '../../core/export/fusion-files.ts';
import { importAdapter } from '../../core/export/import.ts';
import { readAdapterFiles, readFusionFiles } from '../../core/export/node-files.ts';
import type { AdapterFiles } from '../../core/export/types.ts';
import type { LoadedEncoder } from '../../core/model/load-encoder.ts';
import { type TokenBatch, adapterTrainable } from '../../core/train/adapter-trainable.ts';
import { fusionTrainable } from '../../core/train/fusion-trainable.ts';
import { liveAdapter, liveFusion } from '../../core/train/imported-adapter.ts';
import type { TrainableModel } from '../../core/train/trainable-model.ts';

export interface TrainedFiles {
  files: AdapterFiles;
  /** Whether they hold a fusion (with its adapters and head) rather than one adapter. */
  fusion: boolean;
  source: string;
}

/** The files at `path`: a fusion's when it holds one, else the adapter's. */
export async function readTrainedFiles(path: string): Promise<TrainedFiles> {
  const fusion = await readFusionFiles(path);
  return fusion ? { files: fusion, fusion: true, source: path } : { files: await readAdapterFiles(path), fusion: false, source: path };
}

/** The adapter or fusion made live on `encoder` (checked against it): its name, head and trainer view; dispose() frees it. */
export function liveTrained(trained: TrainedFiles, encoder: LoadedEncoder): { name: string; head?: HeadPlan; trainable: TrainableModel<TokenBatch>; dispose(): void } {
  if (trained.fusion) {
    const live = liveFusion(encoder.config, importFusion(trained.files, { encoder: encoder.config, source: trained.source }));
    return { name: live.fusion.name, head: live.fusion.head, trainable: fusionTrainable(live.fusion, encoder.weights), dispose: live.dispose };
  }
  const adapter = liveAdapter(encoder.config, importAdapter(trained.files, { encoder: encoder.config, source: trained.source }));
  return { name: adapter.name, head: adapter.head, trainable: adapterTrainable(adapter, encoder.weights), dispose: () => adapter.dispose() };
}
