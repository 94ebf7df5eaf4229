import { startHubServer, type HubFaults } from '../../hub-server/index.ts';
import { defaultFixturesDir, ensureFixtures } from '../../fixtures/index.ts';
import { type Command, UsageError, intFlag, report, untilSignal } from '../cli-io.ts';

/** Fault-injection flags shared by `hub` and `start`. */
export const faultOptions = {
  latency: { type: 'string' },
  'fail-every': { type: 'string' },
  'fail-status': { type: 'string' },
  'retry-after': { type: 'string' },
  'cut-after': { type: 'string' },
} as const;

export const faultUsage = [
  '  --latency MS       add MS of latency to every response',
  '  --fail-every N     fail every Nth request (with --fail-status, default 500)',
  '  --fail-status S    500, 503 or 429 (429 carries Retry-After: --retry-after seconds, default 1)',
  '  --cut-after BYTES  drop the connection after BYTES of each response body',
];

export function faultsFromFlags(values: Record<string, unknown>): HubFaults | undefined {
  const faults: HubFaults = {};
  if (values.latency !== undefined) faults.latencyMs = intFlag(values, 'latency', 0);
  if (values['fail-every'] !== undefined) faults.failEveryN = intFlag(values, 'fail-every', 0, 1);
  if (values['fail-status'] !== undefined) {
    const status = intFlag(values, 'fail-status', 500);
    if (status !== 500 && status !== 503 && status !== 429) throw new UsageError('--fail-status must be 500, 503 or 429');
    faults.failStatus = status;
  }
  if (values['retry-after'] !== undefined) faults.retryAfterSeconds = intFlag(values, 'retry-after', 1);
  if (values['cut-after'] !== undefined) faults.cutAfterBytes = intFlag(values, 'cut-after', 0);
  return Object.keys(faults).length ? faults : undefined;
}

/** `--allow-origin` values: each an origin (scheme, host, port), as browsers send it in the Origin header. */
function originFlags(values: string[] | undefined): string[] {
  return (values ?? []).map((value) => {
    let origin: string | undefined;
    try {
      origin = new URL(value).origin;
    } catch {
      origin = undefined;
    }
    if (!origin || origin === 'null' || origin !== value.replace(/\/+$/, '')) throw new UsageError(`--allow-origin must be an origin such as http://127.0.0.1:5173 (no path), got "${value}"`);
    return origin;
  });
}

export const hubCommand: Command = {
  name: 'hub',
  summary: 'serve an offline, Hub-compatible server with the demo models and datasets',
  usage: [
    'Usage: adapter-studio hub [--port 8080] [--host 127.0.0.1] [--root DIR] [--allow-origin ORIGIN] [fault flags] [--json]',
    '',
    '  --port N      port to listen on (0 picks a free one; default 8080)',
    '  --host H      address to bind (default 127.0.0.1)',
    '  --root DIR    repositories to serve (default: the generated demo fixtures)',
    '  --allow-origin ORIGIN  a page origin (e.g. http://127.0.0.1:5173, a studio served elsewhere) that may push and set',
    '                faults; repeatable. Programs (no Origin header) always may; other pages get 403.',
    ...faultUsage,
  ].join('\n'),
  options: { port: { type: 'string' }, host: { type: 'string' }, root: { type: 'string' }, 'allow-origin': { type: 'string', multiple: true }, ...faultOptions },
  async run(values, ctx) {
    const writeOrigins = originFlags(values['allow-origin'] as string[] | undefined);
    const root = (values.root as string | undefined) ?? (await ensureFixtures(defaultFixturesDir())).root;
    const server = await startHubServer({
      root,
      port: intFlag(values, 'port', 8080, 0, 65535),
      host: values.host as string | undefined,
      faults: faultsFromFlags(values),
      writeOrigins,
    });
    report(ctx, { url: server.url, root }, [`Offline Hub serving ${root} at ${server.url} (Ctrl-C stops it)`]);
    await untilSignal();
    await server.close();
    return 0;
  },
};
