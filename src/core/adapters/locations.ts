/**
 * Where the `adapters` library puts adapter modules in each encoder family, i.e. the state-dict key prefixes,
 * from the family's insertion points (src/core/model/families/).
 */
import type { EncoderConfig } from '../model/config.ts';
import { familyDefinition, layerModules } from '../model/families/index.ts';
import type { AdapterInsertionPoints, BottleneckLocation, LayerSlot, LoraTarget } from '../model/families/types.ts';

export type { BottleneckLocation, LayerSlot, LoraTarget };

export interface ModelLayout extends AdapterInsertionPoints {
  /** base_model_prefix: "bert", "roberta", "distilbert", "electra", "albert". */
  base: string;
  /** Layer modules adapters live in, numbered as iter_layers does (ALBERT: groups × inner_group_num, shared by its layers). */
  layerCount: number;
  /** Key prefix of layer module `l`, e.g. "bert.encoder.layer.3", "albert.encoder.albert_layer_groups.0.albert_layers.1". */
  layer(l: number): string;
}

export function modelLayout(config: EncoderConfig): ModelLayout {
  const base = config.weightPrefix;
  const { paths } = layerModules(config);
  return { base, layerCount: paths.length, layer: (l) => `${base}.${paths[l]}`, ...familyDefinition(config.family).adapterInsertionPoints };
}
