/**
 * Where the `adapters` library puts adapter modules in each encoder family, i.e. the state-dict key prefixes
 * (models/bert/mixin_bert.py, models/distilbert/mixin_distilbert.py; RoBERTa, XLM-R and ELECTRA reuse BERT's
 * mixins under their own base_model_prefix).
 */
import type { EncoderConfig } from '../model/config.ts';

/** The Linear layers LoRA / IA3 may wrap: q/k/v ("selfattn"), intermediate.dense, output.dense. */
export type LoraTarget = 'q' | 'k' | 'v' | 'intermediate' | 'output';

/** Bottleneck locations, named by the config flag that enables them. */
export type BottleneckLocation = 'mh_adapter' | 'output_adapter';

/** The per-layer module slots in the order torch lists them in the state dict. */
export type LayerSlot = LoraTarget | 'prefix_gate' | BottleneckLocation;

export interface ModelLayout {
  /** base_model_prefix: "bert", "roberta", "distilbert", "electra". */
  base: string;
  /** Key prefix of layer `l`, e.g. "bert.encoder.layer.3". */
  layer(l: number): string;
  /** Module path (inside a layer) of each bottleneck location's BottleneckLayer. */
  bottleneck: Record<BottleneckLocation, string>;
  /** Module path (inside a layer) of each LoRA-wrapped Linear. */
  linear: Record<LoraTarget, string>;
  /** Module path (inside a layer) of the PrefixTuningLayer holding the prefix gates. */
  prefixLayer: string;
  /** PrefixTuningGroup key of the self-attention prefix ("self_prefix"; DistilBERT: "self"). */
  prefixLocation: string;
  /** Slots of a layer in state-dict order. */
  slots: LayerSlot[];
}

export function modelLayout(config: EncoderConfig): ModelLayout {
  const base = config.weightPrefix;
  if (config.family === 'distilbert') {
    return {
      base,
      layer: (l) => `${base}.transformer.layer.${l}`,
      bottleneck: { mh_adapter: 'attention_adapters', output_adapter: 'output_adapters' },
      linear: { q: 'attention.q_lin', k: 'attention.k_lin', v: 'attention.v_lin', intermediate: 'ffn.lin1', output: 'ffn.lin2' },
      prefixLayer: 'attention.prefix_tuning',
      prefixLocation: 'self',
      // TransformerBlock: attention (q, k, v, prefix), ffn (lin1, lin2), then the adapter layers added by the mixin.
      slots: ['q', 'k', 'v', 'prefix_gate', 'intermediate', 'output', 'mh_adapter', 'output_adapter'],
    };
  }
  return {
    base,
    layer: (l) => `${base}.encoder.layer.${l}`,
    bottleneck: { mh_adapter: 'attention.output', output_adapter: 'output' },
    linear: { q: 'attention.self.query', k: 'attention.self.key', v: 'attention.self.value', intermediate: 'intermediate.dense', output: 'output.dense' },
    prefixLayer: 'attention.self.prefix_tuning',
    prefixLocation: 'self_prefix',
    slots: ['q', 'k', 'v', 'prefix_gate', 'mh_adapter', 'intermediate', 'output', 'output_adapter'],
  };
}
