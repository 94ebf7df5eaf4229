/**
 * Frees backward-pass tensors as soon as tfjs' backprop is done with them. tfjs-core 4.22's `engine.gradients`
 * keeps every gradient it computes, and every tensor saved for backward, until the whole backward pass ends (one
 * tidy around it): a step's peak held a gradient for every intermediate of every layer besides the activations.
 * Backprop walks the tape in reverse, one node at a time, so when a node's gradient is asked for, the node walked
 * before it is finished: its output gradients and its saved tensors are disposed then, except a gradient that is
 * still some tensor's gradient (identity-like ops hand dy on as an input's gradient; a variable's gradient is
 * returned to the caller). Only the first-order pass frees anything: a gradient of a gradient keeps tfjs' own
 * lifetimes.
 *
 * Forward, the ops whose gradient reads only their inputs' shapes keep the shapes instead of the tensors: tfjs
 * saves a Reshape's or an Add's inputs whole, which kept every frozen linear's output (reshaped back to
 * [batch, seq, width]), the attention scores before the mask and each residual sum alive until backward reached
 * them, about half of a bert-base step's peak.
 */
import * as tf from '@tensorflow/tfjs';

type GradientClosures = Record<string, () => tf.Tensor>;

interface TapeNode {
  kernelName: string;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => GradientClosures;
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  addTapeNode: (...args: unknown[]) => void;
}

/**
 * The backward pass under way: its tape, the newest tensor id of its forward pass (a gradient the caller passed
 * in, as `valueAndGrads(f)(x, dy)` does, is older and is never freed here), how many gradient slots hold each
 * tensor, and the node just walked.
 */
interface Walk {
  tape: TapeNode[];
  forwardId: number;
  holders: Map<tf.Tensor, number>;
  finished?: { dys: tf.Tensor[]; saved: tf.Tensor[] };
}

/** Kernels whose gradient (tfjs-core 4.22, gradients/*_grad.js) reads its saved tensors' shape and rank alone. */
const SHAPE_ONLY_GRADIENTS = new Set(['Reshape', 'Add', 'Sub', 'Slice', 'Concat', 'Sum', 'Mean', 'PadV2']);

/** What a shape-only gradient reads of a saved tensor; disposing it is a no-op, as the engine disposes every saved entry. */
function shapeOf(tensor: tf.Tensor): tf.Tensor {
  const stub = { shape: tensor.shape, rank: tensor.rank, dtype: tensor.dtype, size: tensor.size, dispose() {} };
  tensor.dispose();
  return stub as unknown as tf.Tensor;
}

let walk: Walk | undefined;
let installed = false;
let restore: () => void = () => {};

function release(current: Walk): void {
  const done = current.finished;
  current.finished = undefined;
  if (!done) return;
  for (const dy of done.dys) {
    if (dy.id <= current.forwardId) continue;
    const held = current.holders.get(dy) ?? 0;
    if (held > 1) current.holders.set(dy, held - 1);
    else {
      current.holders.delete(dy);
      dy.dispose();
    }
  }
  for (const tensor of done.saved) if (!current.holders.has(tensor)) tensor.dispose();
}

function leanGradient(engine: EngineInternals, tape: TapeNode[], node: TapeNode, gradient: NonNullable<TapeNode['gradient']>, dys: (tf.Tensor | null)[]): GradientClosures {
  if (engine.state.gradientDepth !== 0) return gradient(dys);
  if (walk?.tape !== tape) {
    let forwardId = -1;
    for (const n of tape) for (const o of n.outputs) forwardId = Math.max(forwardId, o.id);
    walk = { tape, forwardId, holders: new Map() };
  }
  const current = walk;
  release(current);
  const closures = gradient(dys);
  current.finished = { dys: dys.filter((dy): dy is tf.Tensor => dy !== null), saved: node.saved ?? [] };
  const counted: GradientClosures = {};
  for (const [input, closure] of Object.entries(closures)) {
    counted[input] = () => {
      const dx = closure();
      current.holders.set(dx, (current.holders.get(dx) ?? 0) + 1);
      return dx;
    };
  }
  return counted;
}

/**
 * Makes tfjs' engine free backward tensors early (see the file's comment), for every gradient taken from now on;
 * idempotent. Returns the function that puts tfjs' own behaviour back (tests compare the two).
 */
export function installLeanBackprop(): () => void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (installed) return restore;
  installed = true;
  const addTapeNode = engine.addTapeNode;
  engine.addTapeNode = function (this: EngineInternals, ...args: unknown[]) {
    addTapeNode.apply(this, args);
    const tape = this.state.activeTape;
    const node = tape?.[tape.length - 1];
    if (node?.saved && SHAPE_ONLY_GRADIENTS.has(node.kernelName)) {
      // In place: the engine's gradient closure holds this same array.
      for (let k = 0; k < node.saved.length; k++) node.saved[k] = shapeOf(node.saved[k]);
    }
    const gradient = node?.gradient;
    if (tape && node && gradient) node.gradient = (dys) => leanGradient(this, tape, node, gradient, dys);
  };
  restore = () => {
    engine.addTapeNode = addTapeNode;
    installed = false;
    walk = undefined;
  };
  return restore;
}
