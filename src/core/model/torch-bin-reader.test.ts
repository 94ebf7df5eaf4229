import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { findTorchPython } from '../export/test-support.ts';
import { CorruptWeightsError, UnsafePickleError } from './errors.ts';
import { readTorchBin } from './torch-bin-reader.ts';

/** The value formula of testdata/make-torch-bins.py: v(i) = ((i * 7) % 11 - 5) / 8. */
const v = (i: number) => ((i * 7) % 11 - 5) / 8;
const pattern = (n: number) => Array.from({ length: n }, (_, i) => v(i));
const testFile = (name: string) => new Uint8Array(readFileSync(new URL(`./testdata/${name}`, import.meta.url)));

const python = findTorchPython();
const MISSING = 'python3 with torch is missing: install it with `apt-get install -y python3-torch` (torch.save writes the reference files).';
if (!python && process.env.CI) throw new Error(`${MISSING} CI requires it.`);
if (!python) console.warn(`[torch-bin-reader.test] SKIPPED the checks against torch: ${MISSING}`);

// The same state dicts in the zip layout (torch >= 1.6) and the legacy one (torch < 1.6, or
// _use_new_zipfile_serialization=False), both written by torch 1.13.
for (const [layout, prefix] of [['zip', ''], ['legacy', 'legacy-']] as const) {
  describe(`readTorchBin on ${layout} files written by torch.save (torch 1.13, testdata/make-torch-bins.py)`, () => {
    it('reads a module state_dict with its _metadata attribute', () => {
      const tensors = readTorchBin(testFile(`${prefix}state-dict.bin`), 'state-dict.bin');
      expect([...tensors.keys()]).toEqual(['dense.weight', 'dense.bias', 'LayerNorm.weight', 'LayerNorm.bias']);
      const weight = tensors.get('dense.weight')!;
      expect(weight.dtype).toBe('F32');
      expect(weight.shape).toEqual([3, 4]);
      expect([...weight.toFloat32()]).toEqual(pattern(12));
      expect([...tensors.get('dense.bias')!.toFloat32()]).toEqual(pattern(3));
      expect([...tensors.get('LayerNorm.weight')!.toFloat32()]).toEqual(pattern(3).map((x) => x + 1));
      expect([...tensors.get('LayerNorm.bias')!.toFloat32()]).toEqual(pattern(3).map((x) => x - 1));
    });

    it('materialises strided and offset views of shared storages, and decodes f16, bf16, f64', () => {
      const tensors = readTorchBin(testFile(`${prefix}views.bin`), 'views.bin');
      const base = pattern(24); // [4, 6] row-major
      const at = (r: number, c: number) => base[r * 6 + c];
      expect([...tensors.get('base')!.toFloat32()]).toEqual(base);

      const transposed = tensors.get('transposed')!;
      expect(transposed.shape).toEqual([6, 4]);
      expect([...transposed.toFloat32()]).toEqual(Array.from({ length: 24 }, (_, i) => at(i % 4, Math.floor(i / 4))));

      const rows = tensors.get('rows_1_to_3')!;
      expect(rows.shape).toEqual([2, 6]);
      expect([...rows.toFloat32()]).toEqual(base.slice(6, 18));

      const columns = tensors.get('every_other_column')!;
      expect(columns.shape).toEqual([4, 3]);
      expect([...columns.toFloat32()]).toEqual(Array.from({ length: 12 }, (_, i) => at(Math.floor(i / 3), 2 * (i % 3))));

      expect(tensors.get('half')!.dtype).toBe('F16');
      expect([...tensors.get('half')!.toFloat32()]).toEqual(pattern(5));
      expect(tensors.get('bfloat')!.dtype).toBe('BF16');
      expect([...tensors.get('bfloat')!.toFloat32()]).toEqual(pattern(5));
      expect([...tensors.get('double')!.toFloat32()]).toEqual(pattern(3));
      expect([...tensors.get('parameter')!.toFloat32()]).toEqual(pattern(2));
      expect(tensors.get('scalar')!.shape).toEqual([]);
      expect([...tensors.get('scalar')!.toFloat32()]).toEqual([0.625]);

      const positions = tensors.get('position_ids')!;
      expect(positions).toMatchObject({ dtype: 'I64', shape: [1, 5] });
      expect(() => positions.toFloat32()).toThrow(/I64, not a floating-point weight/);
    });
  });
}

