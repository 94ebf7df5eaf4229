/** Little-endian element views of weight bytes, converted to float32 (the dtype the encoder computes in). */

/** Float32 value of every IEEE 754 binary16 bit pattern, built on first use (256 KB). */
let halfTable: Float32Array | undefined;

function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    table[bits] = exponent === 0
      ? sign * fraction * 2 ** -24 // subnormal (and ±0)
      : exponent === 31
        ? (fraction ? NaN : sign * Infinity)
        : sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  halfTable = table;
  return table;
}

/** `count` little-endian uint16 values starting at byte `offset` (copied when unaligned). */
function uint16s(bytes: Uint8Array, offset: number, count: number): Uint16Array {
  const start = bytes.byteOffset + offset;
  if (start % 2 === 0) return new Uint16Array(bytes.buffer, start, count);
  return new Uint16Array(bytes.slice(offset, offset + 2 * count).buffer);
}

function float16ToFloat32(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const table = halfToFloatTable();
  const halves = uint16s(bytes, offset, count);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = table[halves[i]];
  return out;
}

/** bfloat16 is the upper half of a float32: shift the 16 bits into place. */
function bfloat16ToFloat32(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const halves = uint16s(bytes, offset, count);
  const out = new Float32Array(count);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) outBits[i] = halves[i] << 16;
  return out;
}

/** A view when 4-byte aligned (no copy), else a copy. */
function float32s(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const start = bytes.byteOffset + offset;
  if (start % 4 === 0) return new Float32Array(bytes.buffer, start, count);
  return new Float32Array(bytes.slice(offset, offset + 4 * count).buffer);
}

function float64ToFloat32(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 8 * count);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
}

/** Decodes `count` elements of a floating-point dtype (safetensors spelling) to float32; undefined for other dtypes. */
export function decodeFloat32(dtype: string, bytes: Uint8Array, offset: number, count: number): Float32Array | undefined {
  switch (dtype) {
    case 'F32': return float32s(bytes, offset, count);
    case 'F16': return float16ToFloat32(bytes, offset, count);
    case 'BF16': return bfloat16ToFloat32(bytes, offset, count);
    case 'F64': return float64ToFloat32(bytes, offset, count);
    default: return undefined;
  }
}
