import { readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { CorruptWeightsError, UnsafePickleError } from './errors.ts';
import { readTorchBin } from './torch-bin-reader.ts';

/** The value formula of testdata/make-torch-bins.py: v(i) = ((i * 7) % 11 - 5) / 8. */
const v = (i: number) => ((i * 7) % 11 - 5) / 8;
const pattern = (n: number) => Array.from({ length: n }, (_, i) => v(i));
const testFile = (name: string) => new Uint8Array(readFileSync(new URL(`./testdata/${name}`, import.meta.url)));

describe('readTorchBin on files written by torch.save (torch 1.13, testdata/make-torch-bins.py)', () => {
  it('reads a module state_dict with its _metadata attribute', () => {
    const tensors = readTorchBin(testFile('state-dict.bin'), 'state-dict.bin');
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
    const tensors = readTorchBin(testFile('views.bin'), 'views.bin');
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

  /** `_rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())`. */
  tensor(storageClass: string, key: string, numel: number, offset: number, size: number[], stride: number[]): this {
    this.global('torch._utils', '_rebuild_tensor_v2').op('(');
    this.op('(').unicode('storage').global('torch', storageClass).unicode(key).unicode('cpu').int(numel).op('t').op('Q');
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
    ['bytes that are not a zip', () => new TextEncoder().encode('definitely not a zip archive'), /not a zip archive/],
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
