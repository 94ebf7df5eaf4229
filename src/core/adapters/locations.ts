/**
 * Where the `adapters` library puts adapter modules in each encoder family, i.e. the state-dict key prefixes,
 * from the family's insertion points (src/core/model/families/).
 */
import type { EncoderConfig } from '../model/config.ts';
import { familyDefinition } from '../model/families/index.ts';
import type { AdapterInsertionPoints, BottleneckLocation, LayerSlot, LoraTarget } from '../model/families/types.ts';

export type { BottleneckLocation, LayerSlot, LoraTarget };

export interface ModelLayout extends Omit<AdapterInsertionPoints, 'layers'> {
  /** base_model_prefix: "bert", "roberta", "distilbert", "electra". */
  base: string;
  /** Key prefix of layer `l`, e.g. "bert.encoder.layer.3". */
  layer(l: number): string;
}

export function modelLayout(config: EncoderConfig): ModelLayout {
  const base = config.weightPrefix;
  const { layers, ...points } = familyDefinition(config.family).adapterInsertionPoints;
  return { base, layer: (l) => `${base}.${layers}.${l}`, ...points };
}
