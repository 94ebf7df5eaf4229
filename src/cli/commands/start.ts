import { defaultFixturesDir, ensureFixtures } from '../../fixtures/index.ts';
import { startStudioServer } from '../../server/studio-server.ts';
import { buildAppIfStale, distDir } from '../../server/app-build.ts';
import { type Command, intFlag, report, untilSignal } from '../cli-io.ts';
import { faultOptions, faultUsage, faultsFromFlags } from './hub.ts';

export const startCommand: Command = {
  name: 'start',
  summary: 'serve the studio and, under /hub, the offline demo Hub',
  usage: [
    'Usage: adapter-studio start [--port 5173] [--host 127.0.0.1] [--root DIR] [--no-build] [fault flags] [--json]',
    '',
    '  --port N      port to listen on (0 picks a free one; default 5173)',
    '  --host H      address to bind (default 127.0.0.1)',
    '  --root DIR    repositories for the offline Hub (default: the generated demo fixtures)',
    '  --no-build    serve dist/ as it is, without rebuilding the app when sources changed',
    ...faultUsage,
  ].join('\n'),
  options: { port: { type: 'string' }, host: { type: 'string' }, root: { type: 'string' }, 'no-build': { type: 'boolean' }, ...faultOptions },
  async run(values, ctx) {
    const log = ctx.json ? () => {} : ctx.err;
    if (!values['no-build']) await buildAppIfStale(log);
    const root = (values.root as string | undefined) ?? (await ensureFixtures(defaultFixturesDir(), { log })).root;
    const server = await startStudioServer({
      port: intFlag(values, 'port', 5173, 0, 65535),
      host: values.host as string | undefined,
      distDir: distDir(),
      hubRoot: root,
      faults: faultsFromFlags(values),
    });
    report(ctx, { url: server.url, hubUrl: server.hubUrl }, [
      `Adapter Studio: ${server.url}`,
      `Offline demo Hub: ${server.hubUrl}`,
      'Open the studio in Chrome or Edge (WebGPU). Ctrl-C stops it.',
    ]);
    await untilSignal();
    await server.close();
    return 0;
  },
};
