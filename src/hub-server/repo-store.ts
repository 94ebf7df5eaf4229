import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkRepoId } from '../hub/endpoint.ts';
import type { RepoType } from './types.ts';

/** The git ref under which the Hub publishes a dataset's parquet conversion. */
export const PARQUET_REVISION = 'refs/convert/parquet';

/** Folder of a repository's other refs (branches, tags, pull requests): `revisions/<the full ref, percent-encoded>/`. */
export const REVISIONS_DIR = 'revisions';

/** Files larger than this are reported as LFS files (sha256 oid, `lfs` block), like the Hub's big files. */
export const LFS_THRESHOLD_BYTES = 10 * 1024;

/** `repo.json`: what the Hub knows about a repository besides its files; every field is optional. */
export interface RepoMeta {
  /** Commit of revision "main" (40 hex); derived from the file list when absent. */
  sha?: string;
  pipeline_tag?: string;
  library_name?: string;
  tags?: string[];
  /** `false`, or how access requests are granted; gated repos need a token for their files. */
  gated?: false | 'manual' | 'auto';
  /** Private repos are invisible without a token. */
  private?: boolean;
  downloads?: number;
  likes?: number;
  /** The README's YAML front matter, as the Hub returns it. */
  cardData?: Record<string, unknown>;
  /** Datasets: per config, a description and HF `datasets` features (`{"text": {"dtype": "string", "_type": "Value"}}`). */
  dataset_info?: Record<string, { description?: string; features?: Record<string, unknown> }>;
  /** ISO dates; taken from the file system when absent. */
  createdAt?: string;
  lastModified?: string;
}

/** A file of one revision. */
export interface RepoFile {
  /** Path inside the revision, `/`-separated. */
  path: string;
  size: number;
  /** Absolute path on disk. */
  abs: string;
  mtimeMs: number;
}

export interface Repo {
  type: RepoType;
  id: string;
  /** `<root>/<type>s/<id>` */
  dir: string;
  meta: RepoMeta;
}

/**
 * One revision of a repository: "main" (`files/`), for datasets "refs/convert/parquet" (`parquet/`), or another
 * ref such as "refs/heads/dev", "refs/tags/v1" or "refs/pr/1" (`revisions/<ref>/`).
 */
export interface Revision {
  /** "main", "refs/convert/parquet" or the full ref. */
  name: string;
  dir: string;
  /** Commit id answered as X-Repo-Commit and accepted as a revision. */
  sha: string;
  /** All files, sorted by path. */
  files: RepoFile[];
}

