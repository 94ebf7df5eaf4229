import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { revisionOf, visibleRepo } from './access.ts';
import { HubHttpError, badRequest, checkFilePath } from './http-error.ts';
import { type Repo, type RepoFile, type RepoStore, type Revision, objectId } from './repo-store.ts';
import type { RequestContext } from './request-context.ts';
import { summarizeSafetensors } from './safetensors-summary.ts';
import type { RepoType } from './types.ts';

/** Keys of `config` the Hub copies from tokenizer_config.json. */
const TOKENIZER_CONFIG_KEYS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token', 'chat_template'];

/** Fields a listing entry always has, before any `expand`. */
const LISTING_KEYS: Record<RepoType, string[]> = {
  model: ['_id', 'id', 'modelId', 'author', 'pipeline_tag', 'library_name', 'tags', 'downloads', 'likes', 'private', 'gated', 'createdAt', 'lastModified', 'sha'],
  dataset: ['_id', 'id', 'author', 'tags', 'downloads', 'likes', 'private', 'gated', 'disabled', 'createdAt', 'lastModified', 'sha'],
};

const SORTABLE = ['id', 'downloads', 'likes', 'createdAt', 'lastModified'];

async function readJsonFile(file: RepoFile | undefined): Promise<Record<string, unknown> | undefined> {
  if (!file) return undefined;
  try {
    return JSON.parse(await readFile(file.abs, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${file.abs} is not valid JSON (${(err as Error).message}).`, { cause: err });
  }
}

/** `config` of a model: architectures and model_type from config.json, special tokens from tokenizer_config.json. */
async function modelConfig(files: RepoFile[]): Promise<Record<string, unknown> | undefined> {
  const config = await readJsonFile(files.find((f) => f.path === 'config.json'));
  const tokenizer = await readJsonFile(files.find((f) => f.path === 'tokenizer_config.json'));
  if (!config && !tokenizer) return undefined;
  const out: Record<string, unknown> = {};
  if (config?.architectures) out.architectures = config.architectures;
  if (config?.model_type) out.model_type = config.model_type;
  if (tokenizer) {
    out.tokenizer_config = Object.fromEntries(TOKENIZER_CONFIG_KEYS.filter((k) => k in tokenizer).map((k) => [k, tokenizer[k]]));
  }
  return out;
}

/** Tags as the Hub derives them: the repo's own, plus library, model type, task and "safetensors" for models. */
function tagsOf(repo: Repo, files: RepoFile[], config: Record<string, unknown> | undefined): string[] {
  const tags = [...(repo.meta.tags ?? [])];
  if (repo.type === 'model') {
    const derived = [
      repo.meta.library_name,
      files.some((f) => f.path.endsWith('.safetensors')) ? 'safetensors' : undefined,
      typeof config?.model_type === 'string' ? config.model_type : undefined,
      repo.meta.pipeline_tag,
    ];
    for (const tag of derived) if (tag) tags.push(tag);
  }
  return [...new Set(tags)];
}

/** Everything `/api/{type}s/{id}` can answer; listings and `expand` pick from it. */
async function describe(store: RepoStore, repo: Repo, revision: Revision, blobs: boolean): Promise<Record<string, unknown>> {
  const { meta } = repo;
  const config = repo.type === 'model' ? await modelConfig(revision.files) : undefined;
  const siblings = await Promise.all(revision.files.map(async (f) => {
    if (!blobs) return { rfilename: f.path };
    const digest = await store.digest(f);
    return {
      rfilename: f.path,
      size: f.size,
      blobId: digest.oid,
      ...(digest.lfs && { lfs: { size: f.size, sha256: digest.lfs.oid, pointerSize: digest.lfs.pointerSize } }),
    };
  }));
  const info: Record<string, unknown> = {
    _id: objectId(repo.type, repo.id),
    id: repo.id,
    ...(repo.type === 'model' && { modelId: repo.id }),
    author: repo.id.includes('/') ? repo.id.split('/')[0] : undefined,
    sha: revision.sha,
    private: meta.private ?? false,
    gated: meta.gated ?? false,
    disabled: false,
    downloads: meta.downloads ?? 0,
    likes: meta.likes ?? 0,
    tags: tagsOf(repo, revision.files, config),
    pipeline_tag: meta.pipeline_tag,
    library_name: meta.library_name,
    ...(await store.dates(repo, revision.files)),
    cardData: meta.cardData,
    siblings,
    usedStorage: revision.files.reduce((sum, f) => sum + f.size, 0),
  };
  if (repo.type === 'model') {
    info.config = config;
    info.safetensors = await summarizeSafetensors(revision.files);
    info.spaces = [];
  }
  return info;
}

function pick(info: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => info[k] !== undefined).map((k) => [k, info[k]]));
}

const truthy = (value: string | null) => value !== null && ['1', 'true', 'True'].includes(value);

/** `GET /api/{type}s/{id}[/revision/{rev}]?blobs=&expand=` */
export async function serveRepoInfo(store: RepoStore, ctx: RequestContext, type: RepoType, id: string, rev: string): Promise<void> {
  const repo = await visibleRepo(store, ctx, type, id);
  const revision = await revisionOf(store, repo, rev);
  const info = await describe(store, repo, revision, truthy(ctx.query.get('blobs')));
  const expand = ctx.query.getAll('expand');
  await ctx.sendJson(200, expand.length > 0 ? pick(info, ['_id', 'id', ...expand]) : pick(info, Object.keys(info)));
}

function compareBy(key: string, direction: number) {
  return (a: Record<string, unknown>, b: Record<string, unknown>) => {
    const x = a[key] as string | number;
    const y = b[key] as string | number;
    return (x < y ? -1 : x > y ? 1 : 0) * direction;
  };
}

/** `GET /api/{type}s?search=&author=&filter=&pipeline_tag=&sort=&direction=&limit=&expand=&full=` */
export async function serveListing(store: RepoStore, ctx: RequestContext, type: RepoType): Promise<void> {
  const q = ctx.query;
  const search = q.get('search')?.toLowerCase() ?? '';
  const author = q.get('author')?.toLowerCase();
  const filters = q.getAll('filter').flatMap((f) => f.split(',')).filter(Boolean);
  const task = q.get('pipeline_tag');
  const sort = q.get('sort') ?? 'id';
  const limit = q.get('limit') === null ? 1000 : Number(q.get('limit'));
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`Parameter "limit" must be a non-negative integer, got "${q.get('limit')}".`);
  if (!SORTABLE.includes(sort)) throw badRequest(`Parameter "sort" must be one of ${SORTABLE.join(', ')}, got "${sort}".`);
  const direction = q.get('direction') === '1' || (sort === 'id' && q.get('direction') !== '-1') ? 1 : -1;
  const expand = q.getAll('expand');
  const keys = [...LISTING_KEYS[type], ...expand];
  if (truthy(q.get('full'))) keys.push('siblings', 'cardData');
  if (truthy(q.get('config'))) keys.push('config');

  const entries: Record<string, unknown>[] = [];
  for (const id of await store.listIds(type)) {
    if (search && !id.toLowerCase().includes(search)) continue;
    if (author !== undefined && (!id.includes('/') || id.split('/')[0].toLowerCase() !== author)) continue;
    const repo = await store.find(type, id);
    if (!repo || (repo.meta.private && ctx.caller !== 'user')) continue;
    const info = await describe(store, repo, await store.main(repo), false);
    const tags = info.tags as string[];
    if (!filters.every((f) => tags.includes(f))) continue;
    if (task && info.pipeline_tag !== task) continue;
    entries.push(info);
  }
  entries.sort(compareBy(sort, direction));
  await ctx.sendJson(200, entries.slice(0, limit).map((info) => pick(info, keys)));
}

interface TreeEntry {
  type: 'file' | 'directory';
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
}

/** A folder's oid: changes with any file below it (not git's tree hash, which would need every blob). */
function folderOid(path: string, files: RepoFile[]): string {
  const below = files.filter((f) => f.path.startsWith(`${path}/`));
  return createHash('sha1').update(`tree ${path}\n${below.map((f) => `${f.path}\0${f.size}\n`).join('')}`).digest('hex');
}

/** `GET /api/{type}s/{id}/tree/{rev}[/{path}]?recursive=` */
export async function serveTree(store: RepoStore, ctx: RequestContext, type: RepoType, id: string, rev: string, path: string): Promise<void> {
  if (path !== '') checkFilePath(path);
  const repo = await visibleRepo(store, ctx, type, id);
  const revision = await revisionOf(store, repo, rev);
  const recursive = truthy(ctx.query.get('recursive'));
  const prefix = path === '' ? '' : `${path}/`;
  const below = revision.files.filter((f) => f.path.startsWith(prefix));
  if (path !== '' && below.length === 0) {
    const isFile = revision.files.some((f) => f.path === path);
    throw new HubHttpError(404, `Entry not found: "${path}" ${isFile ? 'is a file, not a folder' : 'does not exist'} in ${type} ${id} at revision ${rev}.`, 'EntryNotFound');
  }
  const dirs = new Set<string>();
  const files: RepoFile[] = [];
  for (const f of below) {
    const parts = f.path.slice(prefix.length).split('/');
    const depth = recursive ? parts.length - 1 : Math.min(parts.length - 1, 1);
    for (let i = 1; i <= depth; i++) dirs.add(prefix + parts.slice(0, i).join('/'));
    if (recursive || parts.length === 1) files.push(f);
  }
  const entries: TreeEntry[] = [
    ...[...dirs].map((d): TreeEntry => ({ type: 'directory', oid: folderOid(d, revision.files), size: 0, path: d })),
    ...await Promise.all(files.map(async (f): Promise<TreeEntry> => {
      const digest = await store.digest(f);
      return { type: 'file', oid: digest.oid, size: f.size, path: f.path, ...(digest.lfs && { lfs: digest.lfs }) };
    })),
  ];
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  await ctx.sendJson(200, entries);
}
