/**
 * A Hub outage during evaluation, on the real wire: tiny-bert + seq_bn trained on tiny-sentiment from the offline Hub,
 * whose fault injection answers every read of the validation parquet file with HTTP 503 once training has begun. The
 * run keeps its weights in a checkpoint, retries, pauses with the reason, and finishes once the Hub is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter } from '../adapters/adapter.ts';
import { initBackend } from '../backend/init-backend.ts';
import { inspectDataset } from '../data/dataset-report.ts';
import { openHubDataset } from '../data/hub-dataset.ts';
import { type LoadedEncoder, loadEncoder } from '../model/load-encoder.ts';
import { type HubEndpoint, offlineHub } from '../../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../../hub-server/index.ts';
import { adapterTrainable } from './adapter-trainable.ts';
import { MemoryCheckpointStore } from './checkpoint.ts';
import { TrainingControl } from './control.ts';
import { headOptionsOf, trainingDataOf } from './dataset-run.ts';
import type { TrainEvent } from './events.ts';
import { train } from './trainer.ts';

let server: RunningHubServer;
let hub: HubEndpoint;
let encoder: LoadedEncoder;
const setFaults = (faults: object) => fetch(`${server.url}/__faults`, { method: 'POST', body: JSON.stringify(faults) });

beforeAll(async () => {
  await initBackend('wasm');
  server = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0 });
  hub = offlineHub(server.url);
  encoder = await loadEncoder(hub, 'adapter-studio/tiny-bert', { backend: 'wasm' });
});
afterAll(async () => {
  encoder?.dispose();
  await server?.close();
});

describe('a Hub outage during evaluation', () => {
  it('checkpoints, retries, pauses with the reason, and finishes the run when resumed after the Hub is back', async () => {
    // No retries inside the Hub client or the example stream: the trainer's own policy is what is tested.
    const handle = await openHubDataset(hub, 'adapter-studio/tiny-sentiment', { fetch: { retry: { retries: 0, baseDelayMs: 0, maxDelayMs: 0 } } });
    const report = await inspectDataset(handle, { caps: { train: 32, validation: 40 } });
    const data = await trainingDataOf(handle, report, encoder.tokenizer, { batchSize: 16, maxLength: 32, seed: 42 }, { stream: { resume: { attempts: 0, backoffMs: 0 } } });
    const adapter = createAdapter(encoder.config, 'seq_bn', { name: 'outage', seed: 42, head: headOptionsOf(report.mapping) });
    await setFaults({ pathPattern: 'validation', failStatus: 503 });
    const control = new TrainingControl();
    const store = new MemoryCheckpointStore();
    const events: TrainEvent[] = [];
    try {
      const result = await train(adapterTrainable(adapter, encoder.weights), data, { learningRate: 1e-3, epochs: 1, evalRetry: { attempts: 1, backoffMs: 20 } }, {
        control, store, onEvent: (e) => {
          events.push(e);
          if (e.kind === 'state' && e.state === 'paused') {
            void (async () => {
              // Held while the Hub is down; the checkpoint holds the trained weights.
              const saved = await store.load('latest');
              expect(saved!.state.step).toBe(2);
              await setFaults({});
              control.resume();
            })();
          }
        },
      });
      expect(result).toMatchObject({ stopReason: 'completed', steps: 2 });
      expect(result.history.map((h) => [h.step, h.metrics.examples])).toEqual([[2, 40]]);
      const warn = events.find((e) => e.kind === 'log' && e.level === 'warn');
      expect(warn).toMatchObject({ message: expect.stringMatching(/^The evaluation at step 2 could not read the validation data: .*503.* trying again in 0 s \(1 of 1\)\.$/s) });
      expect(events.find((e) => e.kind === 'state' && e.state === 'paused')).toMatchObject({ reason: expect.stringContaining('after 2 tries') });
      expect(events.filter((e) => e.kind === 'checkpoint')).toEqual([{ kind: 'checkpoint', step: 2, reason: 'pause' }, { kind: 'checkpoint', step: 2, reason: 'epoch' }]);
    } finally {
      await setFaults({});
      adapter.dispose();
    }
  });
});
