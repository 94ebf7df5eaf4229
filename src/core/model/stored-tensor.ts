/** A tensor as a weights file stores it; values are decoded only when asked for. */
export interface StoredTensor {
  /** Element type in the file, in safetensors spelling: "F32", "F16", "BF16", "F64", "I64", "I32"... */
  dtype: string;
  /** Dimensions, row-major. */
  shape: number[];
  /** The values as contiguous row-major float32, converted from the stored dtype. */
  toFloat32(): Float32Array;
}

/** Tensors of one checkpoint by their name in the file. */
export type StoredTensors = Map<string, StoredTensor>;

/** Product of the dimensions (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