/** Git's view of a file: the blob oid, and for big files the LFS pointer's sha256 and size. */
export interface FileDigest {
  /** Git blob sha1 (of the content, or of the LFS pointer for big files). */
  oid: string;
  /** Present for files above LFS_THRESHOLD_BYTES. */
  lfs?: { oid: string; size: number; pointerSize: number };
  /** Value for ETag / X-Linked-Etag: the sha256 for big files, else the git oid. */
  etag: string;
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** A stable 24-hex `_id` like the Hub's Mongo ids. */
export const objectId = (type: RepoType, id: string) => sha1(`${type}:${id}`).slice(0, 24);

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** Every file under `dir`, recursively, sorted by path; an absent folder has none. */
export async function listFiles(dir: string): Promise<RepoFile[]> {
  const out: RepoFile[] = [];
  const walk = async (abs: string, prefix: string) => {
    const entries = await readdir(abs, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const childAbs = join(abs, entry.name);
      const childPath = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(childAbs, childPath);
      else if (entry.isFile()) {
        const s = await stat(childAbs);
        out.push({ path: childPath, size: s.size, abs: childAbs, mtimeMs: s.mtimeMs });
      }
    }
  };
  await walk(dir, '');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** "dev" for "refs/heads/dev", "v1" for "refs/tags/v1"; pull requests ("refs/pr/1") have no short name. */
export function shortRefName(ref: string): string | undefined {
  return /^refs\/(?:heads|tags)\/(.+)$/.exec(ref)?.[1];
}

/** A commit id that changes whenever a file is added, removed or resized. */
function derivedSha(salt: string, files: RepoFile[]): string {
  return sha1(salt + files.map((f) => `${f.path}\0${f.size}\n`).join(''));
}

async function hashFile(abs: string, algorithm: 'sha1' | 'sha256', prefix?: string): Promise<string> {
  const hash = createHash(algorithm);
  if (prefix) hash.update(prefix);
  for await (const chunk of createReadStream(abs)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Reads the on-disk layout `<root>/<type>s/<id>/{repo.json, files/, parquet/}`. */
export class RepoStore {
  private digests = new Map<string, { key: string; digest: Promise<FileDigest> }>();

  constructor(readonly root: string) {}

  typeDir(type: RepoType): string {
    return join(this.root, `${type}s`);
  }

  repoDir(type: RepoType, id: string): string {
    return join(this.typeDir(type), ...checkRepoId(id).split('/'));
  }

  /** A folder is a repository when it has a repo.json, files/ or parquet/. */
  private async isRepoDir(dir: string): Promise<boolean> {
    const checks = await Promise.all([
      stat(join(dir, 'repo.json')).then((s) => s.isFile(), () => false),
      isDir(join(dir, 'files')),
      isDir(join(dir, 'parquet')),
    ]);
    return checks.some(Boolean);
  }

  /** Ids of all repositories of a type: `owner/name`, and legacy one-part `name`. */
  async listIds(type: RepoType): Promise<string[]> {
    const base = this.typeDir(type);
    const ids: string[] = [];
    const top = await readdir(base, { withFileTypes: true }).catch(() => []);
    for (const entry of top.filter((e) => e.isDirectory())) {
      const dir = join(base, entry.name);
      if (await this.isRepoDir(dir)) {
        ids.push(entry.name);
        continue;
      }
      const children = await readdir(dir, { withFileTypes: true });
      for (const child of children.filter((e) => e.isDirectory())) {
        if (await this.isRepoDir(join(dir, child.name))) ids.push(`${entry.name}/${child.name}`);
      }
    }
    return ids.sort();
  }

  async find(type: RepoType, id: string): Promise<Repo | undefined> {
    const dir = this.repoDir(type, id);
    if (!(await this.isRepoDir(dir))) return undefined;
    return { type, id, dir, meta: await this.readMeta(dir) };
  }

  private async readMeta(dir: string): Promise<RepoMeta> {
    const path = join(dir, 'repo.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return {};
    }
    try {
      return JSON.parse(text) as RepoMeta;
    } catch (err) {
      throw new Error(`${path} is not valid JSON (${(err as Error).message}); fix or delete it.`, { cause: err });
    }
  }

  /** Replaces repo.json (written to a temporary file first, so readers never see half of it). */
  async writeMeta(repo: Repo, meta: RepoMeta): Promise<void> {
    const path = join(repo.dir, 'repo.json');
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, `${JSON.stringify(meta, null, 2)}\n`);
    await rename(`${path}.tmp`, path);
    repo.meta = meta;
  }

  async main(repo: Repo): Promise<Revision> {
    const dir = join(repo.dir, 'files');
    const files = await listFiles(dir);
    return { name: 'main', dir, sha: repo.meta.sha ?? derivedSha('', files), files };
  }

  async parquet(repo: Repo): Promise<Revision> {
    const dir = join(repo.dir, 'parquet');
    const files = await listFiles(dir);
    return { name: PARQUET_REVISION, dir, sha: derivedSha(`${PARQUET_REVISION}\n`, files), files };
  }

  /** The other refs on disk (`revisions/`), by full ref; each has its own commit id derived from its files. */
  async otherRevisions(repo: Repo): Promise<Revision[]> {
    const base = join(repo.dir, REVISIONS_DIR);
    const entries = (await readdir(base, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory());
    return Promise.all(entries.map(async (entry) => {
      const name = decodeURIComponent(entry.name);
      const dir = join(base, entry.name);
      const files = await listFiles(dir);
      return { name, dir, sha: derivedSha(`${name}\n`, files), files };
    }));
  }

  /**
   * The revision a client names: "main", "HEAD", "refs/heads/main", a commit id, another ref in full or (branches and
   * tags) by its short name, or (datasets) "refs/convert/parquet".
   */
  async revision(repo: Repo, rev: string): Promise<Revision | undefined> {
    const main = await this.main(repo);
    if (['main', 'HEAD', 'refs/heads/main', main.sha].includes(rev)) return main;
    const other = (await this.otherRevisions(repo)).find((r) => [r.name, r.sha, shortRefName(r.name)].includes(rev));
    if (other) return other;
    if (repo.type !== 'dataset') return undefined;
    const parquet = await this.parquet(repo);
    return rev === PARQUET_REVISION || rev === parquet.sha ? parquet : undefined;
  }

  /** Creation and last-change dates (repo.json first, else the file system). */
  async dates(repo: Repo, files: RepoFile[]): Promise<{ createdAt: string; lastModified: string }> {
    const s = await stat(repo.dir);
    const newest = Math.max(s.mtimeMs, ...files.map((f) => f.mtimeMs));
    return {
      createdAt: repo.meta.createdAt ?? new Date(Math.min(s.birthtimeMs || s.mtimeMs, newest)).toISOString(),
      lastModified: repo.meta.lastModified ?? new Date(newest).toISOString(),
    };
  }

  /** Git oid (and LFS sha256) of a file; computed once per file version. */
  digest(file: RepoFile): Promise<FileDigest> {
    const key = `${file.size}:${file.mtimeMs}`;
    const cached = this.digests.get(file.abs);
    if (cached?.key === key) return cached.digest;
    const digest = computeDigest(file);
    this.digests.set(file.abs, { key, digest });
    digest.catch(() => this.digests.delete(file.abs));
    return digest;
  }
}

/** The text git stores in place of an LFS file. */
export function lfsPointer(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}

async function computeDigest(file: RepoFile): Promise<FileDigest> {
  if (file.size <= LFS_THRESHOLD_BYTES) {
    const oid = await hashFile(file.abs, 'sha1', `blob ${file.size}\0`);
    return { oid, etag: oid };
  }
  const sha256 = await hashFile(file.abs, 'sha256');
  const pointer = lfsPointer(sha256, file.size);
  const pointerSize = Buffer.byteLength(pointer);
  return {
    oid: sha1(`blob ${pointerSize}\0${pointer}`),
    lfs: { oid: sha256, size: file.size, pointerSize },
    etag: sha256,
  };
}
