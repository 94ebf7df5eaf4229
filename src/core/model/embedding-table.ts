/**
 * An embedding table held as row blocks, each within the largest buffer a GPU kernel may bind. A gather binds its
 * whole table: roberta-base's 50,265 × 768 word embeddings are 154 MB, over the 128 MiB
 * maxStorageBufferBindingSize WebGPU guarantees (and many GPUs report), and xlm-roberta-base's are 768 MB. Where
 * the table fits (always on wasm and cpu) it is one block, and a lookup is one tf.gather.
 */
import * as tf from '@tensorflow/tfjs';

export interface EmbeddingTable {
  /** Rows [k · rowsPerBlock, (k + 1) · rowsPerBlock) of the table in block k; the last may be shorter. */
  blocks: tf.Tensor2D[];
  rowsPerBlock: number;
  rows: number;
  width: number;
}

/** Uploads a [rows, width] table in as few blocks as keep each within `maxBlockBytes`. */
export function uploadEmbeddingTable(data: Float32Array, rows: number, width: number, maxBlockBytes = Number.POSITIVE_INFINITY): EmbeddingTable {
  if (data.length !== rows * width) throw new RangeError(`An embedding table of ${rows} × ${width} needs ${rows * width} values, got ${data.length}.`);
  const rowsPerBlock = Math.min(rows, Math.floor(maxBlockBytes / (4 * width)));
  if (rowsPerBlock < 1) throw new RangeError(`One embedding row of ${width} floats is over the ${maxBlockBytes} bytes a GPU kernel may bind.`);
  const blocks: tf.Tensor2D[] = [];
  try {
    for (let first = 0; first < rows; first += rowsPerBlock) {
      const last = Math.min(rows, first + rowsPerBlock);
      blocks.push(tf.tensor2d(data.subarray(first * width, last * width), [last - first, width], 'float32'));
    }
  } catch (err) {
    for (const block of blocks) block.dispose();
    throw err;
  }
  return { blocks, rowsPerBlock, rows, width };
}

/**
 * The rows `ids` names, [ids.length, width]. Across blocks: each block gathers the ids that fall in it, and one
 * gather over their concatenation puts the rows back in the ids' order (every kernel binds at most a block).
 */
export function gatherRows(table: EmbeddingTable, ids: Int32Array): tf.Tensor2D {
  const outside = ids.find((id) => !(id >= 0 && id < table.rows));
  if (outside !== undefined) throw new RangeError(`Embedding id ${outside} is outside the table's ${table.rows} rows.`);
  if (table.blocks.length === 1) return tf.tidy(() => tf.gather(table.blocks[0], tf.tensor1d(ids, 'int32')));
  return tf.tidy(() => {
    const byBlock = table.blocks.map(() => [] as number[]);
    for (const id of ids) byBlock[Math.floor(id / table.rowsPerBlock)].push(id % table.rowsPerBlock);
    // Where each block's rows start in the concatenation, advanced as the ids take them.
    let offset = 0;
    const next = byBlock.map((local) => (offset += local.length) - local.length);
    const order = Int32Array.from(ids, (id) => next[Math.floor(id / table.rowsPerBlock)]++);
    const parts = table.blocks.flatMap((block, k) => (byBlock[k].length > 0 ? [tf.gather(block, tf.tensor1d(byBlock[k], 'int32'))] : []));
    return tf.gather(tf.concat(parts, 0), tf.tensor1d(order, 'int32'));
  });
}
