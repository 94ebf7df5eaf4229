/**
 * DeBERTa v1's fused attention input (modeling_deberta.py DisentangledSelfAttention): in_proj, Linear(hidden,
 * 3·hidden, bias=False), whose output transpose_for_scores splits per head into [q_h | k_h | v_h] (d columns
 * each), then q += q_bias and v += v_bias. Split at load time into the query / key / value Linears the encoder
 * runs (key with a zero bias), which compute the same q, k and v.
 */
import type { EncoderConfig } from './config.ts';
import type { HostWeights } from './weights.ts';

/** The checkpoint tensors of one layer's fused q/k/v, with their shapes. */
export function fusedQkvTensors(layer: string, hidden: number): { name: string; shape: number[] }[] {
  return [
    { name: `${layer}.attention.self.in_proj.weight`, shape: [3 * hidden, hidden] },
    { name: `${layer}.attention.self.q_bias`, shape: [hidden] },
    { name: `${layer}.attention.self.v_bias`, shape: [hidden] },
  ];
}

/** Column of the fused output holding part `part` (0 q, 1 k, 2 v) of the hidden column `column` (head ⌊column/d⌋). */
export function fusedColumn(part: number, column: number, headDim: number): number {
  return Math.floor(column / headDim) * 3 * headDim + part * headDim + (column % headDim);
}

/** Replaces every layer's in_proj / q_bias / v_bias in `tensors` with attention.self.{query,key,value}.{weight,bias}. */
export function splitFusedQkv(tensors: HostWeights, config: EncoderConfig): void {
  const h = config.hiddenSize;
  const d = h / config.numHeads;
  for (let l = 0; l < config.numLayers; l++) {
    const p = `encoder.layer.${l}.attention.self`;
    const fused = tensors.get(`${p}.in_proj.weight`)!.data;
    const biases = [tensors.get(`${p}.q_bias`)!.data, new Float32Array(h), tensors.get(`${p}.v_bias`)!.data];
    ['query', 'key', 'value'].forEach((name, part) => {
      const weight = new Float32Array(h * h);
      for (let row = 0; row < h; row++) {
        const from = fusedColumn(part, row, d) * h;
        weight.set(fused.subarray(from, from + h), row * h);
      }
      tensors.set(`${p}.${name}.weight`, { shape: [h, h], data: weight });
      tensors.set(`${p}.${name}.bias`, { shape: [h], data: Float32Array.from(biases[part]) });
    });
    for (const name of ['in_proj.weight', 'q_bias', 'v_bias']) tensors.delete(`${p}.${name}`);
  }
}
