/**
 * Runs a composition setup (composition.ts) over live adapters on one frozen encoder, as the `adapters` library's
 * ComposableAdapterLayerBase does at each adapter layer (methods/adapter_layer_base.py compose_stack,
 * compose_parallel, compose_average, compose_batch_split; methods/bottleneck.py compose_fuse), with each
 * family's state: BottleneckState (hidden states, the sub-block input, the adapter residual), LoRAState (the
 * Linear's input, the modules' state, its output), PrefixTuningState (keys and values). Parallel's batch is
 * replicated once before the encoder (the rows are equal until the first adapter layer, where the library does it);
 * then each child's rows are one slice. The heads: heads/model_mixin.py forward_head (Parallel and BatchSplit: each
 * child's head on its slice; otherwise one head).
 */
import * as tf from '@tensorflow/tfjs';
import { type EncoderHooks, type EncoderOutput, type EncoderWeights, type LayerNormFn, type ProjectionName, encoderForward } from '../model/encoder.ts';
import type { EncodedBatch } from '../model/tokenizer.ts';
import { linear } from '../ops.ts';
import type { AdapterModel } from './adapter.ts';
import type { BottleneckUnit, LoraUnit, PrefixStates } from './composition-units.ts';
import { type CompositionSetup, averageWeights, compositionHeads, compositionLabel, compositionSlices, validateComposition } from './composition.ts';
import { AdapterConfigError } from './errors.ts';
import type { BottleneckLocation } from './locations.ts';
import { composableInfo } from './shelf.ts';

/** A fusion layer at one bottleneck location, as the Fuse block calls it (BertFusion.forward(query, key=ups, value=ups, residual)). */
export interface FuseLayer {
  /** The fusion config's query_before_ln. */
  queryBeforeLn: boolean;
  /** The fused hidden states from the query, every child's scaled up-projection (in order) and the adapter residual. */
  forward(query: tf.Tensor3D, ups: tf.Tensor3D[], residual: tf.Tensor3D): tf.Tensor3D;
}

export interface ComposeOptions {
  /** Fuse: the fusion layer at (layer, location), when the fusion has one there. */
  fuse?(layer: number, location: BottleneckLocation): FuseLayer | undefined;
}

/** One head's prediction over its rows. */
export interface ComposedLogits {
  /** The adapter whose head predicted. */
  head: string;
  /** Rows [start, end) of the input batch it predicted for (Parallel: every row). */
  rows: [number, number];
  /** [rows, num_labels]; the caller disposes it. */
  logits: tf.Tensor2D;
}

const sliceRows = (t: tf.Tensor3D, [start, end]: [number, number]) => t.slice([start, 0, 0], [end - start, -1, -1]) as tf.Tensor3D;
const concatRows = (parts: tf.Tensor3D[]) => (parts.length === 1 ? parts[0] : tf.concat(parts, 0) as tf.Tensor3D);
const lastOf = <T>(items: (T | undefined)[]) => [...items].reverse().find((u): u is T => u !== undefined);

/** Σ wᵢ · stateᵢ averaged over the states, as the library's `mean` does: torch.mean(torch.stack(states) * weights, dim=0). */
function weightedMean(states: tf.Tensor3D[], weights: number[]): tf.Tensor3D {
  return tf.tidy(() => tf.stack(states).mul(tf.tensor(weights, [weights.length, 1, 1, 1])).mean(0) as tf.Tensor3D);
}

