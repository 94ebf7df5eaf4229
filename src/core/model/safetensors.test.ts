import { describe, expect, it } from 'vitest';
import { CorruptWeightsError } from './errors.ts';
import { MAX_HEADER_BYTES, parseSafetensorsHeader, readSafetensors } from './safetensors.ts';
import { safetensorsBytes } from './test-support.ts';

const file = safetensorsBytes;
const bytesOf = (...u16: number[]) => new Uint8Array(Uint16Array.from(u16).buffer);

describe('readSafetensors', () => {
  it('decodes F32, F16 and BF16 tensors by their bit patterns', () => {
    const f32 = new Uint8Array(Float32Array.from([1.5, -2.25, 3e-3]).buffer);
    // binary16: 0x3C00 = 1, 0xC000 = -2, 0x7BFF = 65504 (max), 0x0001 = 2^-24 (smallest subnormal), 0x3555 ≈ 1/3.
    const f16 = bytesOf(0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555);
    // bfloat16: upper 16 bits of float32; 0x3F80 = 1, 0x4049 = 3.140625, 0xC2F7 = -123.5.
    const bf16 = bytesOf(0x3f80, 0x4049, 0xc2f7);
    const data = new Uint8Array([...f32, ...f16, ...bf16]);
    const header = {
      __metadata__: { format: 'pt' },
      a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
      h: { dtype: 'F16', shape: [5], data_offsets: [12, 22] },
      b: { dtype: 'BF16', shape: [1, 3], data_offsets: [22, 28] },
    };
    const tensors = readSafetensors(file(header, data), 'model.safetensors');
    expect(Array.from(tensors.get('a')!.toFloat32())).toEqual([1.5, -2.25, Math.fround(3e-3)]);
    // 0x3555: exponent 13, fraction 341 → (1 + 341/1024) · 2^(13-15) = 0.333251953125.
    expect(Array.from(tensors.get('h')!.toFloat32())).toEqual([1, -2, 65504, 2 ** -24, 0.333251953125]);
    expect(tensors.get('b')!.shape).toEqual([1, 3]);
    expect(Array.from(tensors.get('b')!.toFloat32())).toEqual([1, 3.140625, -123.5]);
  });

  it('reads tensors whose data is not 4-byte aligned', () => {
    const values = Float32Array.from([7, 8]);
    const data = new Uint8Array([0xaa, ...new Uint8Array(values.buffer)]);
    const header = { pad: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, x: { dtype: 'F32', shape: [2], data_offsets: [1, 9] } };
    let json = JSON.stringify(header);
    while ((8 + json.length) % 4 !== 0) json += ' '; // data starts 4-aligned, so "x" at data offset 1 is not
    const bytes = file(undefined, data, undefined, json);
    expect(Array.from(readSafetensors(bytes, 'x.safetensors').get('x')!.toFloat32())).toEqual([7, 8]);
  });

  it('keeps integer tensors but refuses to use them as weights', () => {
    const data = new Uint8Array(new BigInt64Array([0n, 1n, 2n]).buffer);
    const tensors = readSafetensors(file({ 'roberta.embeddings.position_ids': { dtype: 'I64', shape: [1, 3], data_offsets: [0, 24] } }, data), 'model.safetensors');
    expect(tensors.get('roberta.embeddings.position_ids')!.dtype).toBe('I64');
    expect(() => tensors.get('roberta.embeddings.position_ids')!.toFloat32()).toThrow(/is I64, not a floating-point weight/);
  });

  const eight = new Uint8Array(8);
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['a file shorter than the length prefix', () => new Uint8Array(5), /fewer than the 8-byte header length/],
    ['a header length past the end of the file', () => file({}, eight, 1000n), /header length 1000 runs past the end of the 1[0-9]-byte file/],
    ['a header length of 2^60', () => file({}, eight, 2n ** 60n), new RegExp(`header length ${2n ** 60n} exceeds the ${MAX_HEADER_BYTES}-byte limit`)],
    ['a header length of 2^64 - 1', () => file({}, eight, 2n ** 64n - 1n), /exceeds the 25000000-byte limit/],
    // The Hub's 25 MB limit, not the reference implementation's 100 MB: a 30 MB header length is refused before the size check.
    ['a header length of 30 MB', () => file({}, eight, 30_000_000n), /header length 30000000 exceeds the 25000000-byte limit/],
    ['a header that is not JSON', () => file(undefined, eight, undefined, '{"a": {"dtype": "F32",'), /header that is not valid JSON/],
    ['a header that is a JSON array', () => file([1, 2], eight), /header is not a JSON object/],
    ['a header that is not UTF-8', () => { const b = file(undefined, eight, undefined, '{"\u00e9":1}'); b[10] = 0xff; return b; }, /not UTF-8/],
    ['an unknown dtype', () => file({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 8] } }, eight), /tensor "w" has dtype "F128"; supported dtypes are F64, F32/],
    ['a negative dimension', () => file({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, eight), /tensor "w" has shape \[-2\]/],
    ['offsets beyond the data', () => file({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, eight), /data_offsets \[0, 16\] beyond the 8 bytes of data/],
    ['offsets given backwards', () => file({ w: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, eight), /expected \[begin, end\] with begin <= end/],
    ['offsets that are not integers', () => file({ w: { dtype: 'F32', shape: [1], data_offsets: [0, '4'] } }, eight), /data_offsets \[0,"4"\]/],
    ['a shape that does not fill its offsets', () => file({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, eight), /tensor "w" \(F32 \[3\]\) needs 12 bytes but data_offsets \[0, 8\] span 8/],
    ['a shape of 2^50 × 2^50 elements', () => file({ w: { dtype: 'F32', shape: [2 ** 50, 2 ** 50], data_offsets: [0, 8] } }, eight), /needs .* bytes but data_offsets \[0, 8\] span 8/],
    ['overlapping tensors', () => file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F16', shape: [2], data_offsets: [2, 6] } }, eight), /tensors "a" and "b" overlap/],
    ['__metadata__ that is not a string map', () => file({ __metadata__: { format: 1 } }, eight), /__metadata__ is not a map of strings/],
  ];
  for (const [name, bytes, message] of cases) {
    it(`rejects ${name} with a clear message and no large allocation`, () => {
      const input = bytes();
      const before = process.memoryUsage().arrayBuffers;
      expect(() => readSafetensors(input, 'model.safetensors', 'owner/model')).toThrow(CorruptWeightsError);
      expect(() => readSafetensors(input, 'model.safetensors', 'owner/model')).toThrow(message);
      expect(() => parseSafetensorsHeader(input, 'model.safetensors', 'owner/model')).toThrow(/"model.safetensors"/);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50_000_000);
    });
  }

  it('names the repository in the error', () => {
    try {
      readSafetensors(file({}, eight, 1000n), 'model.safetensors', 'owner/model');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CorruptWeightsError);
      expect((err as CorruptWeightsError).repoId).toBe('owner/model');
      expect((err as Error).message).toMatch(/^Weights file "model.safetensors" of "owner\/model" is not a valid safetensors file/);
    }
  });
});
