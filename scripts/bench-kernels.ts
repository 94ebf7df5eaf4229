// Fused WGSL kernels vs their composed tfjs twins, forward + backward, on WebGPU in Node (Dawn from the `webgpu`
// package; on a machine without a GPU that is SwiftShader, a CPU: expect odd ratios). Prints one JSON report
// (src/core/kernels/bench.ts: KernelBenchReport plus the adapter) on stdout, progress on stderr.
//   node --import tsx scripts/bench-kernels.ts [--samples N] [--shape demo|bert]
import { register } from 'node:module';
import { parseArgs } from 'node:util';

// The kernels import their WGSL as `?raw` (Vite's syntax); teach Node that before loading them.
register('../bin/raw-import-hooks.mjs', import.meta.url);
const { nodeWebGpu } = await import('../src/core/backend/node-webgpu.ts');
const { initBackend } = await import('../src/core/backend/init-backend.ts');
const { BENCH_SHAPES, benchKernels } = await import('../src/core/kernels/bench.ts');

const { values } = parseArgs({ options: { samples: { type: 'string', default: '5' }, shape: { type: 'string' } } });
const samples = Number(values.samples);
if (!Number.isInteger(samples) || samples < 1) throw new Error(`--samples must be a positive integer, got "${values.samples}".`);
const shapes = values.shape === undefined ? BENCH_SHAPES
  : BENCH_SHAPES.filter((s) => s.name.startsWith(values.shape === 'bert' ? 'bert' : values.shape!));
if (shapes.length === 0) throw new Error(`--shape must be "demo" or "bert", got "${values.shape}".`);

const node = await nodeWebGpu();
if ('unavailable' in node) {
  console.error(`No WebGPU in Node: ${node.unavailable}`);
  process.exit(1);
}
const info = await initBackend('webgpu', { gpu: node.gpu });
const report = await benchKernels({ shapes, samples, log: (line) => console.error(line) });
console.log(JSON.stringify({ adapter: info.adapter, ...report }, null, 2));