/** The hooks that run `setup` over `adapters` (setup.adapters' order); `slices` are the children's rows for Parallel / BatchSplit. */
function composedHooks(setup: CompositionSetup, adapters: AdapterModel[], slices: [number, number][] | undefined, options: ComposeOptions): EncoderHooks {
  const label = compositionLabel(setup);
  const weights = setup.block === 'Average' ? averageWeights(setup) : [];

  const closeWith = (location: BottleneckLocation) => (layer: number, h: tf.Tensor3D, x: tf.Tensor3D, ln: LayerNormFn): tf.Tensor3D => {
    const units = adapters.map((a) => a.units.bottleneck?.(layer, location));
    const present = units.filter((u): u is BottleneckUnit => u !== undefined);
    if (!present.length) return ln(h.add(x));
    // Only Stack skips a child without a module here; the other blocks' pre_block and concatenation need every child's.
    if (present.length < units.length && setup.block !== 'Stack') throw new AdapterConfigError(`${label}: only some children have a bottleneck adapter at layer ${layer} (${location}), and the library's ${setup.block} needs each child's there; join adapters placed alike.`);
    let hidden: tf.Tensor3D;
    const last: BottleneckUnit = lastOf(units)!;
    if (setup.block === 'Stack') {
      // compose_stack: each child's pre_forward on the running hidden states, then its forward.
      hidden = h;
      for (const unit of present) {
        const pre = unit.pre(hidden, x, ln);
        hidden = unit.forward(pre.hidden, pre.residual).output;
      }
    } else if (setup.block === 'Fuse') {
      // compose_fuse: the last child's pre_forward gives the query; every child's up-projection is fused.
      const fusion = options.fuse?.(layer, location);
      if (!fusion) throw new AdapterConfigError(`${label}: no fusion layer at layer ${layer} (${location}); load or train the fusion of ${setup.adapters.join(', ')} first.`);
      const pre = last.pre(h, x, ln);
      const query = last.query(h, x, ln, fusion.queryBeforeLn);
      hidden = fusion.forward(query, present.map((u) => u.forward(pre.hidden, pre.residual).up), pre.residual);
    } else {
      // pre_block: the first child's pre_forward for all rows.
      const pre = present[0].pre(h, x, ln);
      if (setup.block === 'Average') {
        hidden = weightedMean(present.map((u) => u.forward(pre.hidden, pre.residual).output), weights);
      } else {
        // Parallel / BatchSplit: each child on its rows.
        hidden = concatRows(slices!.map((rows, i) => present[i].forward(sliceRows(pre.hidden, rows), sliceRows(pre.residual, rows)).output));
      }
    }
    // post_forward of the last adapter applied.
    return last.post(hidden, h, x, ln);
  };

  const projection = (layer: number, name: ProjectionName, x: tf.Tensor3D, weightsOf: Parameters<typeof linear>[1]): tf.Tensor3D => {
    const y = linear(x, weightsOf);
    const units = adapters.map((a) => a.units.lora?.(layer, name));
    const present = units.filter((u): u is LoraUnit => u !== undefined);
    if (!present.length) return y;
    if (present.length < units.length && setup.block !== 'Stack') throw new AdapterConfigError(`${label}: only some children have LoRA at layer ${layer} (${name}), and the library's ${setup.block} cannot join their states; join adapters placed alike.`);
    if (setup.block === 'Stack' && present.length > 1 && present.some((u) => u.mode === 'add') && x.shape[2] !== y.shape[2]) {
      throw new AdapterConfigError(`${label}: two LoRA modules are stacked on layer ${layer}'s ${name} Linear (${x.shape[2]} → ${y.shape[2]}); the library's Stack feeds one module's output into the next one's lora_A, which fits only a Linear as wide out as in (the attention matrices).`);
    }
    let hidden: tf.Tensor3D | undefined;
    if (setup.block === 'Stack') for (const unit of present) hidden = unit.forward(hidden, x);
    else if (setup.block === 'Average') hidden = weightedMean(present.map((u) => u.forward(undefined, x)), weights);
    else hidden = concatRows(slices!.map((rows, i) => present[i].forward(undefined, sliceRows(x, rows))));
    // The last module's com, with the scaling already applied.
    return lastOf(units)!.combine(y, hidden!);
  };

  const attentionPrefix = (layer: number, x: tf.Tensor3D): PrefixStates | undefined => {
    if (setup.block === 'Stack') {
      const prefixes = adapters.map((a) => a.units.prefix?.(layer, x)).filter((p): p is PrefixStates => p !== undefined);
      if (!prefixes.length) return undefined;
      // Each child's compose_single puts its prefix before the keys so far: the last child's comes first.
      const batched = prefixes.some((p) => p.key.rank === 3);
      const join = (parts: (tf.Tensor2D | tf.Tensor3D)[]) => tf.concat(parts.reverse().map((t) => (batched && t.rank === 2 ? tf.tile(t.expandDims(0), [x.shape[0], 1, 1]) : t)), batched ? 1 : 0) as tf.Tensor2D | tf.Tensor3D;
      return { key: join(prefixes.map((p) => p.key)), value: join(prefixes.map((p) => p.value)) };
    }
    if (!slices) return undefined;
    const parts = slices.map((rows, i) => adapters[i].units.prefix?.(layer, sliceRows(x, rows)));
    if (parts.every((p) => !p)) return undefined;
    if (parts.some((p) => !p)) throw new AdapterConfigError(`${label}: only some children have a prefix at layer ${layer}; the library pads the others' keys with the pad token id, which the studio does not copy.`);
    const perRow = (t: tf.Tensor2D | tf.Tensor3D, [start, end]: [number, number]) => (t.rank === 3 ? t as tf.Tensor3D : tf.tile(t.expandDims(0), [end - start, 1, 1]) as tf.Tensor3D);
    return {
      key: concatRows(parts.map((p, i) => perRow(p!.key, slices[i]))),
      value: concatRows(parts.map((p, i) => perRow(p!.value, slices[i]))),
    };
  };

  return { attentionOutput: closeWith('mh_adapter'), ffnOutput: closeWith('output_adapter'), projection, attentionPrefix };
}

