import { createHash } from 'node:crypto';
import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseRepoId, requireUser, visibleRepo } from './access.ts';
import { HubHttpError, badRequest, checkFilePath } from './http-error.ts';
import { type Repo, type RepoStore, objectId } from './repo-store.ts';
import type { RequestContext } from './request-context.ts';
import type { RepoType } from './types.ts';

/** The one account of the offline Hub: every valid token belongs to it. */
export const OFFLINE_USER = 'offline-user';

/** Largest commit body accepted (files travel base64-encoded inside it). */
const MAX_COMMIT_BYTES = 512 * 1024 * 1024;

/** Commits to one repository run one after the other. */
const repoLocks = new Map<string, Promise<unknown>>();

function withRepoLock<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = repoLocks.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(work);
  repoLocks.set(key, next);
  void next.finally(() => {
    if (repoLocks.get(key) === next) repoLocks.delete(key);
  }).catch(() => undefined);
  return next;
}

const repoPath = (type: RepoType, id: string) => (type === 'model' ? id : `datasets/${id}`);

/** Writes a file via a temporary name, so a reader never sees half of it. */
async function writeAtomically(path: string, content: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.upload-${process.pid}-${Date.now()}`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}

/** Removes now-empty folders between a deleted file and `stop`. */
async function pruneEmptyDirs(from: string, stop: string): Promise<void> {
  for (let dir = from; dir.startsWith(stop) && dir !== stop; dir = dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return;
    }
  }
}

function decodeContent(value: { content?: unknown; encoding?: unknown; path: string }): Buffer {
  if (typeof value.content !== 'string') throw badRequest(`File "${value.path}" has no string "content".`);
  if (value.encoding === 'base64') return Buffer.from(value.content, 'base64');
  if (value.encoding === undefined || value.encoding === 'utf-8') return Buffer.from(value.content, 'utf8');
  throw badRequest(`File "${value.path}" has unknown encoding "${String(value.encoding)}"; use "base64".`);
}

function branchOf(ctx: RequestContext, branch: string | undefined): void {
  if (branch !== 'main') {
    throw new HubHttpError(404, `Invalid rev id: ${branch ?? ''} (the offline Hub only has branch "main").`, 'RevisionNotFound');
  }
  if (ctx.query.get('create_pr')) throw badRequest('Pull requests are not supported by the offline Hub; commit to "main".');
}

/** `GET /api/whoami-v2` */
export async function serveWhoami(ctx: RequestContext): Promise<void> {
  if (ctx.caller !== 'user') throw new HubHttpError(401, 'Invalid username or password.');
  await ctx.sendJson(200, {
    type: 'user',
    id: objectId('model', OFFLINE_USER),
    name: OFFLINE_USER,
    fullname: 'Offline User',
    email: null,
    emailVerified: false,
    isPro: false,
    canPay: false,
    orgs: [],
    auth: { type: 'access_token', accessToken: { displayName: 'offline Hub token', role: 'write' } },
  });
}

/** `POST /api/repos/create` `{name, organization?, type?, private?|visibility?, files?}` */
export async function serveCreateRepo(store: RepoStore, ctx: RequestContext): Promise<void> {
  requireUser(ctx);
  const body = await ctx.readJson(MAX_COMMIT_BYTES) as {
    name?: unknown; organization?: unknown; type?: unknown; private?: unknown; visibility?: unknown;
    files?: { path: string; content?: unknown; encoding?: unknown }[];
  };
  if (typeof body.name !== 'string') throw badRequest('Field "name" (the repository name) is required.');
  const type = body.type ?? 'model';
  if (type !== 'model' && type !== 'dataset') throw badRequest(`Repository type "${String(type)}" is not served by the offline Hub; use "model" or "dataset".`);
  const owner = typeof body.organization === 'string' && body.organization ? body.organization : OFFLINE_USER;
  const id = parseRepoId(`${owner}/${body.name}`);
  const files = (body.files ?? []).map((f) => ({ path: checkFilePath(f.path), content: decodeContent(f) }));
  const url = ctx.url(`/${repoPath(type, id)}`);
  await withRepoLock(`${type}:${id}`, async () => {
    if (await store.find(type, id)) {
      throw new HubHttpError(409, `You already created this ${type} repo: ${id} (${url}).`);
    }
    const dir = store.repoDir(type, id);
    await mkdir(join(dir, 'files'), { recursive: true });
    for (const file of files) await writeAtomically(join(dir, 'files', ...file.path.split('/')), file.content);
    const now = new Date().toISOString();
    const repo: Repo = { type, id, dir, meta: {} };
    await store.writeMeta(repo, {
      sha: createHash('sha1').update(`create ${type} ${id} ${now}`).digest('hex'),
      private: body.private === true || body.visibility === 'private',
      gated: false,
      createdAt: now,
      lastModified: now,
    });
  });
  await ctx.sendJson(200, { url, name: id, id: objectId(type, id) });
}

/** `POST /api/{type}s/{id}/preupload/{branch}`: every file goes inline in the commit ("regular"), never to LFS. */
export async function servePreupload(store: RepoStore, ctx: RequestContext, type: RepoType, id: string, branch: string | undefined): Promise<void> {
  requireUser(ctx);
  await visibleRepo(store, ctx, type, id);
  branchOf(ctx, branch);
  const body = await ctx.readJson(16 * 1024 * 1024) as { files?: { path: string }[] };
  if (!Array.isArray(body.files)) throw badRequest('Field "files" ([{path, size, sample}]) is required.');
  await ctx.sendJson(200, {
    files: body.files.map((f) => ({ path: checkFilePath(f.path), uploadMode: 'regular', shouldIgnore: false })),
  });
}

type Operation =
  | { kind: 'write'; path: string; content: Buffer }
  | { kind: 'deleteFile'; path: string }
  | { kind: 'deleteFolder'; path: string };

/** Parses the NDJSON commit body: one header line, then file / deletedFile / deletedFolder lines. */
function parseCommit(body: string): { parentCommit?: string; summary?: string; operations: Operation[] } {
  let header: { summary?: string; parentCommit?: string } | undefined;
  const operations: Operation[] = [];
  for (const [i, line] of body.split('\n').entries()) {
    if (line.trim() === '') continue;
    let entry: { key?: string; value?: Record<string, unknown> };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch (err) {
      throw new HubHttpError(400, `Commit line ${i + 1} is not JSON: ${(err as Error).message}.`, undefined, {}, { cause: err });
    }
    const value = entry.value ?? {};
    const path = typeof value.path === 'string' ? value.path : '';
    switch (entry.key) {
      case 'header': header = value as typeof header; break;
      case 'file': operations.push({ kind: 'write', path: checkFilePath(path), content: decodeContent({ ...value, path }) }); break;
      case 'deletedFile': operations.push({ kind: 'deleteFile', path: checkFilePath(path) }); break;
      case 'deletedFolder': operations.push({ kind: 'deleteFolder', path: checkFilePath(path.replace(/\/+$/, '')) }); break;
      case 'lfsFile': throw badRequest(`File "${path}" was sent as LFS; the offline Hub takes every file inline (preupload answers "regular").`);
      default: throw badRequest(`Commit line ${i + 1} has unknown key "${String(entry.key)}"; expected header, file, deletedFile or deletedFolder.`);
    }
  }
  if (!header) throw badRequest('The commit has no header line ({"key": "header", "value": {"summary": ...}}).');
  return { parentCommit: header.parentCommit, summary: header.summary, operations };
}

/** `POST /api/{type}s/{id}/commit/{branch}` (application/x-ndjson): writes into files/ and moves the commit id. */
export async function serveCommit(store: RepoStore, ctx: RequestContext, type: RepoType, id: string, branch: string | undefined): Promise<void> {
  requireUser(ctx);
  await visibleRepo(store, ctx, type, id);
  branchOf(ctx, branch);
  const body = await ctx.readBody(MAX_COMMIT_BYTES);
  const commit = parseCommit(body.toString('utf8'));
  const sha = await withRepoLock(`${type}:${id}`, async () => {
    const repo = (await store.find(type, id))!;
    const main = await store.main(repo);
    if (commit.parentCommit && commit.parentCommit !== main.sha) {
      throw new HubHttpError(412, `A commit has happened since ${commit.parentCommit} (main is now ${main.sha}). Please refresh and try again.`);
    }
    const filesDir = main.dir;
    const onDisk = (path: string) => join(filesDir, ...path.split('/'));
    for (const op of commit.operations) {
      const exists = op.kind === 'deleteFile' ? main.files.some((f) => f.path === op.path)
        : op.kind === 'deleteFolder' ? main.files.some((f) => f.path.startsWith(`${op.path}/`)) : true;
      if (!exists) throw new HubHttpError(404, `Cannot delete "${op.path}": it is not in ${type} ${id}.`, 'EntryNotFound');
    }
    for (const op of commit.operations) {
      if (op.kind === 'write') await writeAtomically(onDisk(op.path), op.content);
      else {
        await rm(onDisk(op.path), { recursive: op.kind === 'deleteFolder', force: true });
        await pruneEmptyDirs(dirname(onDisk(op.path)), filesDir);
      }
    }
    const now = new Date().toISOString();
    const next = createHash('sha1').update(`${main.sha}\n${now}\n`).update(body).digest('hex');
    await store.writeMeta(repo, { ...repo.meta, sha: next, lastModified: now });
    return next;
  });
  await ctx.sendJson(200, {
    success: true,
    commitOid: sha,
    commitUrl: ctx.url(`/${repoPath(type, id)}/commit/${sha}`),
    hookOutput: '',
  });
}
