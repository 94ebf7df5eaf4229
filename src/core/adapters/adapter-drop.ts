/**
 * Dynamic AdapterDrop (Rücklé et al.), as the `adapters` library trains it (notebooks/Adapter_Drop_Training.ipynb):
 * a callback sets `skip_layers = list(range(np.random.randint(0, 11)))` before every step of a 12-layer model,
 * i.e. the adapters of the first k layers are dropped, k uniform in 0 … layers − 2. Static AdapterDrop is the
 * configs' `leave_out`.
 */
import { seededRandom } from '../random.ts';

/** Returns a seeded generator of skip sets, one per training step; pass each to forward/loss as `skipLayers`. */
export function createAdapterDrop(numLayers: number, seed: number): () => Set<number> {
  const random = seededRandom(seed);
  const choices = Math.max(1, numLayers - 1);
  return () => new Set(Array.from({ length: Math.floor(random() * choices) }, (_, layer) => layer));
}
