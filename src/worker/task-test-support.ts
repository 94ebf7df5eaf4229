/**
 * What each task's worker test sets up: the offline Hub on the fixtures, the model loaded again for reference (its
 * config and an independent forward), and a handler over a real channel with that model loaded, all on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll } from 'vitest';
import { type LoadedEncoder, loadEncoder } from '../core/model/load-encoder.ts';
import { type HubEndpoint, offlineHub } from '../hub/endpoint.ts';
import { type RunningHubServer, startHubServer } from '../hub-server/index.ts';
import { type TestChannel, connectHandler } from './test-channel.ts';

export interface OfflineModel {
  hub: HubEndpoint;
  reference: LoadedEncoder;
}

/** Starts the offline Hub and loads `model` before the file's tests; frees both after them. Read it inside tests. */
export function offlineModel(model: string): OfflineModel {
  let server: RunningHubServer | undefined;
  const loaded = {} as OfflineModel;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    server = await startHubServer({ root: process.env.ADAPTER_STUDIO_FIXTURES!, port: 0 });
    loaded.hub = offlineHub(server.url);
    loaded.reference = await loadEncoder(loaded.hub, model, { backend: 'wasm' });
  });
  afterAll(async () => {
    loaded.reference?.dispose();
    await server?.close();
  });
  return loaded;
}

/** A handler on a real channel with the wasm backend started and `model` loaded from the offline Hub. */
export async function handlerWithModel({ hub }: OfflineModel, model: string): Promise<TestChannel> {
  const channel = connectHandler();
  await channel.client.send({ type: 'init', backend: 'wasm', debug: false });
  await channel.client.send({ type: 'loadModel', repoId: model, endpoint: hub });
  return channel;
}