/** `batch` repeated `times` times along the rows. */
function repeatBatch(batch: EncodedBatch, times: number): EncodedBatch {
  if (times === 1) return batch;
  const repeat = <T extends Int32Array | Uint8Array | Float32Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(a.length * times);
    for (let i = 0; i < times; i++) out.set(a, i * a.length);
    return out;
  };
  return { ...batch, batch: batch.batch * times, inputIds: repeat(batch.inputIds), attentionMask: repeat(batch.attentionMask), tokenTypeIds: repeat(batch.tokenTypeIds) };
}

const sliceOutput = (out: EncoderOutput, [start, end]: [number, number]): EncoderOutput => ({
  lastHiddenState: sliceRows(out.lastHiddenState, [start, end]),
  firstToken: out.firstToken.slice([start, 0], [end - start, -1]),
  pooled: out.pooled?.slice([start, 0], [end - start, -1]),
});

/**
 * The encoder outputs with `setup` applied over `adapters` (in setup.adapters' order, one a child); Parallel's are
 * [children · batch, ...]. The caller disposes them.
 */
export function composedEncode(weights: EncoderWeights, batch: EncodedBatch, setup: CompositionSetup, adapters: AdapterModel[], options: ComposeOptions = {}): EncoderOutput {
  if (adapters.length !== setup.adapters.length || adapters.some((a, i) => a.name !== setup.adapters[i])) {
    throw new AdapterConfigError(`${compositionLabel(setup)}: the adapters given (${adapters.map((a) => a.name).join(', ')}) are not its children in order.`);
  }
  validateComposition(setup, adapters.map(composableInfo), { heads: false });
  const slices = compositionSlices(setup, batch.batch);
  const hooks = composedHooks(setup, adapters, slices, options);
  const input = setup.block === 'Parallel' ? repeatBatch(batch, adapters.length) : batch;
  // One inference pass of each distinct adapter around the encoder (their per-pass state reset before and after).
  const distinct = [...new Set(adapters)];
  const run = distinct.reduceRight<() => EncoderOutput>((inner, adapter) => () => adapter.inCall(inner), () => encoderForward(weights, input, hooks));
  return run();
}

/** Every predicting head's logits over its rows (composition.ts compositionHeads): Parallel gives one per child for the same rows. */
export function composedForward(weights: EncoderWeights, batch: EncodedBatch, setup: CompositionSetup, adapters: AdapterModel[], options: ComposeOptions = {}): ComposedLogits[] {
  const byName = new Map(adapters.map((a) => [a.name, a]));
  validateComposition(setup, adapters.map(composableInfo));
  return tf.tidy(() => {
    const encoded = composedEncode(weights, batch, setup, adapters, options);
    const heads = compositionHeads(setup);
    const slices = compositionSlices(setup, batch.batch);
    const rowsIn = setup.block === 'BatchSplit' ? slices! : heads.map(() => [0, batch.batch] as [number, number]);
    return heads.map((head, i) => ({
      head,
      rows: rowsIn[i],
      logits: byName.get(head)!.applyHead(slices ? sliceOutput(encoded, slices[i]) : encoded),
    })) as unknown as tf.TensorContainer;
  }) as unknown as ComposedLogits[];
}
