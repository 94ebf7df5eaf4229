// Figure 1: fused WGSL vs composed tfjs kernels (src/core/kernels/bench.ts) on WebGPU in Node via Dawn, at the demo
// size and a bert-base layer, with few samples (a bert-base layer takes seconds per run on SwiftShader).
//   node --import ./scripts/bench/register.mjs scripts/bench/kernels.ts [--demo-samples N] [--bert-samples N]
import { parseArgs } from 'node:util';
import { initBackend } from '../../src/core/backend/init-backend.ts';
import { nodeWebGpu } from '../../src/core/backend/node-webgpu.ts';
import { BENCH_SHAPES, benchKernels } from '../../src/core/kernels/bench.ts';
import { emit, progress } from './figure-io.ts';

const { values } = parseArgs({ options: { 'demo-samples': { type: 'string', default: '3' }, 'bert-samples': { type: 'string', default: '1' } } });
const log = (line: string) => progress('kernels', line);
const node = await nodeWebGpu();
if ('unavailable' in node) throw new Error(`No WebGPU in Node: ${node.unavailable}`);
const info = await initBackend('webgpu', { gpu: node.gpu });
const [demo, bert] = BENCH_SHAPES;
const demoReport = await benchKernels({ shapes: [demo], samples: Number(values['demo-samples']), log });
const bertReport = await benchKernels({ shapes: [bert], samples: Number(values['bert-samples']), log });
emit({ adapter: info.adapter, reports: [demoReport, bertReport] });
