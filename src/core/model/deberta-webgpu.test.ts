/**
 * DeBERTa v1 on tfjs-backend-webgpu in Node (Dawn on SwiftShader, as encoder-webgpu.test.ts): adapter-studio/tiny-deberta
 * over HTTP against the float64 oracle (1e-4) and the cpu backend (1e-3), and a LoRA-on-in_proj + prefix adapter's
 * gradient step (the position terms' backward included) against cpu's. Skipped only without that driver.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineHub } from '../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { createAdapter } from '../adapters/adapter.ts';
import { nodeWebGpu } from '../backend/node-webgpu.ts';
import { randomState } from '../adapters/test-support.ts';
import { loadEncoder } from './load-encoder.ts';
import { debertaReferenceForward } from './testing/deberta-forward.reference.ts';
import { maxAbsDiff } from './test-support.ts';
import { readTorchBin } from './torch-bin-reader.ts';

const node = await nodeWebGpu();
const root = process.env.ADAPTER_STUDIO_FIXTURES!;
const ID = 'adapter-studio/tiny-deberta';
let server: RunningHubServer;

beforeAll(async () => {
  if (!('gpu' in node)) return;
  await import('@tensorflow/tfjs-backend-webgpu');
  server = await startHubServer({ root, port: 0 });
}, 120_000);
afterAll(async () => server?.close());

/** The last hidden state and the adapter's gradients on `backend`. */
async function run(backend: 'webgpu' | 'cpu') {
  expect(await tf.setBackend(backend)).toBe(true);
  const encoder = await loadEncoder(offlineHub(server.url), ID, { backend });
  const batch = encoder.tokenizer.encode(['the film was superb and the cast was excellent', 'dull'], ['it was boring', 'love it']);
  const out = encoder.forward(batch);
  const last = await out.lastHiddenState.data();
  tf.dispose(out as unknown as tf.TensorContainer);
  const adapter = createAdapter(encoder.config, "lora[r=2, attn_matrices=['q', 'v']]|prefix_tuning[prefix_length=2, bottleneck_size=8]", { name: 'task', head: { numLabels: 2 } });
  adapter.loadAdapterStateDict(randomState(adapter, 4, 0.3));
  const variables = adapter.trainableVariables();
  const { value, grads } = tf.variableGrads(() => adapter.loss(encoder.weights, batch, [1, 0]), variables);
  const gradients = await Promise.all(variables.map(async (v) => Float32Array.from(await grads[v.name].data())));
  const loss = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads)]);
  adapter.dispose();
  encoder.dispose();
  return { batch, last, loss, gradients };
}

describe.skipIf(!('gpu' in node))('tiny-deberta on WebGPU', () => {
  it('matches the float64 oracle within 1e-4 and cpu within 1e-3, forward and an adapter\'s gradients', async () => {
    const gpu = await run('webgpu');
    const cpu = await run('cpu');
    const file = (path: string) => readFileSync(join(root, 'models', ...ID.split('/'), 'files', path));
    const checkpoint = readTorchBin(file('pytorch_model.bin'), 'pytorch_model.bin');
    const want = debertaReferenceForward(JSON.parse(file('config.json').toString()), (n) => checkpoint.get(n)?.toFloat32(), 'deberta.', gpu.batch);
    expect(maxAbsDiff(gpu.last, want.lastHiddenState)).toBeLessThan(1e-4);
    expect(maxAbsDiff(gpu.last, cpu.last)).toBeLessThan(1e-3);
    expect(Math.abs(gpu.loss - cpu.loss)).toBeLessThan(1e-3);
    const scale = Math.max(...cpu.gradients.map((g) => Math.max(...g.map(Math.abs))));
    gpu.gradients.forEach((g, i) => expect(maxAbsDiff(g, cpu.gradients[i]) / scale).toBeLessThan(1e-3));
  }, 240_000);
});
