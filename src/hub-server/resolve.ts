import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { readableRepo, revisionOf, splitRepoId, takeRevision } from './access.ts';
import { HubHttpError, checkFilePath } from './http-error.ts';
import { type RepoStore, lfsPointer } from './repo-store.ts';
import type { RequestContext } from './request-context.ts';
import type { RepoType } from './types.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.jsonl': 'application/jsonl',
  '.parquet': 'application/vnd.apache.parquet',
};

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Inclusive byte range of a file. */
interface ByteRange {
  start: number;
  end: number;
}

/**
 * One `bytes=a-b`, `bytes=a-` or `bytes=-n` range. Undefined when absent or not understood (then the
 * whole file is sent, as RFC 9110 allows, also for multi-range requests); 'unsatisfiable' for a 416.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1) };
}

/** What a resolve answer sends: a file on disk, or (raw view of an LFS file) its pointer text. */
type Body = { abs: string; size: number } | { bytes: Buffer; size: number };

/**
 * `GET|HEAD /{repo}/resolve/{rev}/{path}` and `/{repo}/raw/{rev}/{path}` (segments after an optional
 * `datasets/`). `raw` answers the git blob: an LFS file's pointer instead of its content, like the Hub.
 */
export async function serveResolve(store: RepoStore, ctx: RequestContext, type: RepoType, segments: string[]): Promise<void> {
  const { id, rest } = splitRepoId(segments, ['resolve', 'raw']);
  const raw = rest[0] === 'raw';
  const { rev, rest: pathParts } = takeRevision(rest.slice(1));
  const path = checkFilePath(pathParts.join('/'));
  const repo = await readableRepo(store, ctx, type, id);
  const revision = await revisionOf(store, repo, rev);
  const file = revision.files.find((f) => f.path === path);
  if (!file) {
    throw new HubHttpError(404, `Entry not found: "${path}" is not in ${type} ${id} at revision ${rev}.`, 'EntryNotFound', {
      'X-Repo-Commit': revision.sha,
    });
  }
  const digest = await store.digest(file);
  const pointer = raw && digest.lfs ? Buffer.from(lfsPointer(digest.lfs.oid, file.size)) : undefined;
  const body: Body = pointer ? { bytes: pointer, size: pointer.byteLength } : { abs: file.abs, size: file.size };
  const etag = `"${pointer ? digest.oid : digest.etag}"`;
  const headers: Record<string, string | number> = {
    'Accept-Ranges': 'bytes',
    'Content-Type': pointer ? 'text/plain; charset=utf-8' : contentTypeOf(path),
    ETag: etag,
    'X-Repo-Commit': revision.sha,
    ...(!pointer && { 'X-Linked-Etag': etag, 'X-Linked-Size': file.size }),
  };
  if (ctx.req.headers['if-none-match']?.split(',').map((t) => t.trim()).includes(etag)) {
    ctx.res.writeHead(304, headers);
    ctx.end();
    return;
  }
  const range = parseRange(ctx.req.headers.range, body.size);
  if (range === 'unsatisfiable') {
    throw new HubHttpError(416, `Range "${ctx.req.headers.range}" is outside "${path}" (${body.size} bytes).`, undefined, {
      'Content-Range': `bytes */${body.size}`,
    });
  }
  const { start, end } = range ?? { start: 0, end: body.size - 1 };
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${body.size}`;
  if ('bytes' in body) return ctx.sendBytes(range ? 206 : 200, body.bytes.subarray(start, end + 1), headers);
  const length = end - start + 1;
  ctx.res.writeHead(range ? 206 : 200, { ...headers, 'Content-Length': length });
  if (ctx.isHead || length === 0) {
    ctx.end();
    return;
  }
  const stream = createReadStream(body.abs, { start, end, highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream) {
      if (!(await ctx.write(chunk as Buffer))) return;
    }
    ctx.end();
  } finally {
    stream.destroy();
  }
}
