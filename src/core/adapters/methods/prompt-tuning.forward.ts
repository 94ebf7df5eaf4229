/** Prompt tuning's forward (methods/prompt_tuning.py): P trained embeddings joined to the embedding output. */
import * as tf from '@tensorflow/tfjs';
import type { FamilyHooks, ForwardContext } from './forward-context.ts';
import type { PromptModule } from './prompt-tuning.ts';

/** The embeddingsOutput hook joining the prompt to the embeddings. */
export function promptHooks(ctx: ForwardContext, prompt: PromptModule): FamilyHooks {
  return { hooks: { embeddingsOutput: (e) => promptForward(ctx, prompt, e) }, units: { prompt: true } };
}

/** The embeddings e [batch, seq, emb] with the prompt before them ("prefix") or after the first token ("prefix_after_bos"). */
export function promptForward(ctx: ForwardContext, prompt: PromptModule, e: tf.Tensor3D): tf.Tensor3D {
  const [batch] = e.shape;
  const tiled = tf.tile(ctx.tensor(prompt.embedding).expandDims(0), [batch, 1, 1]) as tf.Tensor3D;
  if (prompt.config.combine === 'prefix') return tf.concat([tiled, e], 1);
  return tf.concat([e.slice([0, 0, 0], [-1, 1, -1]), tiled, e.slice([0, 1, 0], [-1, -1, -1])], 1);
}