describe.skipIf(!python)('readTorchBin against torch.load on state dicts torch writes now', () => {
  const work = mkdtempSync(join(tmpdir(), 'torch-bin-reader-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  // Seeded random tensors of every float dtype, shared storages and views with offsets, an int64 buffer;
  // saved in both layouts, then read back by torch.load, whose values (as float64) are the reference.
  const script = `
import json, os, sys, torch
torch.manual_seed(13)
base = torch.randn(7, 300)
sd = {
    "word_embeddings.weight": torch.randn(50, 16),
    "dense.weight": base,
    "dense.weight.T": base.t(),
    "rows": base[2:5],
    "strided": base[1::3, 5::7],
    "row_view": base[6],
    "half": torch.randn(9, 4).half(),
    "half_view": torch.randn(6, 6).half()[:, 1:4],
    "bfloat": torch.randn(33).bfloat16(),
    "double": torch.randn(3, 2).double(),
    "position_ids": torch.arange(514).expand((1, -1)),
    "empty": torch.zeros(0, 4),
}
out = {}
for layout in ("zip", "legacy"):
    path = os.path.join(sys.argv[1], layout + ".bin")
    torch.save(sd, path, _use_new_zipfile_serialization=(layout == "zip"))
    loaded = torch.load(path, weights_only=True)
    out[layout] = {k: {"dtype": str(t.dtype), "shape": list(t.shape),
                       "values": t.double().flatten().tolist() if t.is_floating_point() else t.flatten().tolist()}
                   for k, t in loaded.items()}
print(json.dumps(out))
`;
  const run = python ? spawnSync(python, ['-c', script, work], { encoding: 'utf8', maxBuffer: 64 << 20 }) : undefined;
  const reference = (): Record<string, Record<string, { dtype: string; shape: number[]; values: number[] }>> => {
    if (run?.status !== 0) throw new Error(`torch failed: ${run?.stderr}`);
    return JSON.parse(run.stdout);
  };
  const DTYPES: Record<string, string> = { 'torch.float32': 'F32', 'torch.float16': 'F16', 'torch.bfloat16': 'BF16', 'torch.float64': 'F64', 'torch.int64': 'I64' };

  for (const layout of ['zip', 'legacy'] as const) {
    it(`reads the ${layout} layout with torch's names, dtypes, shapes and values`, () => {
      const expected = reference()[layout];
      const tensors = readTorchBin(new Uint8Array(readFileSync(join(work, `${layout}.bin`))), `${layout}.bin`);
      expect([...tensors.keys()]).toEqual(Object.keys(expected));
      for (const [name, want] of Object.entries(expected)) {
        const got = tensors.get(name)!;
        expect(got.dtype, name).toBe(DTYPES[want.dtype]);
        expect(got.shape, name).toEqual(want.shape);
        if (got.dtype === 'I64') continue; // integer buffers are not weights: toFloat32 refuses them (checked above)
        // float64 values are compared after the float32 rounding the encoder works in.
        expect([...got.toFloat32()], name).toEqual([...Float32Array.from(want.values)]);
      }
    });
  }
});

/** Pickle bytes assembled opcode by opcode (protocol 2 as torch.save writes it, see torch-bin-format.md). */
class PickleBuilder {
  private readonly bytes: number[] = [];

  raw(...values: number[]): this {
    this.bytes.push(...values);
    return this;
  }

  op(opcode: string): this {
    return this.raw(opcode.charCodeAt(0));
  }

  proto(version = 2): this {
    return this.raw(0x80, version);
  }

  global(module: string, name: string): this {
    return this.op('c').raw(...new TextEncoder().encode(`${module}\n${name}\n`));
  }

  unicode(text: string): this {
    const utf8 = new TextEncoder().encode(text);
    return this.op('X').raw(utf8.length & 0xff, (utf8.length >> 8) & 0xff, 0, 0, ...utf8);
  }

  shortUnicode(text: string): this {
    const utf8 = new TextEncoder().encode(text);
    return this.raw(0x8c, utf8.length, ...utf8);
  }

  int(n: number): this {
    if (n < 256) return this.op('K').raw(n);
    if (n < 65536) return this.op('M').raw(n & 0xff, n >> 8);
    return this.op('J').raw(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff);
  }

  tuple(...items: number[]): this {
    this.op('(');
    for (const item of items) this.int(item);
    return this.op('t');
  }

  /** LONG1: any integer, e.g. one beyond 2^53. */
  long(n: bigint): this {
    const bytes: number[] = [];
    for (let rest = n; bytes.length === 0 || rest !== 0n; rest >>= 8n) bytes.push(Number(rest & 0xffn));
    if (bytes[bytes.length - 1] & 0x80) bytes.push(0);
    return this.raw(0x8a, bytes.length, ...bytes);
  }

  /**
   * `_rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())`; with `legacyView`
   * the persistent id has the legacy layout's sixth element (None, or (view_key, offset, size)).
   */
  tensor(storageClass: string, key: string, numel: number | bigint, offset: number, size: number[], stride: number[], legacyView?: null | [string, number, number]): this {
    this.global('torch._utils', '_rebuild_tensor_v2').op('(');
    this.op('(').unicode('storage').global('torch', storageClass).unicode(key).unicode('cpu');
    if (typeof numel === 'bigint') this.long(numel);
    else this.int(numel);
    if (legacyView === null) this.op('N');
    else if (legacyView) this.op('(').unicode(legacyView[0]).int(legacyView[1]).int(legacyView[2]).op('t');
    this.op('t').op('Q');
    this.int(offset).tuple(...size).tuple(...stride).raw(0x89);
    this.global('collections', 'OrderedDict').op(')').op('R');
    return this.op('t').op('R');
  }

  build(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

const f32 = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

/** A torch.save-shaped zip: `archive/data.pkl`, storages `archive/data/<key>`, stored (not deflated). */
function archive(pickle: Uint8Array, storages: Record<string, Uint8Array> = {}): Uint8Array {
  const files: Record<string, [Uint8Array, { level: 0 }]> = { 'archive/data.pkl': [pickle, { level: 0 }] };
  for (const [key, data] of Object.entries(storages)) files[`archive/data/${key}`] = [data, { level: 0 }];
  files['archive/version'] = [new TextEncoder().encode('3\n'), { level: 0 }];
  return zipSync(files);
}

/** `OrderedDict([(name, tensor)])` with one tensor. */
function stateDict(name: string, tensor: (p: PickleBuilder) => PickleBuilder): Uint8Array {
  const p = new PickleBuilder().proto().global('collections', 'OrderedDict').op(')').op('R');
  p.op('(').unicode(name);
  tensor(p);
  return p.op('u').op('.').build();
}

describe('readTorchBin on hand-assembled pickles', () => {
  it('reads the documented protocol-2 layout, including BININT2 sizes and a strided view', () => {
    const data = Array.from({ length: 300 }, (_, i) => i / 4);
    const pickle = stateDict('w', (p) => p.tensor('FloatStorage', '0', 300, 0, [3, 100], [1, 3]));
    const w = readTorchBin(archive(pickle, { 0: f32(data) }), 'pytorch_model.bin').get('w')!;
    expect(w.shape).toEqual([3, 100]);
    const values = w.toFloat32();
    // Element (r, c) of a [3, 100] view with strides (1, 3) is storage[r + 3c].
    for (const [r, c] of [[0, 0], [1, 0], [2, 99], [1, 57]]) expect(values[r * 100 + c]).toBe(data[r + 3 * c]);
  });

  it('accepts protocol-4 framing, STACK_GLOBAL, MEMOIZE and LONG1', () => {
    const p = new PickleBuilder().proto(4).raw(0x95, 0, 0, 0, 0, 0, 0, 0, 0);
    p.shortUnicode('collections').shortUnicode('OrderedDict').raw(0x93, 0x94).op(')').op('R').raw(0x94);
    p.op('(').shortUnicode('x').global('torch._utils', '_rebuild_tensor_v2').op('(');
    p.op('(').unicode('storage').global('torch', 'FloatStorage').unicode('7').unicode('cpu').raw(0x8a, 1, 4).op('t').op('Q');
    p.raw(0x8a, 0).tuple(2).tuple(1).raw(0x89).op('h').raw(0).op(')').op('R').op('t').op('R');
    const pickle = p.op('u').op('.').build();
    const x = readTorchBin(archive(pickle, { 7: f32([1, 2, 3, 4]) }), 'p4.bin').get('x')!;
    expect([...x.toFloat32()]).toEqual([1, 2]);
  });

  const hostile: [string, Uint8Array, RegExp][] = [
    ['GLOBAL os.system', new PickleBuilder().proto().global('os', 'system').unicode('touch /tmp/pwned').raw(0x85).op('R').op('.').build(), /references os\.system/],
    ['GLOBAL builtins.eval', new PickleBuilder().proto().global('builtins', 'eval').unicode('1+1').raw(0x85).op('R').op('.').build(), /references builtins\.eval/],
    ['STACK_GLOBAL builtins.exec', new PickleBuilder().proto(4).shortUnicode('builtins').shortUnicode('exec').raw(0x93).shortUnicode('x=1').raw(0x85).op('R').op('.').build(), /references builtins\.exec/],
    ['posix.system inside a state dict', stateDict('w', (p) => p.global('posix', 'system').unicode('id').raw(0x85).op('R')), /references posix\.system/],
    ['a storage class called as a function', new PickleBuilder().proto().global('torch', 'FloatStorage').op(')').op('R').op('.').build(), /calls torch\.FloatStorage/],
    ['OrderedDict built from arguments', new PickleBuilder().proto().global('collections', 'OrderedDict').op(']').raw(0x85).op('R').op('.').build(), /builds an OrderedDict from arguments/],
    ['the INST opcode', new PickleBuilder().proto().op('(').op('i').raw(...new TextEncoder().encode('os\nsystem\n')).op('.').build(), /opcode 0x69/],
    ['REDUCE on a string', new PickleBuilder().proto().unicode('os.system').op(')').op('R').op('.').build(), /calls something that is not an allowed function/],
    ['BUILD on a tensor', stateDict('w', (p) => p.tensor('FloatStorage', '0', 1, 0, [1], [1]).op('}').op('b')), /sets the state of an object other than a dict/],
    ['a persistent id that is not a storage', new PickleBuilder().proto().unicode('module').op('Q').op('.').build(), /persistent id that is not a torch storage/],
  ];
  for (const [name, pickle, message] of hostile) {
    it(`refuses ${name} without running it`, () => {
      const load = () => readTorchBin(archive(pickle, { 0: f32([1]) }), 'evil.bin', 'someone/evil');
      expect(load).toThrow(UnsafePickleError);
      expect(load).toThrow(message);
      expect(load).toThrow(/Refused to load "evil.bin" of "someone\/evil"/);
    });
  }

  const corrupt: [string, () => Uint8Array, RegExp][] = [
    ['bytes that are neither a zip nor a pickle', () => new TextEncoder().encode('definitely not a zip archive'), /neither a zip archive .* nor a legacy torch.save stream/],
    ['a zip without data.pkl', () => zipSync({ 'archive/version': new TextEncoder().encode('3\n') }), /expected one "<dir>\/data.pkl"/],
    ['a pickle cut short', () => archive(new PickleBuilder().proto().global('collections', 'OrderedDict').op(')').build()), /pops an empty stack|ends inside an opcode/],
    ['a tensor whose storage file is missing', () => archive(stateDict('w', (p) => p.tensor('FloatStorage', '3', 2, 0, [2], [1]))), /storage "3", which is not in the archive/],
    ['a storage shorter than its declared size', () => archive(stateDict('w', (p) => p.tensor('FloatStorage', '0', 4, 0, [4], [1])), { 0: f32([1, 2]) }), /should hold 4 elements but has 8 bytes/],
    ['a view past the end of its storage', () => archive(stateDict('w', (p) => p.tensor('FloatStorage', '0', 4, 2, [2, 2], [2, 1])), { 0: f32([1, 2, 3, 4]) }), /reaches beyond its storage of 4 elements/],
    ['a zero-stride view claiming 10^9 elements', () => archive(stateDict('w', (p) => p.tensor('FloatStorage', '0', 1, 0, [1_000_000_000], [0])), { 0: f32([1]) }), /reaches beyond its storage of 1 elements/],
    ['a memo read before it is written', () => archive(new PickleBuilder().proto().op('h').raw(9).op('.').build()), /memo entry 9 is read before it is written/],
  ];
  for (const [name, bytes, message] of corrupt) {
    it(`reports ${name} as corrupt`, () => {
      const before = process.memoryUsage().arrayBuffers;
      const load = () => readTorchBin(bytes(), 'pytorch_model.bin');
      expect(load).toThrow(CorruptWeightsError);
      expect(load).toThrow(message);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50_000_000);
    });
  }
});

/** A storage of the legacy layout: int64 little-endian element count, then the raw bytes. */
function legacyStorage(count: bigint, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.byteLength);
  new DataView(out.buffer).setBigInt64(0, count, true);
  out.set(data, 8);
  return out;
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  parts.reduce((at, p) => {
    out.set(p, at);
    return at + p.byteLength;
  }, 0);
  return out;
};

/** The pickles torch's `_legacy_save` writes before the state dict: magic number, protocol 1001, sys_info. */
function legacyPreamble({ magic = 0x1950a86a20f9469cfc6cn, protocol = 1001, littleEndian = true } = {}): Uint8Array {
  const sysInfo = new PickleBuilder().proto().op('}').op('(')
    .unicode('protocol_version').int(protocol).unicode('little_endian').raw(littleEndian ? 0x88 : 0x89)
    .unicode('type_sizes').op('}').op('(').unicode('short').int(2).unicode('int').int(4).unicode('long').int(8).op('u')
    .op('u').op('.');
  return concat(new PickleBuilder().proto().long(magic).op('.').build(), new PickleBuilder().proto().int(protocol).op('.').build(), sysInfo.build());
}

/** A legacy-layout file: preamble, the state-dict pickle, the list of storage keys, then the storages. */
function legacyFile(pickle: Uint8Array, storages: [string, Uint8Array][], preamble = legacyPreamble()): Uint8Array {
  const keys = new PickleBuilder().proto().op(']').op('(');
  for (const [key] of storages) keys.unicode(key);
  return concat(preamble, pickle, keys.op('e').op('.').build(), ...storages.map(([, data]) => data));
}

describe('readTorchBin on hand-assembled legacy (torch < 1.6) files', () => {
  it('reads a tensor on a storage view, as torch < 1.6 wrote for storage slices', () => {
    // Root storage of 10 elements; the view sees elements 4..7; the tensor starts 1 into the view.
    const pickle = stateDict('w', (p) => p.tensor('FloatStorage', '0', 10, 1, [2], [1], ['5', 4, 4]));
    const bytes = legacyFile(pickle, [['0', legacyStorage(10n, f32(pattern(10)))]]);
    expect([...readTorchBin(bytes, 'old.bin').get('w')!.toFloat32()]).toEqual(pattern(10).slice(5, 7));
  });

  const good = stateDict('w', (p) => p.tensor('FloatStorage', '0', 2, 0, [2], [1], null));
  const goodStorage: [string, Uint8Array] = ['0', legacyStorage(2n, f32([1, 2]))];
  it('reads the minimal valid file the cases below break', () => {
    expect([...readTorchBin(legacyFile(good, [goodStorage]), 'ok.bin').get('w')!.toFloat32()]).toEqual([1, 2]);
  });

  const hostile: [string, () => Uint8Array, RegExp][] = [
    ['os.system in the state-dict pickle', () => legacyFile(stateDict('w', (p) => p.global('os', 'system').unicode('id').raw(0x85).op('R')), []), /references os\.system/],
    ['builtins.exec instead of the magic number', () => concat(new PickleBuilder().proto().global('builtins', 'exec').unicode('x=1').raw(0x85).op('R').op('.').build(), good), /references builtins\.exec/],
    ["a 'module' persistent id (a pickled nn.Module class)", () => legacyFile(new PickleBuilder().proto().op('(').unicode('module').global('torch.nn', 'Linear').op('N').op('N').op('t').op('Q').op('.').build(), []), /references torch\.nn\.Linear/],
    ['a zip-layout (5-element) persistent id', () => legacyFile(stateDict('w', (p) => p.tensor('FloatStorage', '0', 2, 0, [2], [1])), [goodStorage]), /persistent id that is not a torch storage/],
  ];
  for (const [name, bytes, message] of hostile) {
    it(`refuses ${name}`, () => {
      const load = () => readTorchBin(bytes(), 'pytorch_model.bin', 'someone/old');
      expect(load).toThrow(UnsafePickleError);
      expect(load).toThrow(message);
      expect(load).toThrow(/^Refused to load "pytorch_model.bin" of "someone\/old": its pickle .*convert the checkpoint to safetensors\.$/);
    });
  }

  const huge = 2n ** 40n;
  const corrupt: [string, () => Uint8Array, RegExp][] = [
    ['a storage declaring 2^40 elements', () => legacyFile(stateDict('w', (p) => p.tensor('FloatStorage', '0', huge, 0, [2], [1], null)), [['0', legacyStorage(huge, f32([1, 2]))]]),
      /storage "0" needs 4398046511104 bytes at byte \d+, but the file ends after 8 more \(truncated download\?\)/],
    ['a storage declaring 2^60 elements (beyond 2^53)', () => legacyFile(stateDict('w', (p) => p.tensor('FloatStorage', '0', 2n ** 60n, 0, [2], [1], null)), [goodStorage]),
      /a storage reference has key "0" and size 1152921504606846976/],
    ['a file truncated inside a storage', () => legacyFile(good, [goodStorage]).slice(0, -3), /storage "0" needs 8 bytes at byte \d+, but the file ends after 5 more/],
    ['a file that stops after the state dict', () => concat(legacyPreamble(), good), /the legacy torch.save stream ends at byte \d+, before its storages/],
    ['a storage whose data count differs from its declaration', () => legacyFile(good, [['0', legacyStorage(3n, f32([1, 2, 3]))]]), /storage "0" is declared with 2 elements but its data says 3/],
    ['a list of storage keys that holds a number', () => concat(legacyPreamble(), good, new PickleBuilder().proto().op(']').op('(').int(0).op('e').op('.').build(), goodStorage[1]), /its list of storage keys is not a list of strings/],
    ['a storage listed but never referenced', () => legacyFile(good, [goodStorage, ['9', legacyStorage(1n, f32([1]))]]), /lists storage "9", which no tensor refers to/],
    ['a tensor whose storage is not listed', () => legacyFile(good, []), /tensor "w" refers to storage "0", which the file does not list/],
    ['one storage declared with two sizes', () => legacyFile(stateDict('w', (p) => p.tensor('FloatStorage', '0', 2, 0, [2], [1], null).unicode('v').tensor('FloatStorage', '0', 3, 0, [2], [1], null)), [goodStorage]),
      /storage "0" is declared both as 2 F32 and as 3 F32 elements/],
    ['a view that does not fit in its storage', () => legacyFile(stateDict('w', (p) => p.tensor('FloatStorage', '0', 2, 0, [1], [1], ['1', 1, 5])), [goodStorage]), /storage "0" of 2 elements has a view \["1",1,5\] that does not fit in it/],
    ['a tensor reaching past its view', () => legacyFile(stateDict('w', (p) => p.tensor('FloatStorage', '0', 10, 2, [3], [1], ['1', 0, 4])), [['0', legacyStorage(10n, f32(pattern(10)))]]), /reaches beyond its storage of 4 elements/],
    ['another magic number', () => legacyFile(good, [goodStorage], legacyPreamble({ magic: 12345n })), /starts with a pickle of 12345, not torch's magic number/],
    ['another protocol version', () => legacyFile(good, [goodStorage], legacyPreamble({ protocol: 1000 })), /legacy protocol version is 1000, expected 1001/],
    ['a big-endian file', () => legacyFile(good, [goodStorage], legacyPreamble({ littleEndian: false })), /written on a big-endian machine/],
    // The pointer text of Ayush1702/ESG-Question-Answering roberta-base/config.json (46b13c61), a clone without git lfs.
    ['a Git LFS pointer in place of the file', () => new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:e859512534bbc178758770a261e0b2f8002c4edd370bd96e20890ec8a2b27202\nsize 653\n'),
      /it is a Git LFS pointer \(128 bytes of text\), not the weights: fetch the file itself \(git lfs pull\)/],
    ['a tar archive of torch < 0.4', () => { const tar = new Uint8Array(1024); tar.set(new TextEncoder().encode('ustar'), 257); return tar; }, /tar archive, the format of torch before 0\.4/],
  ];
  it('reports every cut inside the pickles as a file that ends inside an opcode', () => {
    const whole = legacyFile(good, [goodStorage]);
    const picklesEnd = whole.byteLength - goodStorage[1].byteLength;
    for (let cut = 1; cut < picklesEnd; cut++) {
      const load = () => readTorchBin(whole.subarray(0, cut), 'pytorch_model.bin');
      expect(load, `cut at ${cut}`).toThrow(CorruptWeightsError);
      expect(load, `cut at ${cut}`).toThrow(/the pickle ends inside an opcode at byte \d+|the legacy torch.save stream ends at byte \d+/);
    }
  });

  for (const [name, bytes, message] of corrupt) {
    it(`reports ${name} as corrupt, allocating nothing large`, () => {
      const before = process.memoryUsage().arrayBuffers;
      const load = () => readTorchBin(bytes(), 'pytorch_model.bin', 'someone/old');
      expect(load).toThrow(CorruptWeightsError);
      expect(load).toThrow(message);
      expect(load).toThrow(/^Weights file "pytorch_model.bin" of "someone\/old" is not a readable PyTorch checkpoint: .*Re-save it with torch.save or convert it to safetensors\.$/);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50_000_000);
    });
  }
});
