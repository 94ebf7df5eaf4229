// Reference: torch itself. Each .bin written here is loaded by Debian's python3-torch with
// torch.load(weights_only=True) and compared value by value; the zip layout is checked against
// shared/reference/torch-bin-format.md (stored entries, 64-byte aligned data, version "3\n").
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { toHalfBits } from '../../fixtures/half-float.ts';
import { Prng } from '../random.ts';
import { findTorchPython } from './test-support.ts';
import { crc32, TorchBinWriteError, writeTorchBin, type TorchBinTensor } from './torch-bin-writer.ts';

const python = findTorchPython();
const MISSING = 'python3 with torch is missing: install it with `apt-get install -y python3-torch` (torch.load is the reference reader).';
if (!python && process.env.CI) throw new Error(`${MISSING} CI requires it.`);
if (!python) console.warn(`[torch-bin-writer.test] SKIPPED the torch checks: ${MISSING}`);

const work = mkdtempSync(join(tmpdir(), 'torch-bin-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Loads `bytes` with torch and returns every tensor as {dtype, shape, values (as float64 / int lists)}. */
function torchLoad(bytes: Uint8Array): Record<string, { dtype: string; shape: number[]; values: number[] }> {
  const path = join(work, `t${Math.random().toString(36).slice(2)}.bin`);
  writeFileSync(path, bytes);
  const script = [
    'import json, sys, torch',
    'sd = torch.load(sys.argv[1], weights_only=True)',
    'print(json.dumps({k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": v.double().flatten().tolist() if v.is_floating_point() else v.flatten().tolist()} for k, v in sd.items()}))',
  ].join('\n');
  const run = spawnSync(python!, ['-c', script, path], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`torch.load failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (mantissa / 1024);
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + mantissa / 1024);
}

function bfloat16ToNumber(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits << 16);
  return view.getFloat32(0);
}

describe('writeTorchBin', () => {
  const rng = new Prng('torch-bin-test');
  const big = Float32Array.from({ length: 70_000 }, () => rng.normal(0, 1)); // numel > 65535: BININT
  const mid = Float32Array.from({ length: 3 * 300 }, () => rng.normal(0, 0.02)); // dims > 255: BININT2
  const halfSource = Float32Array.from({ length: 400 }, () => rng.normal(0, 3));
  const tensors: TorchBinTensor[] = [
    { name: 'bert.encoder.layer.0.output.adapters.ä_ü.adapter_down.0.weight', dtype: 'float32', shape: [300, 3], data: mid },
    { name: 'große.比例', dtype: 'float32', shape: [70, 1000], data: big },
    { name: 'half', dtype: 'float16', shape: [20, 20], data: toHalfBits(halfSource, 'float16') },
    { name: 'brain', dtype: 'bfloat16', shape: [400], data: toHalfBits(halfSource, 'bfloat16') },
    { name: 'position_ids', dtype: 'int64', shape: [1, 514], data: BigInt64Array.from({ length: 514 }, (_, i) => BigInt(i - 3) * 4_000_000_000n) },
    { name: 'scalar', dtype: 'float32', shape: [], data: Float32Array.of(0.25) },
    { name: 'empty', dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
  ];

  it.skipIf(!python)('is read back by torch.load(weights_only=True) with the same names, shapes, dtypes and values', () => {
    const loaded = torchLoad(writeTorchBin(tensors));
    expect(Object.keys(loaded)).toEqual(tensors.map((t) => t.name));
    const expectedDtype = { float32: 'torch.float32', float16: 'torch.float16', bfloat16: 'torch.bfloat16', int64: 'torch.int64' };
    for (const tensor of tensors) {
      const got = loaded[tensor.name];
      expect(got.dtype, tensor.name).toBe(expectedDtype[tensor.dtype]);
      expect(got.shape, tensor.name).toEqual(tensor.shape);
      const want =
        tensor.dtype === 'float16' ? Array.from(tensor.data as Uint16Array, halfToNumber)
        : tensor.dtype === 'bfloat16' ? Array.from(tensor.data as Uint16Array, bfloat16ToNumber)
        : tensor.dtype === 'int64' ? Array.from(tensor.data as BigInt64Array, Number)
        : Array.from(tensor.data as Float32Array);
      expect(got.values, tensor.name).toEqual(want);
    }
  });

  it.skipIf(!python)('rounds float32 to float16 and bfloat16 exactly as torch does', () => {
    // Edge cases: float16 max, overflow to inf, subnormals, underflow to zero, ties to even, and the float32 range.
    const edges = [65504, 65519.99, 65520, 1e5, -1e5, 1e-8, 2 ** -24, 3 * 2 ** -25, 6.1e-5, 1e-40, 0, -0, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.4e38];
    const source = Float32Array.from([...edges, ...halfSource]);
    const path = join(work, 'half-source.bin');
    writeFileSync(path, writeTorchBin([{ name: 'x', dtype: 'float32', shape: [source.length], data: source }]));
    const script = [
      'import json, sys, torch',
      'x = torch.load(sys.argv[1], weights_only=True)["x"]',
      'print(json.dumps({"f16": x.half().view(torch.int16).tolist(), "bf16": x.bfloat16().view(torch.int16).tolist()}))',
    ].join('\n');
    const run = spawnSync(python!, ['-c', script, path], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const torchBits = JSON.parse(run.stdout) as { f16: number[]; bf16: number[] };
    expect(Array.from(toHalfBits(source, 'float16'))).toEqual(torchBits.f16.map((v) => v & 0xffff));
    expect(Array.from(toHalfBits(source, 'bfloat16'))).toEqual(torchBits.bf16.map((v) => v & 0xffff));
  });

  it.skipIf(!python)('honours archiveName and writes an empty state dict', () => {
    expect(torchLoad(writeTorchBin([], { archiveName: 'pytorch_adapter' }))).toEqual({});
  });

  it('lays the zip out as torch does: stored entries, data 64-byte aligned, version and byteorder records', () => {
    const bytes = writeTorchBin(tensors.slice(0, 3), { archiveName: 'pytorch_adapter' });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const entries: { name: string; dataStart: number; size: number; method: number; crc: number }[] = [];
    let at = 0;
    while (view.getUint32(at, true) === 0x04034b50) {
      const method = view.getUint16(at + 8, true);
      const crc = view.getUint32(at + 14, true);
      const size = view.getUint32(at + 18, true);
      const nameLength = view.getUint16(at + 26, true);
      const extraLength = view.getUint16(at + 28, true);
      const name = new TextDecoder().decode(bytes.subarray(at + 30, at + 30 + nameLength));
      const dataStart = at + 30 + nameLength + extraLength;
      entries.push({ name, dataStart, size, method, crc });
      at = dataStart + size;
    }
    expect(entries.map((e) => e.name)).toEqual([
      'pytorch_adapter/data.pkl', 'pytorch_adapter/byteorder', 'pytorch_adapter/data/0', 'pytorch_adapter/data/1',
      'pytorch_adapter/data/2', 'pytorch_adapter/version',
    ]);
    for (const entry of entries) {
      expect(entry.method, entry.name).toBe(0);
      expect(entry.dataStart % 64, entry.name).toBe(0);
      expect(entry.crc, entry.name).toBe(crc32(bytes.subarray(entry.dataStart, entry.dataStart + entry.size)));
    }
    const text = (name: string) => {
      const e = entries.find((x) => x.name === name)!;
      return new TextDecoder().decode(bytes.subarray(e.dataStart, e.dataStart + e.size));
    };
    expect(text('pytorch_adapter/version')).toBe('3\n');
    expect(text('pytorch_adapter/byteorder')).toBe('little');
    const first = entries.find((e) => e.name.endsWith('data/0'))!;
    expect(new Float32Array(bytes.slice(first.dataStart, first.dataStart + first.size).buffer)).toEqual(mid);
    // The pickle names only globals that weights_only accepts.
    const pickle = text('pytorch_adapter/data.pkl');
    const globals = [...pickle.matchAll(/c([\w.]+)\n(\w+)\n/g)].map((m) => `${m[1]}.${m[2]}`);
    expect(new Set(globals)).toEqual(new Set(['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'torch.FloatStorage', 'torch.HalfStorage']));
  });

  it('computes the standard CRC-32 (check value of "123456789" is 0xCBF43926)', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('rejects data that does not match shape or dtype, and duplicate keys', () => {
    expect(() => writeTorchBin([{ name: 'w', dtype: 'float32', shape: [2, 2], data: new Float32Array(3) }])).toThrow(/shape \[2,2\] \(4 elements\) but 3 values/);
    expect(() => writeTorchBin([{ name: 'w', dtype: 'float16', shape: [2], data: new Float32Array(2) }])).toThrow(TorchBinWriteError);
    const ok: TorchBinTensor = { name: 'w', dtype: 'float32', shape: [1], data: new Float32Array(1) };
    expect(() => writeTorchBin([ok, ok])).toThrow(/appears twice/);
  });
});

describe('the tiny-bert-bin fixture', () => {
  it.skipIf(!python)('loads in torch with the same tensors as tiny-bert\'s model.safetensors', () => {
    const files = join(inject('fixturesDir'), 'models', 'adapter-studio');
    const loaded = torchLoad(new Uint8Array(readFileSync(join(files, 'tiny-bert-bin', 'files', 'pytorch_model.bin'))));
    const safetensors = new Uint8Array(readFileSync(join(files, 'tiny-bert', 'files', 'model.safetensors')));
    const headerLength = Number(new DataView(safetensors.buffer, safetensors.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(safetensors.subarray(8, 8 + headerLength)));
    delete header.__metadata__;
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(header).sort());
    for (const [name, entry] of Object.entries(header) as [string, { shape: number[]; data_offsets: [number, number] }][]) {
      const start = 8 + headerLength + entry.data_offsets[0];
      const values = Array.from(new Float32Array(safetensors.slice(start, 8 + headerLength + entry.data_offsets[1]).buffer));
      expect(loaded[name].shape, name).toEqual(entry.shape);
      expect(loaded[name].values, name).toEqual(values);
    }
  });
});
