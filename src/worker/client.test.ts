import { afterEach, describe, expect, it } from 'vitest';
import { WorkerError, type WorkerClient } from './client.ts';
import { type TestChannel, connectHandler } from './test-channel.ts';

// The page's client and the worker's handler, joined by a real MessageChannel (structured clone both ways).
const channels: TestChannel[] = [];

function connect(): WorkerClient {
  const channel = connectHandler();
  channels.push(channel);
  return channel.client;
}

afterEach(() => {
  for (const channel of channels.splice(0)) channel.close();
});

describe('worker protocol', () => {
  it('answers init with ready and the backend, and logs it', async () => {
    const client = connect();
    const logs: string[] = [];
    client.on('log', (event) => logs.push(event.message));
    const ready = await client.send({ type: 'init', backend: 'cpu' });
    expect(ready.type).toBe('ready');
    expect(ready.backend).toEqual({ name: 'cpu' });
    expect(logs).toContain('Compute backend: cpu');
  });

  it('runs the self-test on the active backend and returns its report', async () => {
    const client = connect();
    await client.send({ type: 'init', backend: 'cpu' });
    const { report } = await client.send({ type: 'selfTest' });
    expect(report.backend).toBe('cpu');
    expect(report.checks.map((c) => c.name)).toEqual([
      'linear 7×37×19 forward', 'linear 7×37×19 dx', 'linear 7×37×19 dW', 'linear 7×37×19 db',
      'linear 1×33×64×48 forward', 'linear 1×33×64×48 dx', 'linear 1×33×64×48 dW', 'linear 1×33×64×48 db',
      'matMul 64×48×40',
      ...['forward', 'dx', 'dW_down', 'db_down', 'dW_up', 'db_up', 'dScale'].map((part) => `bottleneck gelu 2×5×37 d3 ${part}`),
      ...['forward', 'dx', 'dA', 'dB'].map((part) => `lora 2×5×33→21 r4 ${part}`),
      ...['forward', 'dy', 'dv'].map((part) => `ia3 2×5×37 per sequence ${part}`),
    ]);
    expect(report.checks.filter((c) => c.path !== 'tfjs').every((c) => c.path === 'composed')).toBe(true);
    expect(report.passed).toBe(true);
  });

  it('rejects a command sent before init with the worker\'s error', async () => {
    const client = connect();
    const failure = client.send({ type: 'selfTest' });
    await expect(failure).rejects.toBeInstanceOf(WorkerError);
    await expect(failure).rejects.toMatchObject({ code: 'NotInitialised', message: expect.stringMatching(/send "init" before "selfTest"/) });
  });

  it('refuses debug commands unless init asked for debug', async () => {
    const client = connect();
    await client.send({ type: 'init', backend: 'cpu' });
    await expect(client.send({ type: 'debugLoseDevice' })).rejects.toMatchObject({ code: 'DebugDisabled' });
    await client.send({ type: 'init', backend: 'cpu', debug: true });
    await expect(client.send({ type: 'debugLoseDevice' })).rejects.toMatchObject({
      code: 'BackendError', message: 'There is no WebGPU device to lose: the active backend is cpu.',
    });
  });

  it('pairs replies with requests when several are in flight', async () => {
    const client = connect();
    const [ready, test] = await Promise.all([client.send({ type: 'init', backend: 'cpu' }), client.send({ type: 'selfTest' })]);
    expect(ready.type).toBe('ready');
    expect(test.type).toBe('selfTestResult');
  });
});
