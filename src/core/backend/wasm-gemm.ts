/**
 * tfjs-backend-wasm's BatchMatMul through our own SIMD GEMM (gemm.c, built into gemm-binaries.ts).
 *
 * Why: tfjs-backend-wasm 4.22 hands a product to XNNPACK only when neither operand is transposed and both batch
 * sizes are 1, and then caches a packed copy of `b` per tensor (at bert-base ~0.7 GB for the frozen weights);
 * every other product (x · Wᵀ, attention's batched q · kᵀ and p · v, most of backward) runs a scalar loop at
 * ~2 GFLOP/s. gemm.c reads either layout through strides, batches inside one call and packs only an 8 KB panel at
 * a time, so no weight needs a second copy. It runs in tfjs' wasm memory (imported) on the tensors where they lie.
 */
import * as tf from '@tensorflow/tfjs';
import { GEMM_BINARIES, type GemmBuild } from './gemm-binaries.ts';

/** What the kernel reaches of tfjs-backend-wasm's BackendWasm (dist/backend_wasm.d.ts) and its emscripten module. */
interface WasmBackendInternals {
  wasm: {
    _malloc(bytes: number): number;
    /** The module's memory: exported by the single-threaded builds, created by the threaded build's loader. */
    asm?: { memory?: WebAssembly.Memory };
    wasmMemory?: WebAssembly.Memory;
  };
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

type GemmFunction = (
  a: number, b: number, c: number, batch: number, m: number, n: number, k: number,
  sam: number, sak: number, sbk: number, sbn: number, batchA: number, batchB: number, panel: number,
) => void;

interface Gemm {
  run: GemmFunction;
  /** 16-byte-aligned scratch for one KC × NR panel of B (gemm.c). */
  panel: number;
  build: GemmBuild;
}

/** gemm.c's KC × NR floats, plus room to align. */
const PANEL_BYTES = 256 * 8 * 4 + 16;

const gemms = new WeakMap<object, Gemm>();
let tfjsBatchMatMul: tf.KernelFunc | undefined;

/** The build this engine can run on `memory`: relaxed SIMD where it validates, shared where tfjs' memory is. */
export function gemmBuildFor(memory: WebAssembly.Memory): GemmBuild | undefined {
  const kind = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer ? 'shared' : 'unshared';
  for (const simd of ['relaxed', 'plain'] as const) {
    const build: GemmBuild = `${simd}-${kind}`;
    if (WebAssembly.validate(gemmBytes(build))) return build;
  }
  return undefined;
}

/** A build's wasm bytes. */
export function gemmBytes(build: GemmBuild): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(GEMM_BINARIES[build]), (c) => c.charCodeAt(0));
}

/** Instantiates a GEMM build on a memory (also what wasm-gemm.test.ts checks each build with). */
export async function instantiateGemm(build: GemmBuild, memory: WebAssembly.Memory): Promise<GemmFunction> {
  const { instance } = await WebAssembly.instantiate(gemmBytes(build), { env: { memory } });
  return instance.exports.gemm as GemmFunction;
}

/**
 * Routes the active wasm backend's BatchMatMul through gemm.c; call after `tf.setBackend('wasm')`. Returns the
 * build in use, or undefined where none can run (no wasm SIMD): tfjs' own kernel then stays in charge.
 */
export async function enableWasmGemm(): Promise<GemmBuild | undefined> {
  const backend = tf.backend() as unknown as WasmBackendInternals;
  const existing = gemms.get(backend);
  if (existing) return existing.build;
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
  if (!memory) return undefined;
  const build = gemmBuildFor(memory);
  if (!build) return undefined;
  const run = await instantiateGemm(build, memory);
  const panel = (backend.wasm._malloc(PANEL_BYTES) + 15) & ~15;
  gemms.set(backend, { run, panel, build });
  registerKernel();
  return build;
}

function registerKernel(): void {
  if (tfjsBatchMatMul) return;
  const original = tf.getKernel(tf.BatchMatMul, 'wasm');
  if (!original) throw new Error('tfjs-backend-wasm registered no BatchMatMul kernel');
  tfjsBatchMatMul = original.kernelFunc;
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel({ kernelName: tf.BatchMatMul, backendName: 'wasm', kernelFunc: batchMatMul, setupFunc: original.setupFunc });
}

const sizeOf = (shape: number[]) => shape.reduce((product, d) => product * d, 1);

/** Maps an index into the broadcast batch `outer` to the index of the matrix it reads in `dims` (numpy's rules). */
function broadcastIndex(dims: number[], outer: number[]): (p: number) => number {
  const lead = outer.length - dims.length;
  return (p) => {
    let index = 0;
    let stride = 1;
    for (let d = outer.length - 1; d >= 0; d--) {
      const coordinate = p % outer[d];
      p = Math.floor(p / outer[d]);
      if (d < lead) continue;
      const size = dims[d - lead];
      if (size !== 1) index += coordinate * stride;
      stride *= size;
    }
    return index;
  };
}

function batchMatMul(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const backend = args.backend as unknown as WasmBackendInternals;
  const gemm = gemms.get(backend);
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  const delegate = () => (tfjsBatchMatMul as tf.KernelFunc)(args) as tf.TensorInfo;
  if (!gemm || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return delegate();
  const [a1, a2] = a.shape.slice(-2);
  const [b1, b2] = b.shape.slice(-2);
  const [m, k] = transposeA ? [a2, a1] : [a1, a2];
  const [kB, n] = transposeB ? [b2, b1] : [b1, b2];
  // tfjs' kernel words the error for mismatched inner sizes and shapes that do not broadcast.
  if (k !== kB) return delegate();
  let outer: number[];
  try {
    outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    return delegate();
  }
  const out = backend.makeOutput([...outer, m, n], 'float32');
  const batch = sizeOf(outer);
  if (batch * m * n === 0) return out;
  const offset = (t: tf.TensorInfo) => (backend.dataIdMap.get(t.dataId) as { memoryOffset: number }).memoryOffset;
  const [sam, sak] = transposeA ? [1, m] : [k, 1];
  const [sbk, sbn] = transposeB ? [1, k] : [n, 1];
  const [aAt, bAt, cAt] = [offset(a), offset(b), offset(out)];
  const batchesA = sizeOf(a.shape.slice(0, -2));
  const batchesB = sizeOf(b.shape.slice(0, -2));
  // Equal sizes mean the batch indices coincide, and a single matrix is reused: one call. Other broadcasts
  // ([2, 1] against [1, 3]) go matrix by matrix.
  if ((batchesA === batch || batchesA === 1) && (batchesB === batch || batchesB === 1)) {
    gemm.run(aAt, bAt, cAt, batch, m, n, k, sam, sak, sbk, sbn, batchesA === 1 ? 0 : m * k, batchesB === 1 ? 0 : k * n, gemm.panel);
    return out;
  }
  const indexA = broadcastIndex(a.shape.slice(0, -2), outer);
  const indexB = broadcastIndex(b.shape.slice(0, -2), outer);
  for (let p = 0; p < batch; p++) {
    gemm.run(aAt + 4 * indexA(p) * m * k, bAt + 4 * indexB(p) * k * n, cAt + 4 * p * m * n, 1, m, n, k, sam, sak, sbk, sbn, 0, 0, gemm.panel);
  }
  return out;
}
