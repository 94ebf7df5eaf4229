import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { trimSlash } from '../hub/endpoint.ts';
import { INVALID_CREDENTIALS, splitRepoId, takeRevision } from './access.ts';
import { FaultInjector, StatsRecorder, parseFaults } from './faults.ts';
import { HubHttpError } from './http-error.ts';
import { serveParquetApi } from './parquet-api.ts';
import { RepoStore } from './repo-store.ts';
import { serveListing, serveRepoInfo, serveTree } from './repo-api.ts';
import { RequestContext } from './request-context.ts';
import { serveResolve } from './resolve.ts';
import type { HubHandler, HubHandlerOptions, RepoType } from './types.ts';
import { serveCommit, serveCreateRepo, servePreupload, serveWhoami } from './upload.ts';
import { VIEWER_ENDPOINTS, type ViewerEndpoint, serveViewer } from './viewer.ts';
import { checkWriteOrigin } from './write-guard.ts';

/** Words that can follow a repo id in `/api/{type}s/{id}/...`. */
const API_REPO_WORDS = ['revision', 'tree', 'preupload', 'commit', 'parquet'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function methodNotAllowed(ctx: RequestContext, allowed: string): HubHttpError {
  return new HubHttpError(405, `${ctx.method} is not allowed on ${ctx.pathname}; use ${allowed}.`, undefined, { Allow: allowed });
}

function expectMethod(ctx: RequestContext, ...methods: string[]): void {
  const allowed = methods.includes('GET') ? [...methods, 'HEAD'] : methods;
  if (!allowed.includes(ctx.method)) throw methodNotAllowed(ctx, allowed.join(', '));
}

/** The Hub base URL as this client sees it. */
function baseUrlOf(req: IncomingMessage, options: HubHandlerOptions): string {
  if (options.publicBaseUrl) return trimSlash(options.publicBaseUrl);
  const forwardedProto = req.headers['x-forwarded-proto'];
  const proto = typeof forwardedProto === 'string' ? forwardedProto.split(',')[0].trim()
    : (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  const host = req.headers.host ?? `${req.socket.localAddress}:${req.socket.localPort}`;
  return trimSlash(`${proto}://${host}${options.mountPath ?? ''}`);
}

/** Routes `/api/{models|datasets}/{id}/...`. */
async function routeRepoApi(store: RepoStore, ctx: RequestContext, type: RepoType, segments: string[]): Promise<void> {
  const { id, rest } = splitRepoId(segments, API_REPO_WORDS);
  const [word, ...after] = rest;
  if (word === undefined) {
    expectMethod(ctx, 'GET');
    return serveRepoInfo(store, ctx, type, id, 'main');
  }
  switch (word) {
    case 'revision': {
      expectMethod(ctx, 'GET');
      const { rev } = takeRevision(after);
      return serveRepoInfo(store, ctx, type, id, rev);
    }
    case 'tree': {
      expectMethod(ctx, 'GET');
      const { rev, rest: path } = takeRevision(after);
      return serveTree(store, ctx, type, id, rev, path.join('/'));
    }
    case 'preupload':
      expectMethod(ctx, 'POST');
      return servePreupload(store, ctx, type, id, after.join('/') || undefined);
    case 'commit':
      expectMethod(ctx, 'POST');
      return serveCommit(store, ctx, type, id, after.join('/') || undefined);
    case 'parquet':
      if (type !== 'dataset') break;
      expectMethod(ctx, 'GET');
      return serveParquetApi(store, ctx, id, after);
  }
  throw new HubHttpError(404, `No Hub API route for ${ctx.pathname}.`);
}

/** Routes everything below the Hub base except the control endpoints. */
async function route(store: RepoStore, ctx: RequestContext, describe: () => Promise<void>): Promise<void> {
  const s = ctx.segments;
  if (s.length === 1 && s[0] === '') {
    expectMethod(ctx, 'GET');
    return describe();
  }
  if (s[0] === 'api') {
    if (s[1] === 'whoami-v2' && s.length === 2) {
      expectMethod(ctx, 'GET');
      return serveWhoami(ctx);
    }
    if (s[1] === 'repos' && s[2] === 'create' && s.length === 3) {
      expectMethod(ctx, 'POST');
      return serveCreateRepo(store, ctx);
    }
    if (s[1] === 'models' || s[1] === 'datasets') {
      const type: RepoType = s[1] === 'models' ? 'model' : 'dataset';
      if (s.length === 2) {
        expectMethod(ctx, 'GET');
        return serveListing(store, ctx, type);
      }
      return routeRepoApi(store, ctx, type, s.slice(2));
    }
    throw new HubHttpError(404, `No Hub API route for ${ctx.pathname}.`);
  }
  if (s.length === 1 && (VIEWER_ENDPOINTS as readonly string[]).includes(s[0])) {
    expectMethod(ctx, 'GET');
    return serveViewer(store, ctx, s[0] as ViewerEndpoint);
  }
  const type: RepoType = s[0] === 'datasets' ? 'dataset' : 'model';
  const repoSegments = type === 'dataset' ? s.slice(1) : s;
  if (['resolve', 'raw'].includes(repoSegments[1]) || ['resolve', 'raw'].includes(repoSegments[2])) {
    expectMethod(ctx, 'GET');
    return serveResolve(store, ctx, type, repoSegments);
  }
  throw new HubHttpError(404, `Nothing is served at ${ctx.pathname} on the offline Hub; see GET / for the endpoints.`);
}

/** Creates the offline Hub: one function answering any request below the Hub base (see README.md). */
export function createHubHandler(options: HubHandlerOptions): HubHandler {
  const store = new RepoStore(options.root);
  const injector = new FaultInjector(options.faults);
  const stats = new StatsRecorder();

  /** `/__faults` and `/__stats`: test controls, never faulted nor counted. */
  async function serveControl(ctx: RequestContext): Promise<void> {
    const path = ctx.segments.join('/');
    if (path === '__faults') {
      expectMethod(ctx, 'GET', 'POST');
      if (ctx.method === 'POST') injector.faults = parseFaults(await ctx.readJson(64 * 1024));
      return ctx.sendJson(200, injector.faults);
    }
    if (path === '__stats') {
      expectMethod(ctx, 'GET');
      return ctx.sendJson(200, stats.snapshot());
    }
    expectMethod(ctx, 'POST');
    stats.reset();
    return ctx.sendJson(200, stats.snapshot());
  }

  async function describe(ctx: RequestContext): Promise<void> {
    const visible = async (type: RepoType) => {
      const ids: string[] = [];
      for (const id of await store.listIds(type)) {
        const repo = await store.find(type, id);
        if (repo && (!repo.meta.private || ctx.caller === 'user')) ids.push(id);
      }
      return ids;
    };
    await ctx.sendJson(200, {
      name: 'Offline Hugging Face Hub (Adapter Studio)',
      hubUrl: ctx.baseUrl,
      viewerUrl: ctx.baseUrl,
      models: await visible('model'),
      datasets: await visible('dataset'),
      endpoints: [
        'GET|HEAD /{repo}/resolve/{rev}/{path}', 'GET|HEAD /datasets/{repo}/resolve/{rev}/{path}', 'GET|HEAD /[datasets/]{repo}/raw/{rev}/{path}',
        'GET /api/models', 'GET /api/datasets', 'GET /api/{models|datasets}/{repo}[/revision/{rev}]',
        'GET /api/{models|datasets}/{repo}/tree/{rev}[/{path}]', 'GET /api/datasets/{repo}/parquet[/{config}[/{split}[/{n}.parquet]]]',
        ...VIEWER_ENDPOINTS.map((e) => `GET /${e}`),
        'POST /api/repos/create', 'POST /api/{models|datasets}/{repo}/preupload/main', 'POST /api/{models|datasets}/{repo}/commit/main',
        'GET /api/whoami-v2', 'GET|POST /__faults', 'GET /__stats', 'POST /__stats/reset',
      ],
    });
  }

  const handle = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const started = Date.now();
    const ctx = new RequestContext(req, res, path, baseUrlOf(req, options));
    ctx.setCorsHeaders();
    const control = ['__faults', '__stats', '__stats/reset'].includes(ctx.segments.join('/'));
    if (!control) {
      stats.request(ctx.pathname);
      ctx.onBodyBytes = (count) => stats.bytes(ctx.pathname, count);
    }
    try {
      if (ctx.method === 'OPTIONS') return ctx.answerPreflight();
      checkWriteOrigin(req, options.publicBaseUrl, options.writeOrigins);
      if (control) return await serveControl(ctx);
      const plan = injector.plan(path);
      if (plan.delayMs > 0) await sleep(plan.delayMs);
      if (plan.failure) throw plan.failure;
      ctx.cutAfterBytes = plan.cutAfterBytes;
      if (ctx.pathError) throw ctx.pathError;
      if (ctx.caller === 'invalid') throw new HubHttpError(401, INVALID_CREDENTIALS);
      await route(store, ctx, () => describe(ctx));
    } catch (err) {
      const failure = err instanceof HubHttpError
        ? err
        : new HubHttpError(500, `The offline Hub failed on ${ctx.method} ${ctx.pathname}: ${(err as Error).message}`, undefined, {}, { cause: err });
      if (!(err instanceof HubHttpError)) options.log?.(`error: ${(err as Error).stack ?? String(err)}`);
      await ctx.sendError(failure);
    } finally {
      options.log?.(`${ctx.method} ${path} ${res.statusCode} ${ctx.bodyBytes}B ${Date.now() - started}ms`);
    }
  };

  return Object.defineProperty(handle, 'faults', {
    get: () => injector.faults,
    set: (faults) => {
      injector.faults = faults;
    },
    enumerable: true,
  }) as HubHandler;
}
